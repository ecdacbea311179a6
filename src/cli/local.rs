//! The commands that run the built-in endpoint: `phantom serve`, and `phantom demo`, which starts
//! one in-process and runs the seed's sample session against it through the real client — over
//! the Query API, or with `--api rest` over Phantom's REST API as a user logged in through
//! `POST /api/dev/token` (a user made up for the demo; its password and token are never printed).

use std::io::Write;

use clap::Parser;

use super::args::{Cli, DemoArgs, ServeArgs};
use crate::config::{ApiChoice, MapEnvironment};
use crate::credentials::Secret;
use crate::error::Error;
use crate::query::endpoint::Endpoint;
use crate::rest::access::Users;
use crate::rest::{Client, RestConfig};
use crate::server::{self, RunningServer, ServeOptions};

/// `phantom serve`: runs the endpoint until interrupted; `region` is the global `--region`, `dialect`
/// the global `--dialect` (the Query API speaks Phantom's under `phantom`, else AWS's).
pub async fn serve(
    args: ServeArgs,
    region: Option<String>,
    dialect: Option<crate::config::Dialect>,
) -> Result<(), Error> {
    let users = match &args.users {
        Some(path) => Users::from_file(path)?,
        None => Users::default(),
    };
    server::serve(ServeOptions {
        users,
        token_lifetime: args.token_lifetime,
        listen: args.listen,
        state: args.state,
        credentials_file: args.credentials,
        no_auth: args.no_auth,
        sites: args.sites,
        zones: args.zones,
        launch_delay: args.launch_delay,
        terminate_delay: args.terminate_delay,
        hook_timeout_scale: args.hook_timeout_scale,
        refresh_time_scale: args.refresh_time_scale,
        stats: args.stats,
        no_launch_configurations: args.no_launch_configurations,
        account_id: args.account_id,
        region: region.unwrap_or_else(|| server::DEFAULT_REGION.to_string()),
        limits: server::ConnectionLimits {
            max_connections: args.max_connections as usize,
            header_timeout: args.header_timeout,
            idle_timeout: args.idle_timeout,
            body_timeout: args.body_timeout,
        },
        max_groups: args.max_groups,
        max_launch_configurations: args.max_launch_configurations,
        dialect: dialect.unwrap_or(crate::config::Dialect::Aws),
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

/// The user the REST demo logs in as.
pub const DEMO_USER: &str = "demo";

/// `phantom demo`: a temporary endpoint, the seed's session through the real client over HTTP
/// (`api`: the Query API unless `--api rest`).
pub async fn demo(args: DemoArgs, api: Option<ApiChoice>) -> Result<(), Error> {
    if api == Some(ApiChoice::Rest) {
        return demo_rest(args).await;
    }
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
    let outcome = run_session(&[], &env).await;
    running.shutdown().await;
    outcome
}

/// Runs [`SEED_SESSION`] with `prefix` before each command's arguments, printing `$ phantom ...`
/// before each; stops at the first failure.
async fn run_session(prefix: &[&str], env: &MapEnvironment) -> Result<(), Error> {
    for command in SEED_SESSION {
        let args: Vec<&str> = prefix.iter().chain(command.iter()).copied().collect();
        println!("$ phantom {}", args.join(" "));
        let _ = std::io::stdout().flush();
        let cli = Cli::try_parse_from(std::iter::once("phantom").chain(args.iter().copied()))
            .map_err(|e| Error::Config(format!("demo command {args:?}: {e}")))?;
        let code = super::run_boxed(cli, env).await;
        if code != 0 {
            return Err(Error::Config(format!(
                "demo step `phantom {}` failed (exit {code})",
                args.join(" ")
            )));
        }
    }
    Ok(())
}

/// A password nobody needs to know: 24 random characters.
fn random_password() -> Secret {
    let mut rng = fastrand::Rng::new();
    Secret::new((0..24).map(|_| rng.alphanumeric()).collect::<String>())
}

/// `phantom demo --api rest`: an endpoint with one REST user, a login through the client, then the
/// seed's session over REST.
async fn demo_rest(args: DemoArgs) -> Result<(), Error> {
    let password = random_password();
    let users = Users::parse(&format!("{DEMO_USER}:{}", password.expose()))?;
    let running = server::start(ServeOptions {
        launch_delay: args.launch_delay,
        users,
        ..ServeOptions::default()
    })
    .await?;
    let outcome = demo_rest_session(&running, &password).await;
    running.shutdown().await;
    outcome
}

async fn demo_rest_session(running: &RunningServer, password: &Secret) -> Result<(), Error> {
    let url = format!("{}/api/dev", running.url());
    println!("# a built-in Phantom endpoint with the REST API at {url} (state in memory)");
    let client = Client::new(RestConfig::new(&Endpoint::parse(&url)?))?;
    let token = client.login(DEMO_USER, password).await?;
    println!(
        "# logged in as {DEMO_USER} (user id {}) with POST /api/dev/token; the seed's session:",
        token.user_id
    );
    // The seed's REST environment: PHANTOM_URL, USER_ID and TOKEN (the token never printed).
    let env = MapEnvironment::new()
        .with("PHANTOM_URL", url)
        .with("USER_ID", token.user_id.clone())
        .with("TOKEN", token.token.expose());
    run_session(&["--api", "rest"], &env).await
}
