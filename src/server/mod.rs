//! The built-in Auto Scaling endpoint (`phantom serve`): the Query API over a local SQLite store,
//! with AWS's rules and Phantom's conventions, so scripts can be developed and tested offline.
//!
//! Layout (each file opens with what it owns):
//! - [`front`]: HTTP (axum) in, AWS XML out; decoding, dispatch, error replies;
//! - [`auth`] and [`keys`]: which keys are accepted and who owns a request;
//! - `ops`: one typed handler per operation (`impl Handle for XInput`), the generic adapter that
//!   checks, reads, handles and encodes, and the dispatch table by action name (see
//!   wsdl-notes/server.md: adding an operation);
//! - `rows`: the row model (groups, instances, launch configurations, tags) the handlers share;
//! - [`lifecycle`]: instances Pending -> InService, Terminating -> gone, and scaling activities;
//! - `timers`: the engine that acts on stored deadlines (scheduled actions) when they come due;
//! - [`store`]: the SQLite database and its transactions;
//! - `rest_api`: Phantom's REST API (`/api/dev`) as typed calls of the same handlers on the same store,
//!   served beside the Query API by the HTTP layer of [`crate::rest::endpoint`];
//! - [`paginate`], [`sites`], [`fault`]: NextToken/MaxRecords, `name@site`, the error value;
//! - [`phantom`]: the Phantom dialect (`--dialect phantom`): its actions, wire form, rules and
//!   policies, consulted where the dialects differ;
//! - [`conn`]: accepting connections, their cap and timeouts, and the request-head guard;
//! - [`ec2`]: EC2's launch-template slice (VPCs, subnets, templates, instances) on the same port.
//!
//! ```no_run
//! # async fn demo() -> Result<(), phantom_autoscale::Error> {
//! use phantom_autoscale::server::{ServeOptions, start};
//! let server = start(ServeOptions::default()).await?;
//! println!("http://{}", server.addr);
//! server.shutdown().await;
//! # Ok(()) }
//! ```

pub mod auth;
pub mod conn;
pub mod ec2;
pub mod elb;
pub mod fault;
pub mod front;
pub mod keys;
pub mod lifecycle;
mod ops;
pub mod paginate;
pub mod phantom;
pub(crate) mod rest_api;
mod rows;
pub mod sites;
pub mod store;
mod timers;

use std::net::SocketAddr;
use std::path::PathBuf;
use std::sync::Arc;
use std::time::Duration;

use tokio::sync::oneshot;
use tokio::task::JoinHandle;

pub use crate::config::Dialect;
use crate::credentials::Credentials;
use crate::error::Error;
use crate::rest::access::{DEFAULT_TOKEN_LIFETIME, Tokens, Users};
use crate::rest::endpoint::{self, RestApp};
use crate::server::auth::AuthPolicy;
pub use crate::server::conn::ConnectionLimits;
use crate::server::front::App;
use crate::server::keys::KeyRing;
use crate::server::lifecycle::Timing;
pub use crate::server::ops::SERVED;
use crate::server::ops::Settings;
use crate::server::store::Store;

/// The sites offered when none are configured, as in Phantom's documentation.
pub const DEFAULT_SITES: &[&str] = &["hotel", "sierra", "foxtrot", "alamo"];

/// The account id in ARNs when none is configured: AWS's documentation example account.
pub const DEFAULT_ACCOUNT_ID: &str = "123456789012";

/// The region in ARNs when none is configured (the client's default region too).
pub const DEFAULT_REGION: &str = "us-east-1";

/// How to run the endpoint.
#[derive(Debug, Clone)]
pub struct ServeOptions {
    /// Address to listen on; port 0 picks a free port (see [`RunningServer::addr`]).
    pub listen: SocketAddr,
    /// SQLite state file; `None` keeps everything in memory for the life of the server.
    pub state: Option<PathBuf>,
    /// A `~/.aws/credentials`-format file whose keys are accepted. When neither this nor
    /// [`ServeOptions::keys`] gives a key (and `no_auth` is off), a key pair is generated.
    pub credentials_file: Option<PathBuf>,
    /// Further accepted keys, given directly (embedding, tests).
    pub keys: Vec<Credentials>,
    /// Accept unsigned requests; the owner is then the access key a request names, if any.
    pub no_auth: bool,
    /// Phantom sites accepted in `name@site` launch configurations; the first is the default zone.
    pub sites: Vec<String>,
    /// How long a new instance stays `Pending` before `InService`.
    pub launch_delay: Duration,
    /// How long a terminated instance stays `Terminating` before it is gone.
    pub terminate_delay: Duration,
    /// Users of the REST API at `/api/dev` (see [`Users`] for the file format). With none, the
    /// REST API answers every call with 403 and no login succeeds.
    pub users: Users,
    /// How long a REST token from `POST /api/dev/token` stays valid (Phantom: 7 days).
    pub token_lifetime: Duration,
    /// Answer `GET /phantom-stats` with the server's counters (accepted connections), for
    /// benchmarks that show connection reuse. Off by default: the path is then a 404 like any
    /// other unknown path.
    pub stats: bool,
    /// The region the endpoint serves, named in ARNs (letters, digits and dashes).
    pub region: String,
    /// The 12-digit account id named in ARNs.
    pub account_id: String,
    /// Connection cap and timeouts (see [`ConnectionLimits`]).
    pub limits: ConnectionLimits,
    /// The most Auto Scaling groups one key may have (DescribeAccountLimits; AWS's default 200).
    pub max_groups: u32,
    /// The most launch configurations one key may have (AWS's default 200).
    pub max_launch_configurations: u32,
    /// The EC2 Availability Zones of the region (default subnets, DescribeAvailabilityZones);
    /// empty means the region's `a`, `b` and `c`.
    pub zones: Vec<String>,
    /// The factor lifecycle hook timeouts (heartbeat and global) are multiplied by: 1, AWS's
    /// timing, unless a test wants a 30 s heartbeat to pass in a fraction of a second.
    pub hook_timeout_scale: f64,
    /// The factor instance refresh times (warm-up, checkpoint delay, bake time, the one-hour
    /// wait for protected or Standby instances) are multiplied by: 1, AWS's timing.
    pub refresh_time_scale: f64,
    /// Behave as an AWS account created on or after 2024-10-01: CreateLaunchConfiguration
    /// answers 400 `UnsupportedOperation` (`phantom serve --no-launch-configurations`).
    pub no_launch_configurations: bool,
    /// The Query API's dialect: AWS's rules and wire form (the default), or Nimbus Phantom's
    /// (`phantom serve --dialect phantom`: its ten actions, its reply and error forms, its
    /// semantics; see `phantom`).
    pub dialect: Dialect,
    /// How long an instance that ended stays listed as `800-TERMINATED` (or `900-FAILED`) under
    /// the Phantom dialect, as Phantom's own listings kept it; unused under AWS's.
    pub ended_kept: Duration,
}

impl Default for ServeOptions {
    fn default() -> Self {
        ServeOptions {
            listen: SocketAddr::from(([127, 0, 0, 1], 0)),
            state: None,
            credentials_file: None,
            keys: Vec::new(),
            no_auth: false,
            sites: DEFAULT_SITES.iter().map(|s| s.to_string()).collect(),
            launch_delay: Duration::from_secs(2),
            terminate_delay: Duration::from_secs(2),
            users: Users::default(),
            token_lifetime: DEFAULT_TOKEN_LIFETIME,
            stats: false,
            region: DEFAULT_REGION.to_string(),
            account_id: DEFAULT_ACCOUNT_ID.to_string(),
            limits: ConnectionLimits::default(),
            max_groups: rows::account::DEFAULT_MAX_GROUPS,
            max_launch_configurations: rows::account::DEFAULT_MAX_LAUNCH_CONFIGURATIONS,
            zones: Vec::new(),
            hook_timeout_scale: 1.0,
            refresh_time_scale: 1.0,
            no_launch_configurations: false,
            dialect: Dialect::Aws,
            ended_kept: Duration::from_secs(120),
        }
    }
}

/// A running endpoint.
#[derive(Debug)]
pub struct RunningServer {
    /// The address it listens on (the real port when `listen` had port 0).
    pub addr: SocketAddr,
    /// The key pair generated at start, when no key was configured and auth is on.
    pub generated_credentials: Option<Credentials>,
    stop: Option<oneshot::Sender<()>>,
    task: Option<JoinHandle<()>>,
    engine: Option<JoinHandle<()>>,
    stats: Arc<front::Stats>,
}

impl RunningServer {
    /// The endpoint URL, `http://ADDR`.
    pub fn url(&self) -> String {
        format!("http://{}", self.addr)
    }

    /// TCP connections accepted since the server started (kept whether or not
    /// [`ServeOptions::stats`] exposes them over HTTP).
    pub fn accepted_connections(&self) -> u64 {
        self.stats.accepted()
    }

    /// Stops accepting requests, lets requests in flight finish (up to 5 s) and closes the store.
    pub async fn shutdown(mut self) {
        if let Some(engine) = self.engine.take() {
            engine.abort();
            let _ = engine.await;
        }
        if let Some(stop) = self.stop.take() {
            let _ = stop.send(());
        }
        if let Some(mut task) = self.task.take()
            && tokio::time::timeout(Duration::from_secs(5), &mut task)
                .await
                .is_err()
        {
            task.abort();
            let _ = task.await;
        }
    }
}

impl Drop for RunningServer {
    fn drop(&mut self) {
        if let Some(task) = self.task.take() {
            task.abort();
        }
        if let Some(engine) = self.engine.take() {
            engine.abort();
        }
    }
}

/// Opens the store, binds the listener and starts serving in the background.
pub async fn start(opts: ServeOptions) -> Result<RunningServer, Error> {
    let mut generated_credentials = None;
    let auth = if opts.no_auth {
        AuthPolicy::Open
    } else {
        let mut ring = match &opts.credentials_file {
            Some(path) => KeyRing::from_file(path)?,
            None => KeyRing::default(),
        };
        ring.extend(opts.keys.iter());
        if ring.is_empty() {
            let creds = keys::generate()?;
            ring.extend([&creds]);
            generated_credentials = Some(creds);
        }
        AuthPolicy::Keys(ring)
    };
    if opts.sites.is_empty() || opts.sites.iter().any(|s| s.is_empty() || s.contains('@')) {
        return Err(Error::Config(
            "sites must be a non-empty list of names without '@'".into(),
        ));
    }
    if opts.account_id.len() != 12 || !opts.account_id.bytes().all(|b| b.is_ascii_digit()) {
        return Err(Error::Config(
            "the account id must be 12 digits, e.g. 123456789012".into(),
        ));
    }
    let region_ok = (1..=64).contains(&opts.region.len())
        && opts
            .region
            .bytes()
            .all(|b| b.is_ascii_alphanumeric() || b == b'-')
        && !opts.region.starts_with('-')
        && !opts.region.ends_with('-');
    if !region_ok {
        return Err(Error::Config(
            "the region must be letters, digits and dashes, e.g. us-east-1".into(),
        ));
    }
    let limits = &opts.limits;
    if limits.max_connections == 0
        || limits.header_timeout.is_zero()
        || limits.idle_timeout.is_zero()
        || limits.body_timeout.is_zero()
    {
        return Err(Error::Config(
            "the connection cap and the header, idle and body timeouts must be above zero".into(),
        ));
    }
    let zones = if opts.zones.is_empty() {
        ["a", "b", "c"]
            .iter()
            .map(|s| format!("{}{s}", opts.region))
            .collect()
    } else {
        opts.zones.clone()
    };
    if zones
        .iter()
        .any(|z| z.is_empty() || !z.bytes().all(|b| b.is_ascii_alphanumeric() || b == b'-'))
    {
        return Err(Error::Config(
            "zones must be names of letters, digits and dashes, e.g. us-east-1a".into(),
        ));
    }
    if !(opts.hook_timeout_scale.is_finite() && opts.hook_timeout_scale > 0.0) {
        return Err(Error::Config(
            "the hook timeout scale must be a number above zero, e.g. 0.01".into(),
        ));
    }
    if !(opts.refresh_time_scale.is_finite() && opts.refresh_time_scale > 0.0) {
        return Err(Error::Config(
            "the refresh time scale must be a number above zero, e.g. 0.01".into(),
        ));
    }
    let millis = |d: Duration| i64::try_from(d.as_millis()).unwrap_or(i64::MAX / 4);
    let settings = Settings {
        sites: opts.sites.clone(),
        timing: Timing {
            launch_delay_ms: millis(opts.launch_delay),
            terminate_delay_ms: millis(opts.terminate_delay),
            hook_timeout_scale: opts.hook_timeout_scale,
            refresh_time_scale: opts.refresh_time_scale,
            ended_kept_ms: match opts.dialect {
                Dialect::Phantom => millis(opts.ended_kept),
                Dialect::Aws => 0,
            },
        },
        region: opts.region.clone(),
        account_id: opts.account_id.clone(),
        timers: timers::Wake::default(),
        quotas: rows::account::Quotas {
            max_groups: opts.max_groups,
            max_launch_configurations: opts.max_launch_configurations,
        },
        zones,
        no_launch_configurations: opts.no_launch_configurations,
        dialect: opts.dialect,
    };
    let state = opts.state.clone();
    let store = tokio::task::spawn_blocking(move || Store::open(state.as_deref()))
        .await
        .map_err(|e| Error::Config(format!("opening the state database failed: {e}")))??;
    let listener = tokio::net::TcpListener::bind(opts.listen)
        .await
        .map_err(|source| Error::Io {
            context: format!("listening on {}", opts.listen),
            source,
        })?;
    let addr = listener.local_addr().map_err(|source| Error::Io {
        context: "reading the listening address".into(),
        source,
    })?;
    let store = Arc::new(store);
    let rest = Arc::new(RestApp {
        users: opts.users.clone(),
        tokens: Tokens::new(opts.token_lifetime),
        backend: Arc::new(rest_api::StoreBackend::new(store.clone(), settings.clone())),
    });
    let engine = timers::spawn(store.clone(), settings.clone());
    let stats = Arc::new(front::Stats::default());
    let app = Arc::new(App {
        store,
        auth,
        settings,
        stats: opts.stats.then(|| stats.clone()),
    });
    let (stop, stopped) = oneshot::channel::<()>();
    let router = front::router(app).merge(endpoint::router(rest));
    let task = tokio::spawn(conn::serve(
        listener,
        router,
        opts.limits.clone(),
        stats.clone(),
        stopped,
    ));
    Ok(RunningServer {
        addr,
        generated_credentials,
        stop: Some(stop),
        task: Some(task),
        engine: Some(engine),
        stats,
    })
}

/// Runs the endpoint until Ctrl-C or SIGTERM. Prints the listening address and, when a key was
/// generated, the key pair — once, on stdout, the only place it ever appears.
pub async fn serve(opts: ServeOptions) -> Result<(), Error> {
    let where_state = match &opts.state {
        Some(p) => format!("state in {}", p.display()),
        None => "state in memory".to_string(),
    };
    let users = opts.users.len();
    let server = start(opts).await?;
    println!(
        "phantom serve: listening on {} ({where_state})",
        server.url()
    );
    if users > 0 {
        println!(
            "phantom serve: REST API at {}/api/dev for {users} user(s) of the users file",
            server.url()
        );
    }
    if let Some(creds) = &server.generated_credentials {
        println!(
            "phantom serve: generated key, printed only this once and stored nowhere (copy it \
             now): AWS_ACCESS_KEY_ID={} AWS_SECRET_ACCESS_KEY={}",
            creds.access_key_id(),
            creds.secret_access_key().expose()
        );
    }
    wait_for_stop_signal().await;
    server.shutdown().await;
    Ok(())
}

async fn wait_for_stop_signal() {
    #[cfg(unix)]
    {
        use tokio::signal::unix::{SignalKind, signal};
        match signal(SignalKind::terminate()) {
            Ok(mut term) => {
                tokio::select! {
                    _ = tokio::signal::ctrl_c() => {}
                    _ = term.recv() => {}
                }
            }
            Err(_) => {
                let _ = tokio::signal::ctrl_c().await;
            }
        }
    }
    #[cfg(not(unix))]
    {
        let _ = tokio::signal::ctrl_c().await;
    }
}
