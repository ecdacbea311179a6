//! The `phantom` command: flags and subcommands (clap), turned into client calls, printed the way
//! the seed's scripts printed, or as JSON.
//!
//! [`run`] is the whole program: parse, resolve configuration, run one command, print, and map any
//! error to one line on stderr and an exit code. `main` only calls it. The demo calls it too, with
//! its own environment, so that what it shows is exactly what a user would get.

mod args;
mod duration;
mod local;
mod output;
mod query_cmds;
mod rest_args;
mod rest_cmds;
mod secret_input;
mod wait;

use std::io::Write;

use clap::Parser;

pub use args::{Cli, Command};
pub use duration::parse_duration;
pub use rest_args::ApiChoice;

use crate::config::{Environment, ProcessEnvironment};
use crate::error::Error;

/// Runs the program with the process's arguments and environment; returns the exit code.
pub fn main() -> i32 {
    let cli = match Cli::try_parse() {
        Ok(cli) => cli,
        Err(e) => {
            let code = if e.use_stderr() { 2 } else { 0 };
            let _ = e.print();
            return code;
        }
    };
    // `serve` and `demo` run the endpoint: two workers. Every other command makes one call or a
    // sequence of calls, for which one thread is enough and starts faster (no worker threads to
    // spawn, no hand-offs between them).
    let mut builder = match cli.command {
        Command::Serve(_) | Command::Demo(_) => {
            let mut b = tokio::runtime::Builder::new_multi_thread();
            b.worker_threads(2);
            b
        }
        _ => tokio::runtime::Builder::new_current_thread(),
    };
    let runtime = match builder.enable_all().build() {
        Ok(rt) => rt,
        Err(e) => {
            eprintln!("phantom: error: cannot start the async runtime: {e}");
            return 2;
        }
    };
    runtime.block_on(run(cli, &ProcessEnvironment))
}

/// Runs one parsed command line against `env`; prints results and errors; returns the exit code.
pub async fn run(cli: Cli, env: &dyn Environment) -> i32 {
    match dispatch(cli, env).await {
        Ok(()) => 0,
        Err(e) => {
            let _ = std::io::stdout().flush();
            eprintln!("phantom: error: {}", one_line(&e.to_string()));
            e.exit_code()
        }
    }
}

/// An error as one line a terminal shows as text: line breaks and tabs become spaces, other
/// control characters (a server's message could carry escape sequences) become `\u{..}`.
fn one_line(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    for c in text.chars() {
        match c {
            '\r' | '\n' | '\t' => {
                if !out.ends_with(' ') {
                    out.push(' ');
                }
            }
            c if c.is_control() => out.push_str(&c.escape_unicode().to_string()),
            c => out.push(c),
        }
    }
    out.trim_end().to_string()
}

/// [`run`] behind a box, for the demo, which runs commands from inside a command.
pub(crate) fn run_boxed<'a>(
    cli: Cli,
    env: &'a dyn Environment,
) -> std::pin::Pin<Box<dyn std::future::Future<Output = i32> + 'a>> {
    Box::pin(run(cli, env))
}

/// Runs the command; an explicit `--deadline` bounds the whole of it (every call, every page of a
/// listing, every poll of a wait), not only each call. `serve`, `demo` and `login` (which may wait
/// for a person to type a password) are not bounded.
async fn dispatch(cli: Cli, env: &dyn Environment) -> Result<(), Error> {
    let bounded = !matches!(
        cli.command,
        Command::Serve(_) | Command::Demo(_) | Command::Login(_)
    );
    match cli.global.deadline {
        Some(limit) if bounded => {
            let started = std::time::Instant::now();
            tokio::time::timeout(limit, dispatch_unbounded(cli, env))
                .await
                .unwrap_or_else(|_| {
                    Err(Error::Timeout {
                        operation: "the whole command (every call, page and poll in it)".into(),
                        elapsed_ms: started.elapsed().as_millis(),
                        what: "overall deadline; raise it with --deadline".into(),
                    })
                })
        }
        _ => dispatch_unbounded(cli, env).await,
    }
}

async fn dispatch_unbounded(cli: Cli, env: &dyn Environment) -> Result<(), Error> {
    if rest_cmds::selected(&cli.global, &cli.command, env)? {
        return rest_cmds::execute(&cli.global, env, cli.command).await;
    }
    match cli.command {
        Command::Serve(opts) => local::serve(opts, cli.global.region.clone()).await,
        Command::Demo(opts) => local::demo(opts, cli.global.api).await,
        command => {
            let ctx = query_cmds::Context::new(&cli.global, env)?;
            query_cmds::execute(&ctx, command).await
        }
    }
}

#[cfg(test)]
mod tests {
    use super::one_line;

    #[test]
    fn errors_are_shown_on_one_line_without_control_characters() {
        assert_eq!(
            one_line("X failed: Code: line one\r\nline two\tend\n"),
            "X failed: Code: line one line two end"
        );
        assert_eq!(one_line("bad \u{1b}[31mred"), "bad \\u{1b}[31mred");
    }
}
