//! The command line's grammar: every flag and subcommand, documented where it is defined.

use std::path::PathBuf;
use std::time::Duration;

use clap::{Args, Parser, Subcommand, ValueEnum};

use super::duration::parse_duration;
use super::rest_args::{CredentialsCommand, LoginArgs, SitesArgs};
use super::tasks::group_options::GroupOptions;
use super::tasks::hook::HookCommand;
use super::tasks::instances::{AttachArgs, DetachArgs, HealthArgs, ProtectArgs};
use super::tasks::policy::PolicyCommand;
use super::tasks::schedule::ScheduleCommand;
use super::tasks::standby::StandbyCommand;
use crate::config::{ApiChoice, Dialect, SignatureChoice};

/// Drive AWS Auto Scaling, Nimbus Phantom, Eucalyptus or moto the way the Phantom boto scripts did.
#[derive(Debug, Parser)]
#[command(
    name = "phantom",
    version,
    about,
    disable_help_subcommand = true,
    after_help = "Examples:\n  phantom demo\n  phantom lc create testlc1 hello-phantom.gz hotel\n  phantom domain create testDomain1 testlc1 1\n  phantom domain list\n\nKeys come from AWS_ACCESS_KEY_ID/AWS_SECRET_ACCESS_KEY, EC2_ACCESS_KEY/EC2_SECRET_KEY, \
--hotel-conf, or ~/.aws/credentials; never from the command line. Without any, commands fail \
unless --no-sign-request asks for unsigned requests.\n\nOutput: the seed scripts' lines unless \
--output, AWS_DEFAULT_OUTPUT or the profile's `output` says json, yaml, yaml-stream, text or table \
(the AWS CLI's formats, of the API's reply, after --query) or json-lines (one JSON object per line, \
streamed); --output seed asks for the seed's lines explicitly.\n\nThe options above apply to every \
command (`phantom help options` lists them alone); `phantom help COMMAND` explains one command."
)]
pub struct Cli {
    /// Options for every command.
    #[command(flatten)]
    pub global: GlobalArgs,
    /// What to do.
    #[command(subcommand)]
    pub command: Command,
}

/// How output is printed. All but `seed` and `json-lines` print the API's reply as the AWS CLI
/// prints it (after `--query`), once the command has succeeded (nothing on stdout when it
/// fails).
#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum OutputFormat {
    /// Lines like the seed's scripts print (the default when nothing chooses a format).
    Seed,
    /// The AWS CLI's text: tab-separated values, keys sorted, nested lists under their key.
    Text,
    /// One JSON document with the API's field names, indented by four spaces.
    Json,
    /// The AWS CLI's table: boxed sections (coloured with --color on, or on a terminal).
    Table,
    /// One YAML document.
    Yaml,
    /// A YAML sequence of the reply's pages (one here: the merged reply).
    #[value(name = "yaml-stream")]
    YamlStream,
    /// One complete JSON object per line, streamed: each item of a listing on its own line as it
    /// arrives (for very long listings); a failure stops the stream between two lines.
    #[value(name = "json-lines", alias = "ndjson")]
    JsonLines,
}

/// The HMAC of a SigV2 signature.
#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
#[allow(clippy::upper_case_acronyms)]
pub enum SignatureMethod {
    /// HMAC-SHA256 (what SigV2 servers expect today).
    #[value(name = "HmacSHA256")]
    HmacSHA256,
    /// HMAC-SHA1 (older servers; Phantom accepts it).
    #[value(name = "HmacSHA1")]
    HmacSHA1,
}

/// Options shared by every command.
#[derive(Debug, Clone, Args)]
pub struct GlobalArgs {
    /// Endpoint URL (else PHANTOM_URL, AWS_ENDPOINT_URL, the profile, or AWS's endpoint for the region).
    #[arg(long, global = true, value_name = "URL")]
    pub endpoint_url: Option<String>,
    /// Region (else AWS_REGION, AWS_DEFAULT_REGION, the profile, us-east-1).
    #[arg(long, global = true)]
    pub region: Option<String>,
    /// Profile in ~/.aws/credentials and ~/.aws/config (else AWS_PROFILE, default).
    #[arg(long, global = true)]
    pub profile: Option<String>,
    /// Server dialect: aws (AWS, moto, Eucalyptus) or phantom (Nimbus Phantom conventions, SigV2).
    #[arg(long, global = true, value_parser = parse_dialect)]
    pub dialect: Option<Dialect>,
    /// Signature version, overriding the dialect's default (phantom: v2, aws: v4).
    #[arg(long, global = true, value_parser = parse_signature)]
    pub signature: Option<SignatureChoice>,
    /// SigV2 hash: HmacSHA256 (default) or HmacSHA1, for old servers.
    #[arg(long, global = true, value_enum, default_value_t = SignatureMethod::HmacSHA256)]
    pub signature_method: SignatureMethod,
    /// A FutureGrid hotel.conf or cloud.properties holding vws.repository.s3id / s3key (else PHANTOM_HOTEL_CONF).
    #[arg(long, global = true, value_name = "FILE")]
    pub hotel_conf: Option<PathBuf>,
    /// Output format [default: AWS_DEFAULT_OUTPUT, else the profile's `output`, else seed].
    #[arg(long, global = true, value_enum)]
    pub output: Option<OutputFormat>,
    /// A JMESPath expression applied to the API's reply before it is printed (the whole reply
    /// of a listing, all its pages merged), as the AWS CLI's --query.
    #[arg(long, global = true, value_name = "JMESPATH", value_parser = parse_query)]
    pub query: Option<super::render::Query>,
    /// Colour tables: on, off, or auto (on when stdout is a terminal).
    #[arg(long, global = true, value_enum, default_value_t = super::output::ColorChoice::Auto)]
    pub color: super::output::ColorChoice,
    /// Trace every request and reply on stderr (signatures, tokens and secrets redacted).
    #[arg(long, global = true)]
    pub debug: bool,
    /// Send Query requests unsigned, without looking for credentials (as the AWS CLI's flag).
    #[arg(long, global = true)]
    pub no_sign_request: bool,
    /// Most pages one listing reads; a server that never stops giving NextToken ends in an error.
    #[arg(long, global = true, default_value_t = 1000, value_name = "N",
          value_parser = clap::value_parser!(u32).range(1..))]
    pub max_pages: u32,
    /// Attempts per call, the first included (else AWS_MAX_ATTEMPTS, the profile's
    /// `max_attempts`, 3; 5 when AWS_RETRY_MODE or `retry_mode` says legacy).
    #[arg(long, global = true, value_name = "N", value_parser = clap::value_parser!(u32).range(1..=20))]
    pub max_attempts: Option<u32>,
    /// Time allowed to connect, like 500ms or 10s; 0 for no limit (else the profile's
    /// `cli_connect_timeout`, 60s).
    #[arg(long, global = true, alias = "cli-connect-timeout", value_parser = parse_duration, value_name = "DURATION")]
    pub connect_timeout: Option<Duration>,
    /// Time allowed between reads of a reply; 0 for no limit (else the profile's
    /// `cli_read_timeout`, 60s).
    #[arg(long, global = true, alias = "cli-read-timeout", value_parser = parse_duration, value_name = "DURATION")]
    pub read_timeout: Option<Duration>,
    /// Time allowed for the whole command (every call, page and wait in it), and for each call
    /// [default: each call (connect timeout + read timeout) x attempts, 6 min; the command unbounded].
    #[arg(long, global = true, value_parser = parse_duration, value_name = "DURATION")]
    pub deadline: Option<Duration>,
    /// Largest reply accepted, in bytes.
    #[arg(long, global = true, default_value_t = 64 * 1024 * 1024, value_name = "BYTES")]
    pub max_reply_bytes: usize,
    /// Trust the CA certificates in this PEM file too (else AWS_CA_BUNDLE, the profile's
    /// `ca_bundle`).
    #[arg(long, global = true, value_name = "FILE")]
    pub ca_bundle: Option<PathBuf>,
    /// Do not verify TLS certificates (prints a warning; for test servers only).
    #[arg(long, global = true)]
    pub no_verify_ssl: bool,
    /// API: query or rest (else PHANTOM_API; else rest when the endpoint path ends in /api/dev).
    #[arg(long, global = true, value_enum)]
    pub api: Option<ApiChoice>,
    /// Use EC2 launch templates where launch configurations were used (`lc create`, `domain
    /// create NAME LC SIZE`), for accounts that cannot create launch configurations (else
    /// PHANTOM_LAUNCH_TEMPLATES=1, or `phantom_launch_templates = true` in the profile).
    #[arg(long, global = true)]
    pub launch_templates: bool,
}

fn parse_query(s: &str) -> Result<super::render::Query, String> {
    super::render::Query::parse(s)
}

fn parse_dialect(s: &str) -> Result<Dialect, String> {
    s.parse().map_err(|e: crate::Error| e.to_string())
}

fn parse_signature(s: &str) -> Result<SignatureChoice, String> {
    s.parse().map_err(|e: crate::Error| e.to_string())
}

/// The commands.
#[derive(Debug, Subcommand)]
pub enum Command {
    /// Launch configurations: create, list, delete.
    #[command(
        subcommand,
        after_help = "Example:\n  phantom lc create testlc1 hello-phantom.gz hotel\n  phantom lc list"
    )]
    Lc(LcCommand),
    /// EC2 launch templates: create, list, versions, update, delete.
    #[command(
        subcommand,
        after_help = "Example:\n  phantom lt create web ami-0abcdef1234567890\n  phantom lt list"
    )]
    Lt(super::lt::LtCommand),
    /// Domains (Auto Scaling groups): create, list, alter the n-preserving size, delete.
    #[command(
        subcommand,
        after_help = "Example:\n  phantom domain create testDomain1 testlc1 1\n  phantom domain alter testDomain1 3"
    )]
    Domain(DomainCommand),
    /// Instances in domains: list, terminate, health, protect, attach, detach.
    #[command(subcommand, after_help = "Example:\n  phantom instances list")]
    Instances(InstancesCommand),
    /// Scaling policies: put (simple, step, target tracking), list, delete, execute.
    #[command(
        subcommand,
        after_help = "Example:\n  phantom policy put web cpu50 --predefined-metric ASGAverageCPUUtilization --target 50"
    )]
    Policy(PolicyCommand),
    /// Scheduled actions: put (once or recurring), list, delete.
    #[command(
        subcommand,
        after_help = "Example:\n  phantom schedule put web nightly --recurrence '0 22 * * *' --desired 1"
    )]
    Schedule(ScheduleCommand),
    /// Lifecycle hooks: put, list, delete, complete, heartbeat.
    #[command(
        subcommand,
        after_help = "Example:\n  phantom hook put web drain --transition terminating"
    )]
    Hook(HookCommand),
    /// Move instances into or out of Standby.
    #[command(
        subcommand,
        after_help = "Example:\n  phantom standby enter web i-0123456789abcdef0"
    )]
    Standby(StandbyCommand),
    /// Tags on domains: list, set, delete.
    #[command(
        subcommand,
        after_help = "Example:\n  phantom tags set testDomain1 owner=alice"
    )]
    Tags(TagsCommand),
    /// Show a domain's scaling activities, newest first.
    #[command(after_help = "Example:\n  phantom activities testDomain1")]
    Activities(ActivitiesArgs),
    /// Wait for a condition.
    #[command(
        subcommand,
        after_help = "Example:\n  phantom wait in-service testDomain1"
    )]
    Wait(WaitCommand),
    /// Instance refreshes (replace a domain's instances): start, status, cancel, rollback.
    #[command(
        subcommand,
        after_help = "Example:\n  phantom refresh start testDomain1 --min-healthy-percentage 90 --wait\n  phantom refresh status testDomain1"
    )]
    Refresh(super::refresh::RefreshCommand),
    /// A domain's warm pool of pre-initialized instances: put, show, delete.
    #[command(
        subcommand,
        after_help = "Example:\n  phantom warm-pool put testDomain1 --min-size 2 --state Stopped\n  phantom warm-pool show testDomain1"
    )]
    WarmPool(super::warm_pool::WarmPoolCommand),
    /// Scaling processes: suspend, resume, list.
    #[command(
        subcommand,
        after_help = "Example:\n  phantom processes suspend testDomain1 AZRebalance\n  phantom processes list testDomain1"
    )]
    Processes(super::processes::ProcessesCommand),
    /// Show the account's limits on domains and launch configurations, and how many are used.
    #[command(after_help = "Example:\n  phantom limits")]
    Limits(super::limits::LimitsArgs),
    /// Call any operation of the API by name, with its input and reply as JSON (Query API).
    #[command(after_help = super::api::EXAMPLES)]
    Api(super::api::ApiArgs),
    /// Run the built-in Auto Scaling endpoint on this machine.
    #[command(
        long_about = "Run the built-in Auto Scaling endpoint on this machine.\n\nNotification configurations (PutNotificationConfiguration) are stored and described, but no message is ever sent: the endpoint has no SNS. POST /moto-api/reset clears all state (as moto's server mode does; signed when keys are in use), and GET /health answers 200 without authentication.",
        after_help = "Example:\n  phantom serve --listen 127.0.0.1:8445 --state ./phantom.db --credentials ~/.aws/credentials --users ./users"
    )]
    Serve(ServeArgs),
    /// Run the seed's sample session against a built-in endpoint started for the occasion.
    #[command(after_help = "Examples:\n  phantom demo\n  phantom demo --api rest")]
    Demo(DemoArgs),
    /// Get a token for Phantom's REST API and save it (USER_ID and TOKEN, when set, win over it).
    #[command(
        after_help = "Example:\n  phantom login alice --endpoint-url https://phantom.nimbusproject.org/api/dev\n  printf '%s' \"$PASSWORD\" | phantom login alice --password-stdin"
    )]
    Login(LoginArgs),
    /// List Phantom's cloud sites (REST API).
    #[command(after_help = "Example:\n  phantom sites --details")]
    Sites(SitesArgs),
    /// Your credentials for Phantom's sites (REST API): list, show, add, update, remove.
    #[command(subcommand, after_help = "Example:\n  phantom credentials list")]
    Credentials(CredentialsCommand),
    /// Print a shell completion script (bash, zsh, fish, powershell, elvish).
    #[command(after_help = super::completion::COMPLETION_EXAMPLES)]
    Completion(super::completion::CompletionArgs),
    /// Print the man page (roff) of phantom, or of one command.
    #[command(after_help = super::completion::MAN_EXAMPLES)]
    Man(super::completion::ManArgs),
    /// Explain a command, or the global options (`phantom help options`).
    #[command(after_help = "Examples:\n  phantom help options\n  phantom help domain list")]
    Help(super::completion::HelpArgs),
}

/// `phantom lc ...`
#[derive(Debug, Subcommand)]
pub enum LcCommand {
    /// Create a launch configuration (Phantom: NAME@SITE, one per site).
    #[command(after_help = "Example:\n  phantom lc create testlc1 hello-phantom.gz hotel")]
    Create(LcCreateArgs),
    /// List launch configuration names (Phantom: without @site).
    #[command(after_help = "Example:\n  phantom lc list")]
    List(NamesArgs),
    /// Delete a launch configuration (Phantom: NAME@SITE directly, NAME SITE... for those sites, or NAME alone for every site found by listing).
    #[command(
        after_help = "Example:\n  phantom lc delete testlc1\n  phantom lc delete testlc1 hotel sierra\n  phantom lc delete testlc1@hotel"
    )]
    Delete(LcDeleteArgs),
}

/// Arguments of `lc delete`.
#[derive(Debug, Args)]
pub struct LcDeleteArgs {
    /// Launch configuration name (Phantom: NAME or NAME@SITE).
    pub name: String,
    /// Phantom sites to delete NAME@SITE from, without listing first (default: every site
    /// found by listing the launch configurations).
    pub sites: Vec<String>,
}

/// Arguments of `lc create`.
#[derive(Debug, Args)]
pub struct LcCreateArgs {
    /// Launch configuration name.
    pub name: String,
    /// Image (AMI id, or a Phantom image name like hello-phantom.gz).
    pub image: String,
    /// Phantom site (hotel, sierra, foxtrot, alamo, ...); required by Phantom, ignored by AWS.
    pub site: Option<String>,
    /// Instance type.
    #[arg(long, default_value = "m1.small")]
    pub instance_type: String,
    /// Key pair name.
    #[arg(long)]
    pub key_name: Option<String>,
    /// Security groups, comma-separated.
    #[arg(long, value_delimiter = ',')]
    pub security_groups: Vec<String>,
    /// File whose contents become the user data (sent base64-encoded).
    #[arg(long, value_name = "FILE")]
    pub user_data_file: Option<PathBuf>,
}

/// A list of names (all when empty).
#[derive(Debug, Args)]
pub struct NamesArgs {
    /// Names to show (all when none).
    pub names: Vec<String>,
}

/// `phantom domain ...`
#[derive(Debug, Subcommand)]
pub enum DomainCommand {
    /// Create a domain of SIZE instances from a launch configuration or launch template (n-preserving: min = max = SIZE).
    #[command(
        allow_missing_positional = true,
        after_help = super::templates::DOMAIN_CREATE_HELP
    )]
    Create(DomainCreateArgs),
    /// List domains with their instances.
    #[command(after_help = "Example:\n  phantom domain list")]
    List(NamesArgs),
    /// Change a domain's n-preserving size, or (AWS) its sizes and settings.
    #[command(
        after_help = "Examples:\n  phantom domain alter testDomain1 3\n  phantom domain alter web --min 1 --max 6 --health-check-type ELB --health-check-grace-period 120"
    )]
    Alter(DomainAlterArgs),
    /// Delete a domain (Phantom: with its instances; AWS: add --force when it has instances).
    #[command(after_help = "Example:\n  phantom domain delete testDomain1")]
    Delete(DomainDeleteArgs),
}

/// Arguments of `domain create`.
#[derive(Debug, Args)]
pub struct DomainCreateArgs {
    /// Domain (group) name.
    pub name: String,
    /// Launch configuration name (or launch template, when no launch configuration has it);
    /// left out with --launch-template.
    #[arg(value_name = "LC")]
    pub lc: Option<String>,
    /// Number of instances to keep.
    #[arg(value_parser = clap::value_parser!(i32).range(0..))]
    pub size: i32,
    /// Availability zones, comma-separated (Phantom: the launch configuration's sites; AWS: <region>a).
    #[arg(long, value_delimiter = ',')]
    pub zones: Vec<String>,
    /// Minimum size (default SIZE).
    #[arg(long, value_parser = clap::value_parser!(i32).range(0..))]
    pub min: Option<i32>,
    /// Maximum size (default SIZE).
    #[arg(long, value_parser = clap::value_parser!(i32).range(0..))]
    pub max: Option<i32>,
    /// Tags KEY=VALUE, e.g. PHANTOM_DEFINITION=multi_site_n_preserving (repeatable).
    #[arg(long = "tag", value_name = "KEY=VALUE")]
    pub tags: Vec<String>,
    /// Copy the --tag tags to the instances the group launches.
    #[arg(long, requires = "tags")]
    pub propagate_tags: bool,
    /// Group settings (AWS).
    #[command(flatten)]
    pub group: GroupOptions,
    /// Launch template, subnets, mixed instances (AWS).
    #[command(flatten)]
    pub template: Box<super::templates::TemplateArgs>,
    /// Wait until SIZE instances are InService and none is pending or terminating (`wait capacity`).
    #[arg(long)]
    pub wait: bool,
    /// How long --wait waits.
    #[arg(long, value_parser = parse_duration, default_value = "10m")]
    pub timeout: Duration,
}

/// Arguments of `domain alter`.
#[derive(Debug, Args)]
pub struct DomainAlterArgs {
    /// Domain name.
    pub name: String,
    /// The new size (an n-preserving domain keeps min = max = SIZE).
    #[arg(value_parser = clap::value_parser!(i32).range(0..))]
    pub size: Option<i32>,
    /// New minimum size (AWS).
    #[arg(long, value_parser = clap::value_parser!(i32).range(0..))]
    pub min: Option<i32>,
    /// New maximum size (AWS).
    #[arg(long, value_parser = clap::value_parser!(i32).range(0..))]
    pub max: Option<i32>,
    /// Group settings to change (AWS).
    #[command(flatten)]
    pub group: GroupOptions,
}

/// Arguments of `domain delete`.
#[derive(Debug, Args)]
pub struct DomainDeleteArgs {
    /// Domain name.
    pub name: String,
    /// Delete even if it still has instances (they are terminated).
    #[arg(long)]
    pub force: bool,
}

/// `phantom instances ...`
#[derive(Debug, Subcommand)]
pub enum InstancesCommand {
    /// List instances (all, or the given ids).
    #[command(after_help = "Example:\n  phantom instances list")]
    List(IdsArgs),
    /// Terminate an instance; its domain replaces it unless --decrement.
    #[command(
        after_help = "Example:\n  phantom instances terminate i-0123456789abcdef0 --decrement"
    )]
    Terminate(TerminateArgs),
    /// Mark an instance Healthy or Unhealthy (an Unhealthy one is replaced).
    #[command(
        after_help = "Example:\n  phantom instances health i-0123456789abcdef0 Unhealthy --respect-grace-period"
    )]
    Health(HealthArgs),
    /// Protect instances from scale-in (or, with --off, stop protecting them).
    #[command(
        after_help = "Example:\n  phantom instances protect web i-0123456789abcdef0\n  phantom instances protect web i-0123456789abcdef0 --off"
    )]
    Protect(ProtectArgs),
    /// Attach running EC2 instances to a domain (its desired capacity grows by as many).
    #[command(after_help = "Example:\n  phantom instances attach web i-0123456789abcdef0")]
    Attach(AttachArgs),
    /// Detach instances from a domain (replaced unless --decrement); they keep running.
    #[command(
        after_help = "Example:\n  phantom instances detach web i-0123456789abcdef0 --decrement"
    )]
    Detach(DetachArgs),
}

/// Instance ids.
#[derive(Debug, Args)]
pub struct IdsArgs {
    /// Instance ids (all when none).
    pub ids: Vec<String>,
    /// Add each instance's private IP, public IP and DNS name (EC2's DescribeInstances).
    #[arg(long)]
    pub addresses: bool,
}

/// Arguments of `instances terminate`.
#[derive(Debug, Args)]
pub struct TerminateArgs {
    /// Instance id.
    pub id: String,
    /// Lower the domain's size by one instead of replacing the instance.
    #[arg(long)]
    pub decrement: bool,
}

/// `phantom tags ...`
#[derive(Debug, Subcommand)]
pub enum TagsCommand {
    /// List tags (all, or one domain's).
    #[command(after_help = "Example:\n  phantom tags list --domain testDomain1")]
    List(TagsListArgs),
    /// Create or update tags on a domain.
    #[command(
        after_help = "Example:\n  phantom tags set testDomain1 owner=alice PHANTOM_DEFINITION=single_site_n_preserving"
    )]
    Set(TagsSetArgs),
    /// Delete tags from a domain.
    #[command(after_help = "Example:\n  phantom tags delete testDomain1 owner")]
    Delete(TagsDeleteArgs),
}

/// Arguments of `tags list`.
#[derive(Debug, Args)]
pub struct TagsListArgs {
    /// Only this domain's tags.
    #[arg(long)]
    pub domain: Option<String>,
}

/// Arguments of `tags set`.
#[derive(Debug, Args)]
pub struct TagsSetArgs {
    /// Domain name.
    pub domain: String,
    /// Tags as KEY=VALUE.
    #[arg(required = true, value_name = "KEY=VALUE")]
    pub tags: Vec<String>,
    /// Propagate the tags to instances at launch.
    #[arg(long)]
    pub propagate: bool,
}

/// Arguments of `tags delete`.
#[derive(Debug, Args)]
pub struct TagsDeleteArgs {
    /// Domain name.
    pub domain: String,
    /// Tag keys.
    #[arg(required = true)]
    pub keys: Vec<String>,
}

/// Arguments of `activities`.
#[derive(Debug, Args)]
pub struct ActivitiesArgs {
    /// Domain name.
    pub name: String,
    /// Show at most this many.
    #[arg(long)]
    pub max: Option<usize>,
}

/// `phantom wait ...`
#[derive(Debug, Subcommand)]
pub enum WaitCommand {
    /// Wait until a domain exists.
    #[command(after_help = "Example:\n  phantom wait exists testDomain1 --timeout 1m")]
    Exists(super::wait::WaitArgs),
    /// Wait until a domain is gone (deleted).
    #[command(
        after_help = "Example:\n  phantom domain delete testDomain1 --force\n  phantom wait gone testDomain1"
    )]
    Gone(super::wait::WaitArgs),
    /// Wait until at least MinSize instances of a domain are InService (the AWS SDKs' rule: a
    /// domain of min 0 passes at once; see `wait capacity`). Ends at once on a failed launch.
    #[command(after_help = "Example:\n  phantom wait in-service testDomain1 --timeout 5m")]
    InService(super::wait::WaitArgs),
    /// Wait until a domain has its desired number of instances InService and none pending or
    /// terminating (what `domain create --wait` waits for). Ends at once on a failed launch.
    #[command(
        after_help = "Example:\n  phantom domain alter testDomain1 3\n  phantom wait capacity testDomain1 --timeout 5m"
    )]
    Capacity(super::wait::WaitArgs),
    /// Wait until an instance refresh is Successful; Failed, Cancelled, RollbackSuccessful and
    /// RollbackFailed end the wait at once with the server's reason.
    #[command(
        after_help = "Example:\n  phantom wait refresh testDomain1\n  phantom wait refresh testDomain1 08b91cf7-8fa6-48af-b6a6-d227f40f1b9b --timeout 2h"
    )]
    Refresh(super::wait::WaitRefreshArgs),
}

/// Arguments of `serve`.
#[derive(Debug, Args)]
pub struct ServeArgs {
    /// Address to listen on.
    #[arg(long, default_value = "127.0.0.1:8445")]
    pub listen: std::net::SocketAddr,
    /// SQLite file holding the state (in memory when not given).
    #[arg(long, value_name = "PATH")]
    pub state: Option<PathBuf>,
    /// Accepted keys, in the ~/.aws/credentials format (else one key is generated and printed).
    #[arg(long, value_name = "FILE")]
    pub credentials: Option<PathBuf>,
    /// Accept unsigned requests (every caller is one anonymous user).
    #[arg(long)]
    pub no_auth: bool,
    /// Phantom sites, comma-separated.
    #[arg(
        long,
        value_delimiter = ',',
        default_value = "hotel,sierra,foxtrot,alamo"
    )]
    pub sites: Vec<String>,
    /// EC2 Availability Zones, comma-separated (default: the region's a, b and c).
    #[arg(long, value_delimiter = ',', value_name = "ZONES")]
    pub zones: Vec<String>,
    /// Time a new instance spends Pending before InService.
    #[arg(long, value_parser = parse_duration, default_value = "2s")]
    pub launch_delay: Duration,
    /// Time a terminated instance spends Terminating before it is gone.
    #[arg(long, value_parser = parse_duration, default_value = "1s")]
    pub terminate_delay: Duration,
    /// Testing aid: multiply lifecycle hook timeouts by this (0.01 makes AWS's 30 s minimum
    /// heartbeat 0.3 s); 1 is AWS's timing.
    #[arg(long, default_value_t = 1.0, value_name = "FACTOR")]
    pub hook_timeout_scale: f64,
    /// Testing aid: multiply instance refresh times (warm-up, checkpoint delay, bake time) by
    /// this; 1 is AWS's timing.
    #[arg(long, default_value_t = 1.0, value_name = "FACTOR")]
    pub refresh_time_scale: f64,
    /// Users of the REST API at /api/dev: one `username:password[:ACCESSKEY]` a line, user ids in
    /// file order from 1; ACCESSKEY makes the user share that Query key's objects.
    #[arg(long, value_name = "FILE")]
    pub users: Option<PathBuf>,
    /// How long a REST token stays valid.
    #[arg(long, value_parser = parse_duration, default_value = "168h", value_name = "DURATION")]
    pub token_lifetime: Duration,
    /// Answer GET /phantom-stats with the count of accepted connections (for benchmarks).
    #[arg(long)]
    pub stats: bool,
    /// The 12-digit account id in ARNs (the region in them is --region, else us-east-1).
    #[arg(long, default_value = "123456789012", value_name = "ID")]
    pub account_id: String,
    /// Most connections open at once; at the cap, accepting pauses and the connection idle (or
    /// sending its head) the longest is closed. Requests in progress are never cut.
    #[arg(long, default_value_t = 512, value_name = "N", value_parser = clap::value_parser!(u32).range(1..))]
    pub max_connections: u32,
    /// Time a client has to send a request's headers, from their first byte (or from connecting).
    #[arg(long, value_parser = parse_duration, default_value = "10s", value_name = "DURATION")]
    pub header_timeout: Duration,
    /// Time a keep-alive connection may stay idle between requests before it is closed.
    #[arg(long, value_parser = parse_duration, default_value = "60s", value_name = "DURATION")]
    pub idle_timeout: Duration,
    /// Time a client has to send a request's body in full, from the end of its headers.
    #[arg(long, value_parser = parse_duration, default_value = "60s", value_name = "DURATION")]
    pub body_timeout: Duration,
    /// Most Auto Scaling groups one key may have (DescribeAccountLimits; past it, LimitExceeded).
    #[arg(long, default_value_t = 200, value_name = "N")]
    pub max_groups: u32,
    /// Most launch configurations one key may have (past it, LimitExceeded).
    #[arg(long, default_value_t = 200, value_name = "N")]
    pub max_launch_configurations: u32,
    /// Behave as an AWS account created on or after 2024-10-01: CreateLaunchConfiguration
    /// answers 400 UnsupportedOperation (use launch templates).
    #[arg(long)]
    pub no_launch_configurations: bool,
}

/// Arguments of `demo`.
#[derive(Debug, Args)]
pub struct DemoArgs {
    /// Time a new instance spends Pending in the demo's endpoint.
    #[arg(long, value_parser = parse_duration, default_value = "1s")]
    pub launch_delay: Duration,
}
