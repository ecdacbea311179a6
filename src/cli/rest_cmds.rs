//! The commands over Phantom's REST API (`/api/dev`), printed as the seed's REST scripts print
//! (`lc_create.py`, `lc_list.py`, `domain_list.py`, `domain_delete.py`), or with `--output json`
//! as the server's JSON objects.
//!
//! A command runs here when the resolved configuration's API is REST (`--api rest`,
//! `PHANTOM_API=rest`, or an endpoint whose path ends in `/api/dev`: see [`crate::config::resolve()`]);
//! `login`, `sites` and `credentials` always do. Names are resolved to ids the way the seed's scripts do it: list, find by name, act
//! by id. The token comes from `USER_ID` + `TOKEN`, else the token file `phantom login` wrote
//! (only the token saved for this endpoint). A 403 says how to get a new token.
//!
//! `--output json` prints one document once the command has succeeded; `--output json-lines`
//! prints each object of a list on its own line.

use std::collections::BTreeMap;
use std::io::{self, Write};
use std::time::{Duration, Instant};

use serde::Serialize;
use serde_json::{Value, json};

use super::args::*;
use super::rest_args::*;
use super::secret_input;
use crate::config::{Environment, ResolvedConfig};
use crate::error::Error;
use crate::rest::token_file::{find_token, save, token_file_path};
use crate::rest::{
    Client, CloudParams, Domain, DomainInput, Instance, LaunchConfiguration,
    LaunchConfigurationInput, SiteCredentialsInput,
};

/// The lifecycle state of a running Phantom instance.
const RUNNING: &str = "600-RUNNING";

/// A ready client and the output format.
struct Context {
    client: Client,
    format: OutputFormat,
}

impl Context {
    /// Whether JSON (a document or lines) was asked for.
    fn json(&self) -> bool {
        self.format != OutputFormat::Seed
    }

    /// Prints one object (JSON modes; nothing in text mode).
    fn value<T: Serialize + ?Sized>(&self, value: &T) -> Result<(), Error> {
        print_value(self.format, value)
    }

    /// Prints a list: a JSON array, or one line per item (JSON modes; nothing in text mode).
    fn items<T: Serialize>(&self, items: &[T]) -> Result<(), Error> {
        match self.format {
            OutputFormat::Seed => Ok(()),
            OutputFormat::Json => print_json(items),
            OutputFormat::JsonLines => {
                let mut out = io::BufWriter::new(io::stdout().lock());
                for item in items {
                    let mut line = serde_json::to_vec(item).map_err(|e| io_error(e.into()))?;
                    line.push(b'\n');
                    out.write_all(&line).map_err(io_error)?;
                }
                out.flush().map_err(io_error)
            }
            other => rendered(other, items),
        }
    }
}

/// Prints a REST reply in one of the AWS CLI's formats (yaml, text, table).
fn rendered<T: Serialize + ?Sized>(format: OutputFormat, value: &T) -> Result<(), Error> {
    let value = serde_json::to_value(value).map_err(|e| io_error(e.into()))?;
    let output = super::output::Output {
        format,
        query: None,
        color: super::output::ColorChoice::Auto,
    };
    output.print_document(value, None)
}

/// Prints one object in a JSON mode (nothing in text mode).
fn print_value<T: Serialize + ?Sized>(format: OutputFormat, value: &T) -> Result<(), Error> {
    match format {
        OutputFormat::Seed => Ok(()),
        OutputFormat::Json => print_json(value),
        OutputFormat::JsonLines => {
            let mut line = serde_json::to_vec(value).map_err(|e| io_error(e.into()))?;
            line.push(b'\n');
            let mut out = io::stdout().lock();
            out.write_all(&line).map_err(io_error)?;
            out.flush().map_err(io_error)
        }
        other => rendered(other, value),
    }
}

/// The names asked for that no listed item matched, as "no such KIND a, b" (`Ok` when none).
fn all_found(kind: &str, asked: &[String], found: &[&str]) -> Result<(), Error> {
    let missing: Vec<&str> = asked
        .iter()
        .map(String::as_str)
        .filter(|n| !found.contains(n))
        .collect();
    if missing.is_empty() {
        Ok(())
    } else {
        Err(Error::NotFound(format!("{kind} {}", missing.join(", "))))
    }
}

/// A 403 means the token was refused: says which token and how to get a new one.
fn hint_login(error: Error, source: &str, endpoint: &str) -> Error {
    match error {
        Error::Service(mut e) if e.status == 403 => {
            let how = if source.starts_with("environment") {
                "get a new one with `phantom login USER` and set TOKEN to it (or unset USER_ID \
                 and TOKEN to use the saved one)"
                    .to_string()
            } else {
                format!("it may have expired: run `phantom login USER --endpoint-url {endpoint}`")
            };
            e.message = format!(
                "{}{}(the server refused the REST token from {source}; {how})",
                e.message,
                if e.message.is_empty() { "" } else { " " }
            );
            Error::Service(e)
        }
        other => other,
    }
}

/// Runs one command over the REST API.
pub async fn execute(
    global: &GlobalArgs,
    resolved: &ResolvedConfig,
    env: &dyn Environment,
    command: Command,
) -> Result<(), Error> {
    let config = resolved.rest()?;
    super::warn_if_unverified(resolved);
    if global.debug {
        eprintln!("[debug] REST API at {}", config.base_url);
    }
    let format = global.output.unwrap_or(OutputFormat::Seed);
    if let Command::Api(_) = command {
        return Err(super::api::refused_under_rest());
    }
    if let Command::Login(a) = command {
        return login(Client::new(config)?, env, a, format).await;
    }
    let endpoint = config.base_url.clone();
    let (token, source) = find_token(env, &endpoint)?.ok_or_else(|| {
        Error::Config(format!(
            "no REST token for {endpoint}: run `phantom login USER` first, or set USER_ID and TOKEN"
        ))
    })?;
    if global.debug {
        eprintln!("[debug] REST token of user {} from {source}", token.user_id);
    }
    let ctx = Context {
        client: Client::new(config)?.with_token(token),
        format,
    };
    run_command(&ctx, env, command)
        .await
        .map_err(|e| hint_login(e, &source, &endpoint))
}

async fn run_command(ctx: &Context, env: &dyn Environment, command: Command) -> Result<(), Error> {
    match command {
        Command::Lc(LcCommand::Create(a)) => lc_create(ctx, a).await,
        Command::Lc(LcCommand::List(a)) => lc_list(ctx, a).await,
        Command::Lc(LcCommand::Delete(a)) => lc_delete(ctx, a).await,
        Command::Domain(DomainCommand::Create(a)) if !a.group.is_empty() || a.propagate_tags => {
            Err(unsupported(
                "--health-check-type, --health-check-grace-period, \
                --termination-policies, --default-cooldown, --max-instance-lifetime, \
                --capacity-rebalance and --propagate-tags",
            ))
        }
        Command::Domain(DomainCommand::Create(a)) => domain_create(ctx, a).await,
        Command::Domain(DomainCommand::List(a)) => domain_list(ctx, a).await,
        Command::Domain(DomainCommand::Alter(a))
            if !a.group.is_empty() || a.min.is_some() || a.max.is_some() || a.size.is_none() =>
        {
            Err(unsupported(
                "domain alter without SIZE, or with options (only `domain alter NAME SIZE`)",
            ))
        }
        Command::Domain(DomainCommand::Alter(a)) => domain_alter(ctx, a).await,
        Command::Domain(DomainCommand::Delete(a)) => domain_delete(ctx, a).await,
        Command::Instances(InstancesCommand::List(a)) => instances_list(ctx, a).await,
        Command::Instances(InstancesCommand::Terminate(a)) => instances_terminate(ctx, a).await,
        Command::Instances(_) => Err(super::tasks::rest_refusal(
            "instances health|protect|attach|detach",
        )),
        Command::Policy(_) => Err(super::tasks::rest_refusal("policy")),
        Command::Schedule(_) => Err(super::tasks::rest_refusal("schedule")),
        Command::Hook(_) => Err(super::tasks::rest_refusal("hook")),
        Command::Standby(_) => Err(super::tasks::rest_refusal("standby")),
        Command::Sites(a) => sites(ctx, a).await,
        Command::Credentials(c) => credentials(ctx, env, c).await,
        Command::Refresh(_)
        | Command::WarmPool(_)
        | Command::Processes(_)
        | Command::Limits(_) => Err(Error::Config(
            "refresh, warm-pool, processes and limits are Query API commands; Phantom's REST API \
             has no such call (use --api query)"
                .into(),
        )),
        Command::Tags(_) | Command::Activities(_) | Command::Wait(_) => Err(Error::Config(
            "tags, activities and wait are Query API commands; Phantom's REST API has no such \
             call (use --api query)"
                .into(),
        )),
        Command::Api(_) => Err(super::api::refused_under_rest()),
        Command::Login(_)
        | Command::Serve(_)
        | Command::Demo(_)
        | Command::Lt(_)
        | Command::Completion(_)
        | Command::Man(_)
        | Command::Help(_) => {
            Err(Error::Config("not a REST API command".into()))
        }
    }
}

fn io_error(e: io::Error) -> Error {
    Error::Io {
        context: "writing to stdout".into(),
        source: e,
    }
}

/// Prints text lines (text mode).
fn print_lines(lines: &[String]) -> Result<(), Error> {
    let mut out = io::BufWriter::new(io::stdout().lock());
    for line in lines {
        writeln!(out, "{line}").map_err(io_error)?;
    }
    out.flush().map_err(io_error)
}

/// Prints a JSON value, pretty (JSON mode).
fn print_json<T: Serialize + ?Sized>(value: &T) -> Result<(), Error> {
    let mut out = io::BufWriter::new(io::stdout().lock());
    serde_json::to_writer_pretty(&mut out, value).map_err(|e| io_error(e.into()))?;
    writeln!(out).map_err(io_error)?;
    out.flush().map_err(io_error)
}

async fn login(
    client: Client,
    env: &dyn Environment,
    a: LoginArgs,
    format: OutputFormat,
) -> Result<(), Error> {
    let password = if a.password_stdin {
        secret_input::from_stdin("password")?
    } else if secret_input::stdin_is_terminal() {
        secret_input::prompt(&format!("Password for {}: ", a.user))?
    } else {
        return Err(Error::Config(
            "no terminal to ask for the password on; pipe it in with --password-stdin".into(),
        ));
    };
    let endpoint = client.config().base_url.clone();
    let token = client
        .login(&a.user, &password)
        .await
        .map_err(|e| match e {
            // Phantom says so with HTTP 200 and `"success": false`: say it plainly.
            Error::Service(s) if s.code == "LoginFailed" => Error::Failed {
                operation: format!("login as {} at {endpoint}", a.user),
                message: format!(
                    "the user name or password was refused{}",
                    if s.message.is_empty() {
                        String::new()
                    } else {
                        format!(" (the server said: {})", s.message)
                    }
                ),
            },
            other => other,
        })?;
    let path = token_file_path(env).ok_or_else(|| {
        Error::Config("no place for the token file: set PHANTOM_TOKEN_FILE or HOME".into())
    })?;
    save(&path, &endpoint, &token)?;
    if format != OutputFormat::Seed {
        print_value(
            format,
            &json!({"user": token.user_id, "endpoint": endpoint, "token_file": path.display().to_string()}),
        )
    } else {
        print_lines(&[format!(
            "Logged in as {} (user id {}); token saved to {}",
            a.user,
            token.user_id,
            path.display()
        )])
    }
}

fn unsupported(what: &str) -> Error {
    Error::Config(format!("{what} is not available over Phantom's REST API"))
}

async fn lc_create(ctx: &Context, a: LcCreateArgs) -> Result<(), Error> {
    if a.key_name.is_some() {
        return Err(unsupported(
            "--key-name (the site credentials' key name is used)",
        ));
    }
    if !a.security_groups.is_empty() {
        return Err(unsupported("--security-groups"));
    }
    let site = a.site.ok_or_else(|| {
        Error::Config(format!(
            "Phantom launch configurations name their site: phantom lc create {} {} SITE",
            a.name, a.image
        ))
    })?;
    let user_data = match &a.user_data_file {
        Some(path) => Some(
            String::from_utf8_lossy(&std::fs::read(path).map_err(|e| Error::Io {
                context: format!("reading user data {}", path.display()),
                source: e,
            })?)
            .into_owned(),
        ),
        None => None,
    };
    let input = LaunchConfigurationInput {
        name: a.name,
        cloud_params: BTreeMap::from([(site, CloudParams::new(a.image, a.instance_type))]),
        contextualization_method: user_data.as_ref().map(|_| "user_data".to_string()),
        user_data,
    };
    let lc = ctx.client.create_launch_configuration(&input).await?;
    if ctx.json() {
        ctx.value(&lc)
    } else {
        print_lines(&[format!("LC created with id {}", lc.id)])
    }
}

async fn lc_list(ctx: &Context, a: NamesArgs) -> Result<(), Error> {
    let lcs: Vec<LaunchConfiguration> = ctx
        .client
        .launch_configurations()
        .await?
        .into_iter()
        .filter(|lc| a.names.is_empty() || a.names.contains(&lc.name))
        .collect();
    let found: Vec<&str> = lcs.iter().map(|lc| lc.name.as_str()).collect();
    all_found("launch configuration", &a.names, &found)?;
    if ctx.json() {
        ctx.items(&lcs)
    } else {
        print_lines(&lcs.iter().map(|lc| lc.name.clone()).collect::<Vec<_>>())
    }
}

async fn find_lc(ctx: &Context, name: &str) -> Result<LaunchConfiguration, Error> {
    ctx.client
        .launch_configurations()
        .await?
        .into_iter()
        .find(|lc| lc.name == name)
        .ok_or_else(|| Error::NotFound(format!("launch configuration {name}")))
}

async fn find_domain(ctx: &Context, name: &str) -> Result<Domain, Error> {
    ctx.client
        .domains()
        .await?
        .into_iter()
        .find(|d| d.name == name)
        .ok_or_else(|| Error::NotFound(format!("domain {name}")))
}

async fn lc_delete(ctx: &Context, a: LcDeleteArgs) -> Result<(), Error> {
    if !a.sites.is_empty() {
        return Err(unsupported(
            "deleting a launch configuration from some sites only (a REST launch configuration \
             holds all its sites; `phantom lc delete NAME` deletes it)",
        ));
    }
    let lc = find_lc(ctx, &a.name).await?;
    ctx.client.delete_launch_configuration(&lc.id).await?;
    ctx.value(&lc)
}

async fn domain_create(ctx: &Context, a: DomainCreateArgs) -> Result<(), Error> {
    if !a.zones.is_empty() || a.min.is_some() || a.max.is_some() || !a.tags.is_empty() {
        return Err(unsupported(
            "--zones, --min, --max and --tag (sites come from the launch configuration)",
        ));
    }
    if a.template.is_given() {
        return Err(unsupported(
            "--launch-template, --subnets and --instance-types",
        ));
    }
    let lc = a.lc.ok_or_else(|| {
        Error::Config("domain create over Phantom's REST API needs NAME LC SIZE".into())
    })?;
    let input = DomainInput::multicloud(a.name, lc, i64::from(a.size));
    let domain = ctx.client.create_domain(&input).await?;
    if a.wait {
        wait_running(ctx, &domain, a.size.max(0) as usize, a.timeout).await?;
    }
    ctx.value(&domain)
}

/// Polls a domain's instances until `want` are running. Lasts the whole `timeout` (the last sleep
/// is cut to end there, and one more poll is made); ends at once on an instance whose launch
/// failed (`900-FAILED`, `950-REJECTED`), naming it and any reason the server gave.
async fn wait_running(
    ctx: &Context,
    domain: &Domain,
    want: usize,
    timeout: Duration,
) -> Result<(), Error> {
    let operation = format!("wait for domain {}", domain.name);
    let start = Instant::now();
    loop {
        let instances = ctx.client.instances(&domain.id).await?;
        let running = instances
            .iter()
            .filter(|i| i.lifecycle_state == RUNNING)
            .count();
        if running >= want {
            return Ok(());
        }
        if let Some(failed) = instances
            .iter()
            .find(|i| crate::autoscaling::waiters::is_failed(&i.lifecycle_state))
        {
            return Err(Error::Failed {
                operation,
                message: format!(
                    "instance {} on {} is {}; {}",
                    failed.id,
                    failed.site(),
                    failed.lifecycle_state,
                    failure_reason(failed)
                ),
            });
        }
        let Some(left) = timeout
            .checked_sub(start.elapsed())
            .filter(|l| !l.is_zero())
        else {
            return Err(Error::Timeout {
                operation,
                elapsed_ms: start.elapsed().as_millis(),
                what: format!("{running} of {want} instances running"),
            });
        };
        tokio::time::sleep(Duration::from_millis(500).min(left)).await;
    }
}

/// The reason a failed instance carries, from the fields a server may add for it.
fn failure_reason(instance: &Instance) -> String {
    let reason = serde_json::to_value(instance).ok().and_then(|v| {
        [
            "error_message",
            "failure_reason",
            "reason",
            "status_message",
        ]
        .iter()
        .find_map(|k| v.get(*k).and_then(Value::as_str).map(str::to_string))
    });
    match reason.filter(|r| !r.trim().is_empty()) {
        Some(r) => format!("the server says: {r}"),
        None => "the server gave no reason".into(),
    }
}

/// The seed's `domain_list.py` layout for one domain and its instances.
fn domain_lines(domain: &Domain, instances: &[Instance]) -> Vec<String> {
    let mut lines = vec![
        domain.name.clone(),
        format!("\t{} : {}", domain.lc_name, domain.vm_count),
        "\tInstances:".to_string(),
        "\t---------".to_string(),
    ];
    for i in instances {
        lines.push(format!("\t\t{} : {}", i.site(), i.lifecycle_state));
    }
    lines
}

async fn domain_list(ctx: &Context, a: NamesArgs) -> Result<(), Error> {
    let domains: Vec<Domain> = ctx
        .client
        .domains()
        .await?
        .into_iter()
        .filter(|d| a.names.is_empty() || a.names.contains(&d.name))
        .collect();
    let found: Vec<&str> = domains.iter().map(|d| d.name.as_str()).collect();
    all_found("domain", &a.names, &found)?;
    let mut shown = Vec::new();
    for domain in domains {
        let instances = ctx.client.instances(&domain.id).await?;
        if ctx.json() {
            let mut value = serde_json::to_value(&domain).unwrap_or(Value::Null);
            if let Value::Object(map) = &mut value {
                map.insert(
                    "instances".into(),
                    serde_json::to_value(&instances).unwrap_or(Value::Null),
                );
            }
            shown.push(value);
        } else {
            print_lines(&domain_lines(&domain, &instances))?;
        }
    }
    ctx.items(&shown)
}

async fn domain_alter(ctx: &Context, a: DomainAlterArgs) -> Result<(), Error> {
    let found = find_domain(ctx, &a.name).await?;
    let mut domain = ctx.client.domain(&found.id).await?;
    if let Some(size) = a.size {
        domain.vm_count = i64::from(size);
    }
    let updated = ctx.client.update_domain(&domain).await?;
    ctx.value(&updated)
}

async fn domain_delete(ctx: &Context, a: DomainDeleteArgs) -> Result<(), Error> {
    let domain = find_domain(ctx, &a.name).await?;
    if !ctx.json() {
        print_lines(&[format!("deleting {}", domain.id)])?;
    }
    ctx.client.delete_domain(&domain.id).await?;
    ctx.value(&domain)
}

async fn instances_list(ctx: &Context, a: IdsArgs) -> Result<(), Error> {
    if a.addresses {
        return Err(unsupported(
            "--addresses (its JSON has hostname and public_ip)",
        ));
    }
    let mut shown = Vec::new();
    let mut lines = Vec::new();
    for domain in ctx.client.domains().await? {
        for i in ctx.client.instances(&domain.id).await? {
            if !a.ids.is_empty()
                && !a.ids.contains(&i.id)
                && !i
                    .iaas_instance_id
                    .as_ref()
                    .is_some_and(|x| a.ids.contains(x))
            {
                continue;
            }
            lines.push(format!(
                "{}\t{}\t{}\t{}\t{}",
                i.id,
                domain.name,
                i.site(),
                i.lifecycle_state,
                i.iaas_instance_id.as_deref().unwrap_or("-")
            ));
            shown.push(i);
        }
    }
    let found: Vec<&str> = shown
        .iter()
        .flat_map(|i| std::iter::once(i.id.as_str()).chain(i.iaas_instance_id.as_deref()))
        .collect();
    all_found("instance", &a.ids, &found)?;
    if ctx.json() {
        ctx.items(&shown)
    } else {
        print_lines(&lines)
    }
}

async fn instances_terminate(ctx: &Context, a: TerminateArgs) -> Result<(), Error> {
    for domain in ctx.client.domains().await? {
        let instances = ctx.client.instances(&domain.id).await?;
        if let Some(i) = instances
            .into_iter()
            .find(|i| i.id == a.id || i.iaas_instance_id.as_deref() == Some(a.id.as_str()))
        {
            ctx.client
                .terminate_instance(&domain.id, &i.id, a.decrement)
                .await?;
            return if ctx.json() {
                ctx.value(&i)
            } else {
                print_lines(&[format!("terminating {}", i.id)])
            };
        }
    }
    Err(Error::NotFound(format!("instance {}", a.id)))
}

async fn sites(ctx: &Context, a: SitesArgs) -> Result<(), Error> {
    let sites = ctx.client.sites(a.details).await?;
    if ctx.json() {
        return ctx.items(&sites);
    }
    let mut lines = Vec::new();
    for s in &sites {
        let mut line = format!("{}\t{}", s.id, s.instance_types.join(","));
        if a.details {
            let images: Vec<&str> = s
                .public_images
                .iter()
                .chain(s.user_images.iter())
                .flatten()
                .map(String::as_str)
                .collect();
            line.push_str(&format!(
                "\t{}\t{}",
                s.site_type.as_deref().unwrap_or("-"),
                images.join(",")
            ));
        }
        lines.push(line);
    }
    print_lines(&lines)
}

/// The secret key for `credentials add|update`: `PHANTOM_SITE_SECRET_KEY`, else stdin (asked
/// without echo on a terminal).
fn site_secret(env: &dyn Environment) -> Result<crate::Secret, Error> {
    if let Some(v) = env.var("PHANTOM_SITE_SECRET_KEY").filter(|v| !v.is_empty()) {
        return Ok(crate::Secret::new(v));
    }
    if secret_input::stdin_is_terminal() {
        secret_input::prompt("Secret key: ")
    } else {
        secret_input::from_stdin("secret key")
    }
}

async fn credentials(
    ctx: &Context,
    env: &dyn Environment,
    c: CredentialsCommand,
) -> Result<(), Error> {
    match c {
        CredentialsCommand::List(a) => {
            let all = ctx.client.site_credentials(a.details).await?;
            if ctx.json() {
                let shown: Vec<Value> = all.iter().map(|c| c.redacted_json()).collect();
                return ctx.items(&shown);
            }
            let lines: Vec<String> = all
                .iter()
                .map(|c| {
                    let mut line = format!("{}\t{}\t{}", c.id, c.access_key, c.key_name);
                    if let Some(keys) = &c.available_keys {
                        line.push_str(&format!("\t{}", keys.join(",")));
                    }
                    line
                })
                .collect();
            print_lines(&lines)
        }
        CredentialsCommand::Show(a) => {
            let c = ctx.client.site_credential(&a.site).await?;
            if ctx.json() {
                return ctx.value(&c.redacted_json());
            }
            print_lines(&[
                format!("site: {}", c.id),
                format!("access_key: {}", c.access_key),
                format!("key_name: {}", c.key_name),
            ])
        }
        CredentialsCommand::Add(a) => {
            let input = SiteCredentialsInput {
                id: a.site,
                access_key: a.access_key,
                secret_key: site_secret(env)?,
                key_name: a.key_name,
            };
            let c = ctx.client.create_site_credentials(&input).await?;
            if ctx.json() {
                ctx.value(&c.redacted_json())
            } else {
                print_lines(&[format!("credentials for {} added", c.id)])
            }
        }
        CredentialsCommand::Update(a) => {
            let input = SiteCredentialsInput {
                id: a.site,
                access_key: a.access_key,
                secret_key: site_secret(env)?,
                key_name: a.key_name,
            };
            let c = ctx.client.update_site_credentials(&input).await?;
            if ctx.json() {
                ctx.value(&c.redacted_json())
            } else {
                print_lines(&[format!("credentials for {} updated", c.id)])
            }
        }
        CredentialsCommand::Remove(a) => {
            ctx.client.delete_site_credentials(&a.site).await?;
            if ctx.json() {
                ctx.value(&json!({"id": a.site}))
            } else {
                print_lines(&[format!("credentials for {} removed", a.site)])
            }
        }
    }
}
