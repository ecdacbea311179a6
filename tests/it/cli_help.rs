//! Every command and subcommand of `phantom` explains itself with an example in `--help`; the
//! global options are explained once (`phantom --help`, `phantom help options`) and accepted
//! everywhere; completion scripts and man pages are generated from the same definitions.

use crate::util::run::{Phantom, Run};

fn walk(cmd: &mut clap::Command, path: String, missing: &mut Vec<String>, seen: &mut usize) {
    let help = cmd.render_long_help().to_string();
    *seen += 1;
    if !help.contains("Example") || cmd.get_about().is_none() && path != "phantom" {
        missing.push(path.clone());
    }
    for sub in cmd.get_subcommands_mut() {
        if sub.get_name() == "help" {
            continue;
        }
        let name = format!("{path} {}", sub.get_name());
        walk(sub, name, missing, seen);
    }
}

#[test]
fn every_command_has_an_example() {
    let mut cmd = phantom_autoscale::cli::command();
    cmd.build();
    let mut missing = Vec::new();
    let mut seen = 0;
    walk(&mut cmd, "phantom".into(), &mut missing, &mut seen);
    assert!(
        missing.is_empty(),
        "no example or description in --help of: {missing:?}"
    );
    assert!(seen >= 28, "only {seen} commands walked");
}

#[test]
fn help_runs_from_the_binary() {
    let out = std::process::Command::new(env!("CARGO_BIN_EXE_phantom"))
        .args(["domain", "create", "--help"])
        .output()
        .unwrap();
    assert!(out.status.success());
    let text = String::from_utf8(out.stdout).unwrap();
    assert!(
        text.contains("phantom domain create testDomain1 testlc1 1"),
        "{text}"
    );
}

fn phantom(args: &[&str]) -> Run {
    let run = Phantom::new(args).run();
    assert_eq!(run.code, 0, "phantom {args:?}: {run:?}");
    assert_eq!(run.stderr, "", "phantom {args:?}");
    run
}

/// Every global option of the command line, as `--name`.
fn global_flags() -> Vec<String> {
    let cmd = phantom_autoscale::cli::command();
    let flags: Vec<String> = cmd
        .get_arguments()
        .filter(|a| a.is_global_set())
        .filter_map(|a| a.get_long().map(|l| format!("--{l}")))
        .collect();
    assert!(flags.len() >= 17, "{flags:?}");
    flags
}

#[test]
fn global_options_are_explained_once_not_in_every_subcommand() {
    let flags = global_flags();
    let top = phantom(&["--help"]).stdout;
    let options = phantom(&["help", "options"]).stdout;
    for flag in &flags {
        assert!(top.contains(flag.as_str()), "phantom --help lacks {flag}");
        assert!(options.contains(flag.as_str()), "help options lacks {flag}");
    }
    assert!(top.contains("phantom help options"), "{top}");
    assert!(!options.contains("Commands:"), "{options}");
    // A subcommand's help is its own arguments, and a pointer to the global options.
    let list = phantom(&["domain", "list", "--help"]).stdout;
    let (own, pointer) = list.split_once("Global options").expect("the pointer");
    for flag in &flags {
        assert!(
            !own.contains(flag.as_str()),
            "domain list --help repeats {flag}: {list}"
        );
    }
    assert_eq!(pointer.lines().count(), 1, "{list}");
    assert!(list.contains("[NAMES]..."), "{list}");
    assert!(
        list.contains("Global options (--endpoint-url, --region"),
        "{list}"
    );
    assert!(list.contains("phantom help options"), "{list}");
    assert!(list.lines().count() < 20, "{list}");
    // `phantom help domain list` is the same page.
    assert_eq!(phantom(&["help", "domain", "list"]).stdout, list);
    // Still accepted after any subcommand, as before.
    let cli = phantom_autoscale::cli::try_parse_from([
        "phantom",
        "domain",
        "list",
        "--region",
        "eu-west-1",
        "--output",
        "json",
        "--max-attempts",
        "2",
        "--cli-read-timeout",
        "5",
    ])
    .unwrap();
    assert_eq!(cli.global.region.as_deref(), Some("eu-west-1"));
    assert_eq!(cli.global.max_attempts, Some(2));
    assert_eq!(
        cli.global.read_timeout,
        Some(std::time::Duration::from_secs(5))
    );
}

#[test]
fn serve_help_shows_only_what_a_server_uses() {
    let serve = phantom(&["serve", "--help"]).stdout;
    for own in [
        "--listen",
        "--state",
        "--credentials",
        "--users",
        "--region",
    ] {
        assert!(serve.contains(own), "serve --help lacks {own}: {serve}");
    }
    for client in global_flags().iter().filter(|f| *f != "--region") {
        assert!(
            !serve.contains(&format!("{client} ")) && !serve.contains(&format!("{client}\n")),
            "serve --help shows the client's {client}: {serve}"
        );
    }
    assert!(!serve.contains("phantom help options"), "{serve}");
}

#[test]
fn unknown_help_topics_are_clear_errors() {
    let run = Phantom::new(&["help", "domain", "nope"]).run();
    assert_eq!(run.code, 2, "{run:?}");
    assert!(
        run.stderr
            .contains("`phantom domain` has no command `nope`; its commands are: create, list"),
        "{}",
        run.stderr
    );
    let run = Phantom::new(&["man", "nope"]).run();
    assert_eq!(run.code, 2, "{run:?}");
    assert_eq!(run.stdout, "");
}

#[test]
fn completion_scripts_are_generated_for_every_shell_and_parse() {
    let bash = phantom(&["completion", "bash"]).stdout;
    assert!(
        bash.contains("complete -F _phantom"),
        "{}",
        &bash[..bash.len().min(400)]
    );
    for word in ["domain", "refresh", "--endpoint-url", "--region"] {
        assert!(bash.contains(word), "bash completion lacks {word}");
    }
    let dir = crate::util::run::TempDir::new("completion");
    let file = dir.0.join("phantom.bash");
    std::fs::write(&file, &bash).unwrap();
    let check = std::process::Command::new("bash")
        .arg("-n")
        .arg(&file)
        .output()
        .unwrap();
    assert!(check.status.success(), "bash -n: {check:?}");
    // Sourcing it registers the completion function in a real shell.
    let sourced = std::process::Command::new("bash")
        .arg("-c")
        .arg(format!("source {} && complete -p phantom", file.display()))
        .output()
        .unwrap();
    assert!(
        String::from_utf8_lossy(&sourced.stdout).contains("_phantom"),
        "{sourced:?}"
    );
    let zsh = phantom(&["completion", "zsh"]).stdout;
    assert!(
        zsh.starts_with("#compdef phantom"),
        "{}",
        &zsh[..zsh.len().min(200)]
    );
    let fish = phantom(&["completion", "fish"]).stdout;
    assert!(
        fish.contains("complete -c phantom"),
        "{}",
        &fish[..fish.len().min(200)]
    );
    let powershell = phantom(&["completion", "powershell"]).stdout;
    assert!(
        powershell.contains("Register-ArgumentCompleter"),
        "{}",
        &powershell[..powershell.len().min(200)]
    );
    let run = Phantom::new(&["completion", "tcsh"]).run();
    assert_eq!(run.code, 2, "{run:?}");
    assert!(
        run.stderr.contains("invalid value 'tcsh'"),
        "{}",
        run.stderr
    );
}

/// The first request line of a roff page (after the `.ie`/`.el` string definitions).
fn title_line(page: &str) -> &str {
    page.lines()
        .find(|l| !l.starts_with(".ie") && !l.starts_with(".el"))
        .unwrap_or_default()
}

#[test]
fn man_pages_are_roff_generated_from_the_definitions() {
    let page = phantom(&["man"]).stdout;
    assert!(
        title_line(&page).starts_with(".TH phantom 1 "),
        "{}",
        &page[..page.len().min(300)]
    );
    for part in [
        ".SH NAME",
        ".SH SYNOPSIS",
        ".SH OPTIONS",
        ".SH SUBCOMMANDS",
        "endpoint\\-url",
    ] {
        assert!(page.contains(part), "phantom(1) lacks {part}");
    }
    let list = phantom(&["man", "domain", "list"]).stdout;
    assert!(
        title_line(&list).starts_with(".TH phantom-domain-list 1 "),
        "{}",
        &list[..list.len().min(300)]
    );
    assert!(list.contains("List domains with their instances"), "{list}");
}
