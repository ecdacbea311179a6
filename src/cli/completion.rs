//! The command line as the shell and the manual see it: shell completions (`phantom completion
//! SHELL`, clap_complete), man pages (`phantom man [COMMAND...]`, clap_mangen), and help
//! (`phantom help [options | COMMAND...]`), all generated from the clap definitions in
//! [`super::args`].
//!
//! This module also owns how help is laid out. The global options (`--region`, `--output`, ...)
//! are accepted after any subcommand, but explained once: in `phantom --help` and `phantom help
//! options`. [`command`] gives every subcommand hidden copies of them (clap then does not
//! propagate the visible ones), so `phantom domain list --help` shows that command's own
//! arguments and a pointer to `phantom help options`. `phantom serve --help` shows only
//! `--region` of them, the one a server uses. Completions come from the plain definitions, so
//! that a shell completes global options after any subcommand.

use std::io::Write;

use clap::{Arg, Args, CommandFactory, FromArgMatches, Parser};
use clap_complete::Shell;

use super::args::Cli;
use crate::error::Error;

/// Arguments of `completion`.
#[derive(Debug, Args)]
pub struct CompletionArgs {
    /// The shell: bash, zsh, fish, powershell or elvish.
    #[arg(value_enum)]
    pub shell: Shell,
}

/// Arguments of `man`.
#[derive(Debug, Args)]
pub struct ManArgs {
    /// The command whose page to print (e.g. `domain list`); the whole program's page when none.
    pub command: Vec<String>,
}

/// Arguments of `help`.
#[derive(Debug, Args)]
pub struct HelpArgs {
    /// `options` for the global options, or a command (e.g. `domain list`); none for an overview.
    pub topic: Vec<String>,
}

/// `phantom completion --help`'s examples: how to install the scripts.
pub const COMPLETION_EXAMPLES: &str = "Examples:
  phantom completion bash > ~/.local/share/bash-completion/completions/phantom
  phantom completion zsh > ~/.zfunc/_phantom      # with fpath+=~/.zfunc before compinit
  phantom completion fish > ~/.config/fish/completions/phantom.fish
  phantom completion powershell >> $PROFILE";

/// `phantom man --help`'s examples.
pub const MAN_EXAMPLES: &str = "Examples:
  phantom man | man -l -
  phantom man domain list | man -l -
  phantom man > ~/.local/share/man/man1/phantom.1";

/// The one global option `phantom serve` uses (the region in its ARNs).
const SERVE_GLOBALS: &[&str] = &["region"];

/// The line every subcommand's help ends with, in place of the global options.
const GLOBALS_POINTER: &str = "Global options (--endpoint-url, --region, --profile, --output, --query, ...): phantom help options";

/// The command line as parsed and shown in help and man pages: the clap definitions, with the
/// global options hidden in every subcommand (still accepted there) but `serve`'s `--region`.
pub fn command() -> clap::Command {
    let mut root = Cli::command();
    let globals: Vec<Arg> = root
        .get_arguments()
        .filter(|a| a.is_global_set())
        .cloned()
        .collect();
    for sub in root.get_subcommands_mut() {
        let shown: &[&str] = if sub.get_name() == "serve" {
            SERVE_GLOBALS
        } else {
            &[]
        };
        hide_globals(sub, &globals, shown);
    }
    root
}

/// Gives `cmd` and its subcommands hidden copies of `globals` (but those named in `shown`), and
/// the pointer to `phantom help options`.
fn hide_globals(cmd: &mut clap::Command, globals: &[Arg], shown: &[&str]) {
    let mut owned = std::mem::take(cmd);
    for arg in globals {
        let visible = shown.contains(&arg.get_id().as_str());
        owned = owned.arg(arg.clone().hide(!visible));
    }
    // A server uses none of the client's options: no pointer to them.
    if shown.is_empty() {
        let after = match owned.get_after_help() {
            Some(text) => format!("{text}\n\n{GLOBALS_POINTER}"),
            None => GLOBALS_POINTER.to_string(),
        };
        owned = owned.after_help(after);
    }
    for sub in owned.get_subcommands_mut() {
        hide_globals(sub, globals, shown);
    }
    *cmd = owned;
}

/// Parses a command line. A line that parses is parsed by the plain definitions (they accept
/// exactly what [`command`] accepts, and cost no copies of the global options: this is every
/// command's start-up); `--help` and errors are parsed again by [`command`], so that what they
/// print is its layout.
pub fn try_parse_from<I, T>(args: I) -> Result<Cli, clap::Error>
where
    I: IntoIterator<Item = T>,
    T: Into<std::ffi::OsString> + Clone,
{
    let args: Vec<std::ffi::OsString> = args.into_iter().map(Into::into).collect();
    if let Ok(cli) = Cli::try_parse_from(&args) {
        return Ok(cli);
    }
    let mut cmd = command();
    let matches = cmd.try_get_matches_from_mut(args)?;
    Cli::from_arg_matches(&matches).map_err(|e| e.format(&mut cmd))
}

/// `phantom completion SHELL`: the shell's completion script on stdout.
pub fn completion(args: &CompletionArgs) -> Result<(), Error> {
    let mut cmd = Cli::command();
    let mut out = Vec::new();
    clap_complete::generate(args.shell, &mut cmd, "phantom", &mut out);
    write_stdout(&out)
}

/// The subcommand at `path` (names as typed), built so that its name is `phantom-a-b`.
fn find<'a>(root: &'a mut clap::Command, path: &[String]) -> Result<&'a mut clap::Command, Error> {
    let mut cmd = root;
    let mut walked = String::from("phantom");
    for name in path {
        let next = cmd
            .get_subcommands()
            .position(|c| c.get_name() == name || c.get_all_aliases().any(|a| a == name));
        let Some(index) = next else {
            let known: Vec<&str> = cmd.get_subcommands().map(|c| c.get_name()).collect();
            return Err(Error::Config(format!(
                "`{walked}` has no command `{}`; its commands are: {}",
                name.chars().take(40).collect::<String>(),
                if known.is_empty() {
                    "none".to_string()
                } else {
                    known.join(", ")
                }
            )));
        };
        walked = format!("{walked} {name}");
        cmd = cmd
            .get_subcommands_mut()
            .nth(index)
            .ok_or_else(|| Error::Config(format!("no command `{walked}`")))?;
    }
    Ok(cmd)
}

/// `phantom man [COMMAND...]`: the man page (roff) on stdout.
pub fn man(args: &ManArgs) -> Result<(), Error> {
    let mut root = command();
    root.build();
    let page = find(&mut root, &args.command)?
        .clone()
        .version(env!("CARGO_PKG_VERSION"));
    let mut out = Vec::new();
    clap_mangen::Man::new(page)
        .render(&mut out)
        .map_err(|e| Error::Io {
            context: "writing the man page".into(),
            source: e,
        })?;
    write_stdout(&out)
}

/// `phantom help [options | COMMAND...]`.
pub fn help(args: &HelpArgs) -> Result<(), Error> {
    let mut root = command();
    root.build();
    let text = match args.topic.as_slice() {
        [topic] if topic == "options" => options_help(&root),
        path => {
            find(&mut root, path)?;
            // Exactly what `phantom PATH --help` prints.
            let argv = std::iter::once("phantom")
                .chain(path.iter().map(String::as_str))
                .chain(std::iter::once("--help"));
            match command().try_get_matches_from(argv) {
                Err(e) => e.render().to_string(),
                Ok(_) => String::new(),
            }
        }
    };
    write_stdout(text.as_bytes())
}

/// The global options, explained once.
fn options_help(root: &clap::Command) -> String {
    let globals: Vec<Arg> = root
        .get_arguments()
        .filter(|a| a.is_global_set())
        .map(|a| a.clone().global(false))
        .collect();
    let mut page = clap::Command::new("phantom")
        .about(
            "Global options: accepted by every command, before or after its name (e.g. \
             `phantom domain list --region eu-west-1`). Flags win over environment variables, \
             which win over the profile's settings in ~/.aws/config, as in the AWS CLI.",
        )
        .override_usage("phantom [GLOBAL OPTIONS] COMMAND ...")
        .disable_help_flag(true)
        .disable_version_flag(true)
        .help_template("{about}\n\nUsage: {usage}\n\n{all-args}\n")
        .args(globals);
    page.render_long_help().to_string()
}

fn write_stdout(bytes: &[u8]) -> Result<(), Error> {
    let mut out = std::io::stdout().lock();
    match out.write_all(bytes).and_then(|()| out.flush()) {
        Ok(()) => Ok(()),
        // `phantom man | head` closes the pipe early: not an error.
        Err(e) if e.kind() == std::io::ErrorKind::BrokenPipe => Ok(()),
        Err(e) => Err(Error::Io {
            context: "writing to standard output".into(),
            source: e,
        }),
    }
}
