//! The `phantom` command: flags and subcommands (clap), turned into client calls, printed the way
//! the seed's scripts printed, or as JSON.
//!
//! [`run`] is the whole program: parse, resolve configuration, run one command, print, and map any
//! error to one line on stderr and an exit code. `main` only calls it. The demo calls it too, with
//! its own environment, so that what it shows is exactly what a user would get.

mod api;
mod api_elb;
mod args;
mod completion;
mod duration;
mod limits;
mod local;
mod lt;
mod output;
mod processes;
mod query_cmds;
mod refresh;
mod render;
mod rest_args;
mod rest_cmds;
pub(crate) mod secret_input;
mod tasks;
mod templates;
mod wait;
mod warm_pool;

use std::io::Write;

pub use crate::config::ApiChoice;
pub use args::{Cli, Command};
pub use completion::{command, try_parse_from};
pub use duration::parse_duration;

use crate::config::{ConfigInputs, Environment, ProcessEnvironment, ResolvedConfig, resolve};
use crate::error::Error;
use crate::query::sign::HmacAlgorithm;
use args::{GlobalArgs, SignatureMethod};

/// Runs the program with the process's arguments and environment; returns the exit code.
pub fn main() -> i32 {
    let cli = match completion::try_parse_from(std::env::args_os()) {
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
    match &cli.command {
        Command::Completion(args) => return completion::completion(args),
        Command::Man(args) => return completion::man(args),
        Command::Help(args) => return completion::help(args),
        _ => {}
    }
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
    let forced = match cli.command {
        Command::Serve(opts) => {
            return local::serve(opts, cli.global.region.clone(), cli.global.dialect).await;
        }
        Command::Api(ref a) if a.runs_locally() => return api::local(a),
        Command::Demo(opts) => return local::demo(opts, cli.global.api).await,
        Command::Login(_) | Command::Sites(_) | Command::Credentials(_) => Some(ApiChoice::Rest),
        _ => None,
    };
    let config = resolve(&config_inputs(&cli.global, forced), env)?;
    let mut cli = cli;
    if cli.global.output.is_none() {
        cli.global.output = output::Output::choose(env, config.output.as_deref())?;
    }
    // `phantom api` prints JSON when nothing chooses: a raw reply has no seed layout.
    if cli.global.output.is_none() && matches!(cli.command, Command::Api(_)) {
        cli.global.output = Some(args::OutputFormat::Json);
    }
    output::Output::of(&cli.global).check()?;
    if config.api == ApiChoice::Rest && cli.global.query.is_some() {
        return Err(Error::Config(
            "--query applies to the Auto Scaling API's replies; Phantom's REST API commands \
             do not take it"
                .into(),
        ));
    }
    let command = match cli.command {
        Command::Lt(command) => return lt::execute(&cli.global, &config, command).await,
        other => other,
    };
    match config.api {
        ApiChoice::Rest => rest_cmds::execute(&cli.global, &config, env, command).await,
        ApiChoice::Query => {
            let ctx = query_cmds::Context::new(&cli.global, config)?;
            query_cmds::execute(&ctx, command).await
        }
    }
}

/// The configuration settings of the command line; `api` is set for a command that exists in one
/// API only (it overrides `--api`).
fn config_inputs(global: &GlobalArgs, api: Option<ApiChoice>) -> ConfigInputs {
    ConfigInputs {
        endpoint_url: global.endpoint_url.clone(),
        region: global.region.clone(),
        profile: global.profile.clone(),
        dialect: global.dialect,
        signature: global.signature,
        signature_method: Some(match global.signature_method {
            SignatureMethod::HmacSHA256 => HmacAlgorithm::Sha256,
            SignatureMethod::HmacSHA1 => HmacAlgorithm::Sha1,
        }),
        hotel_conf: global.hotel_conf.clone(),
        api: api.or(global.api),
        no_sign_request: global.no_sign_request,
        max_attempts: global.max_attempts,
        connect_timeout: global.connect_timeout,
        read_timeout: global.read_timeout,
        deadline: global.deadline,
        max_reply_bytes: Some(global.max_reply_bytes),
        ca_bundle: global.ca_bundle.clone(),
        no_verify_ssl: global.no_verify_ssl,
        debug: global.debug,
        launch_templates: global.launch_templates,
        // The chain runs in the phantom-credentials helper: this binary never links aws-config.
        providers: crate::config::providers::Providers::helper(),
    }
}

/// Says on stderr that TLS certificates are not verified, when `--no-verify-ssl` turned it off.
fn warn_if_unverified(config: &ResolvedConfig) {
    if !config.connection.verify_tls {
        eprintln!("phantom: warning: TLS certificates are not verified (--no-verify-ssl)");
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::config::MapEnvironment;
    use std::cell::Cell;
    use std::path::PathBuf;

    /// An environment that counts how often `AWS_PROFILE` is read: once per resolution.
    struct CountingEnvironment {
        inner: MapEnvironment,
        profile_reads: Cell<usize>,
    }

    impl Environment for CountingEnvironment {
        fn var(&self, name: &str) -> Option<String> {
            if name == "AWS_PROFILE" {
                self.profile_reads.set(self.profile_reads.get() + 1);
            }
            self.inner.var(name)
        }

        fn home(&self) -> Option<PathBuf> {
            self.inner.home()
        }
    }

    fn counting(inner: MapEnvironment) -> CountingEnvironment {
        CountingEnvironment {
            inner,
            profile_reads: Cell::new(0),
        }
    }

    fn cli(args: &[&str]) -> Cli {
        try_parse_from(std::iter::once("phantom").chain(args.iter().copied())).unwrap()
    }

    #[tokio::test]
    async fn a_default_query_command_resolves_the_configuration_once() {
        let server = crate::server::start(crate::server::ServeOptions::default())
            .await
            .unwrap();
        let key = server.generated_credentials.clone().unwrap();
        let env = counting(
            MapEnvironment::new()
                .with("PHANTOM_URL", server.url())
                .with("EC2_ACCESS_KEY", key.access_key_id())
                .with("EC2_SECRET_KEY", key.secret_access_key().expose()),
        );
        assert_eq!(run(cli(&["domain", "list"]), &env).await, 0);
        assert_eq!(env.profile_reads.get(), 1);
        server.shutdown().await;
    }

    #[tokio::test]
    async fn a_rest_command_found_by_its_endpoint_resolves_the_configuration_once() {
        // No token anywhere: the command fails after choosing the REST API, before any call.
        let env = counting(MapEnvironment::new());
        let args = ["--endpoint-url", "http://127.0.0.1:9/api/dev", "lc", "list"];
        assert_eq!(run(cli(&args), &env).await, 2);
        assert_eq!(env.profile_reads.get(), 1);
    }

    #[test]
    fn errors_are_shown_on_one_line_without_control_characters() {
        assert_eq!(
            one_line("X failed: Code: line one\r\nline two\tend\n"),
            "X failed: Code: line one line two end"
        );
        assert_eq!(one_line("bad \u{1b}[31mred"), "bad \\u{1b}[31mred");
    }
}
