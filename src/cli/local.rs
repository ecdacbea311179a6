//! The commands that run the built-in endpoint: `phantom serve`, and `phantom demo`, which starts
//! one in-process and runs the seed's sample session against it through the real client.

use std::io::Write;

use clap::Parser;

use super::args::{Cli, DemoArgs, ServeArgs};
use crate::config::MapEnvironment;
use crate::error::Error;
use crate::server::{self, ServeOptions};

/// `phantom serve`: runs the endpoint until interrupted.
pub async fn serve(args: ServeArgs) -> Result<(), Error> {
    server::serve(ServeOptions {
        listen: args.listen,
        state: args.state,
        credentials_file: args.credentials,
        no_auth: args.no_auth,
        sites: args.sites,
        launch_delay: args.launch_delay,
        terminate_delay: args.terminate_delay,
        stats: args.stats,
        ..ServeOptions::default()
    })
    .await
}

/// The seed's sample session, as `phantom` commands.
pub const SEED_SESSION: &[&[&str]] = &[
    &["lc", "create", "testlc1", "hello-phantom.gz", "hotel"],
    &["lc", "list"],
    &["domain", "create", "testDomain1", "testlc1", "1", "--wait"],
    &["domain", "list"],
    &["domain", "delete", "testDomain1"],
    &["lc", "delete", "testlc1"],
];

/// `phantom demo`: a temporary endpoint, the seed's session through the real client over HTTP.
pub async fn demo(args: DemoArgs) -> Result<(), Error> {
    let running = server::start(ServeOptions {
        launch_delay: args.launch_delay,
        ..ServeOptions::default()
    })
    .await?;
    let credentials = running
        .generated_credentials
        .clone()
        .ok_or_else(|| Error::Config("the demo endpoint generated no key".into()))?;
    // The seed's environment: PHANTOM_URL and the EC2_* keys (the key never printed).
    let env = MapEnvironment::new()
        .with("PHANTOM_URL", running.url())
        .with("EC2_ACCESS_KEY", credentials.access_key_id())
        .with("EC2_SECRET_KEY", credentials.secret_access_key().expose());
    println!(
        "# a built-in Phantom endpoint at {} (state in memory, key {}); the seed's session:",
        running.url(),
        credentials.access_key_id()
    );
    let mut outcome = Ok(());
    for command in SEED_SESSION {
        println!("$ phantom {}", command.join(" "));
        let _ = std::io::stdout().flush();
        let cli = Cli::try_parse_from(std::iter::once("phantom").chain(command.iter().copied()))
            .map_err(|e| Error::Config(format!("demo command {command:?}: {e}")))?;
        let code = super::run_boxed(cli, &env).await;
        if code != 0 {
            outcome = Err(Error::Config(format!(
                "demo step `phantom {}` failed (exit {code})",
                command.join(" ")
            )));
            break;
        }
    }
    running.shutdown().await;
    outcome
}
