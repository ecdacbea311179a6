//! Durable state: one SQLite database (a file, or memory) holding launch configurations, groups,
//! instances, tags, scaling policies, scheduled actions, scaling activities, notification
//! configurations, account settings, LaunchInstances client tokens, the load balancers and
//! traffic sources attached to groups and warm pools with their instances, each row tagged with
//! the access key that owns it.
//!
//! Why this shape: one connection behind a mutex serializes every operation, so each request runs
//! as one transaction against a consistent snapshot, and nothing but SQLite's own locking is
//! needed; handlers run on the async worker itself (a transaction takes microseconds, less than a
//! hand-off to the blocking pool), with their SQL through the statement cache ([`Cached`]). Every
//! request, read or write, runs inside [`Store::transaction`] (`BEGIN IMMEDIATE`), committed only
//! when the handler succeeds, so a failed request changes nothing.
//!
//! Durability: a file database runs in WAL mode with `synchronous=NORMAL`. A commit appends the
//! transaction's frames to the WAL with `write()` before `COMMIT` returns, so once a reply has been
//! sent, a `kill -9` of the process cannot lose the change (the bytes are in the kernel's page
//! cache) and a half-written transaction is never visible (WAL frames are checksummed and only a
//! committed frame set counts). What NORMAL gives up relative to FULL is the fsync per commit: a
//! power loss or kernel crash may roll back the last few commits, never tear one. For a local
//! development endpoint that trade is right: FULL would make every write wait for the disk.
//!
//! The REST API (`/api/dev`) adds tables of its own: `rest_objects` (Chef credentials and image
//! generators as JSON documents), and `rest_cloud_params`, the per-site settings
//! of a REST launch configuration that the Query shape has no member for (`max_vms`, `common`,
//! `rank`, `contextualization_method`, `user_data`), keyed by the stored `name@site` launch
//! configuration they go with (a trigger deletes them with it, whichever API deletes it); and `rest_site_credentials`, a user's keys for each site. Those keys
//! are kept in clear because the REST API hands them back to their owner, as Phantom's did; they are
//! never written anywhere else.
//!
//! Groups and launch configurations keep their static attributes as the JSON of the API shape
//! itself (`LaunchConfiguration`, `AutoScalingGroup`), so what goes in is what comes out; the
//! columns beside the JSON are what queries and rules need (names, sizes, the launch
//! configuration a group uses).

use std::path::Path;
use std::sync::Mutex;

use rusqlite::{Connection, Params, Row, Transaction, TransactionBehavior};

use crate::error::Error;
use crate::server::fault::ApiError;

/// The schema; `IF NOT EXISTS` makes opening an existing file a no-op.
const SCHEMA: &str = "
CREATE TABLE IF NOT EXISTS launch_configurations (
    owner TEXT NOT NULL,
    name TEXT NOT NULL,
    doc TEXT NOT NULL,
    PRIMARY KEY (owner, name)
);
CREATE TABLE IF NOT EXISTS groups (
    owner TEXT NOT NULL,
    name TEXT NOT NULL,
    lc_given TEXT NOT NULL,
    lc_ref TEXT NOT NULL,
    site TEXT NOT NULL,
    min_size INTEGER NOT NULL,
    max_size INTEGER NOT NULL,
    desired INTEGER NOT NULL,
    doc TEXT NOT NULL,
    PRIMARY KEY (owner, name)
);
CREATE TABLE IF NOT EXISTS instances (
    id TEXT PRIMARY KEY,
    owner TEXT NOT NULL,
    group_name TEXT NOT NULL,
    zone TEXT NOT NULL,
    lc_name TEXT NOT NULL,
    instance_type TEXT NOT NULL,
    image_id TEXT NOT NULL,
    launched_ms INTEGER NOT NULL,
    ready_ms INTEGER NOT NULL,
    terminating_ms INTEGER,
    gone_ms INTEGER,
    protected INTEGER NOT NULL DEFAULT 0,
    health TEXT NOT NULL DEFAULT 'Healthy',
    standby INTEGER NOT NULL DEFAULT 0,
    hook_phase TEXT,
    ec2_terminated_ms INTEGER
);
CREATE INDEX IF NOT EXISTS instances_by_group ON instances (owner, group_name);
CREATE TABLE IF NOT EXISTS tags (
    owner TEXT NOT NULL,
    group_name TEXT NOT NULL,
    key TEXT NOT NULL,
    value TEXT NOT NULL,
    propagate INTEGER NOT NULL,
    PRIMARY KEY (owner, group_name, key)
);
CREATE TABLE IF NOT EXISTS activities (
    seq INTEGER PRIMARY KEY AUTOINCREMENT,
    id TEXT NOT NULL UNIQUE,
    owner TEXT NOT NULL,
    group_name TEXT NOT NULL,
    description TEXT NOT NULL,
    cause TEXT NOT NULL,
    details TEXT NOT NULL,
    start_ms INTEGER NOT NULL,
    end_ms INTEGER NOT NULL
);
CREATE INDEX IF NOT EXISTS activities_by_group ON activities (owner, group_name);
CREATE INDEX IF NOT EXISTS activities_by_owner ON activities (owner);
CREATE TABLE IF NOT EXISTS policies (
    owner TEXT NOT NULL,
    group_name TEXT NOT NULL,
    name TEXT NOT NULL,
    arn TEXT NOT NULL,
    policy_type TEXT NOT NULL,
    doc TEXT NOT NULL,
    PRIMARY KEY (owner, group_name, name)
);
CREATE INDEX IF NOT EXISTS policies_by_arn ON policies (owner, arn);
CREATE TABLE IF NOT EXISTS scheduled_actions (
    owner TEXT NOT NULL,
    group_name TEXT NOT NULL,
    name TEXT NOT NULL,
    doc TEXT NOT NULL,
    next_ms INTEGER,
    PRIMARY KEY (owner, group_name, name)
);
-- The timer engine asks only for the earliest next run, and for the due ones: this index.
CREATE INDEX IF NOT EXISTS scheduled_actions_by_next ON scheduled_actions (next_ms);
-- A group deleted takes its scheduled actions with it; the DELETE mends older state files.
CREATE TRIGGER IF NOT EXISTS scheduled_actions_follow_group AFTER DELETE ON groups
BEGIN
    DELETE FROM scheduled_actions WHERE owner = old.owner AND group_name = old.name;
END;
DELETE FROM scheduled_actions WHERE NOT EXISTS (
    SELECT 1 FROM groups g WHERE g.owner = scheduled_actions.owner
    AND g.name = scheduled_actions.group_name
);
-- Notification configurations (PutNotificationConfiguration): one row per group, topic and type;
-- a group deleted takes them with it.
CREATE TABLE IF NOT EXISTS notification_configurations (
    owner TEXT NOT NULL,
    group_name TEXT NOT NULL,
    topic_arn TEXT NOT NULL,
    notification_type TEXT NOT NULL,
    PRIMARY KEY (owner, group_name, topic_arn, notification_type)
);
CREATE TRIGGER IF NOT EXISTS notifications_follow_group AFTER DELETE ON groups
BEGIN
    DELETE FROM notification_configurations WHERE owner = old.owner AND group_name = old.name;
END;
-- Account settings a key changed (PutAccountSetting); the others have their defaults.
CREATE TABLE IF NOT EXISTS account_settings (
    owner TEXT NOT NULL,
    name TEXT NOT NULL,
    value TEXT NOT NULL,
    PRIMARY KEY (owner, name)
);
-- LaunchInstances by client token: the request as given and the reply it got, so the same
-- token answers the same reply; a group deleted takes its tokens with it.
CREATE TABLE IF NOT EXISTS launch_tokens (
    owner TEXT NOT NULL,
    token TEXT NOT NULL,
    group_name TEXT NOT NULL,
    request TEXT NOT NULL,
    reply TEXT NOT NULL,
    PRIMARY KEY (owner, token)
);
CREATE TRIGGER IF NOT EXISTS launch_tokens_follow_group AFTER DELETE ON groups
BEGIN
    DELETE FROM launch_tokens WHERE owner = old.owner AND group_name = old.name;
END;
-- Lifecycle hooks and the actions that hold instances (rows::hooks): each follows its group or
-- instance; the engine asks for due actions by deadline_ms.
CREATE TABLE IF NOT EXISTS lifecycle_hooks (
    owner TEXT NOT NULL, group_name TEXT NOT NULL, name TEXT NOT NULL, transition TEXT NOT NULL,
    doc TEXT NOT NULL, PRIMARY KEY (owner, group_name, name)
);
CREATE TABLE IF NOT EXISTS lifecycle_actions (
    token TEXT PRIMARY KEY, owner TEXT NOT NULL, group_name TEXT NOT NULL,
    hook_name TEXT NOT NULL, instance_id TEXT NOT NULL, transition TEXT NOT NULL,
    default_result TEXT NOT NULL, heartbeat_ms INTEGER NOT NULL, global_ms INTEGER NOT NULL,
    deadline_ms INTEGER NOT NULL
);
CREATE INDEX IF NOT EXISTS lifecycle_actions_by_deadline ON lifecycle_actions (deadline_ms);
CREATE INDEX IF NOT EXISTS lifecycle_actions_by_instance ON lifecycle_actions (owner, instance_id);
CREATE TRIGGER IF NOT EXISTS lifecycle_hooks_follow_group AFTER DELETE ON groups
BEGIN
    DELETE FROM lifecycle_hooks WHERE owner = old.owner AND group_name = old.name;
END;
CREATE TRIGGER IF NOT EXISTS lifecycle_actions_follow_instance AFTER DELETE ON instances
BEGIN
    DELETE FROM lifecycle_actions WHERE owner = old.owner AND instance_id = old.id;
END;
-- Load balancers and traffic sources of groups (rows/attachments.rs): one row per group, type and
-- identifier; `legacy` when the load balancer families attached it; AddToLoadBalancer
-- suspensions as intervals beside it. A group deleted takes both with it.
CREATE TABLE IF NOT EXISTS attachments (
    owner TEXT NOT NULL,
    group_name TEXT NOT NULL,
    kind TEXT NOT NULL,
    identifier TEXT NOT NULL,
    legacy INTEGER NOT NULL,
    at_create INTEGER NOT NULL,
    attached_ms INTEGER NOT NULL,
    detached_ms INTEGER,
    PRIMARY KEY (owner, group_name, kind, identifier)
);
CREATE TABLE IF NOT EXISTS lb_pauses (
    owner TEXT NOT NULL,
    group_name TEXT NOT NULL,
    from_ms INTEGER NOT NULL,
    to_ms INTEGER
);
CREATE TRIGGER IF NOT EXISTS attachments_follow_group AFTER DELETE ON groups
BEGIN
    DELETE FROM attachments WHERE owner = old.owner AND group_name = old.name;
    DELETE FROM lb_pauses WHERE owner = old.owner AND group_name = old.name;
END;
-- Instance refreshes (rows/refreshes.rs): one row per refresh, at most one active per group; the
-- engine asks for due steps by next_ms. A group deleted takes its refreshes with it.
CREATE TABLE IF NOT EXISTS instance_refreshes (
    owner TEXT NOT NULL, group_name TEXT NOT NULL, id TEXT NOT NULL, start_ms INTEGER NOT NULL,
    active INTEGER NOT NULL, next_ms INTEGER, doc TEXT NOT NULL,
    PRIMARY KEY (owner, group_name, id)
);
CREATE INDEX IF NOT EXISTS instance_refreshes_by_next ON instance_refreshes (next_ms);
CREATE TRIGGER IF NOT EXISTS instance_refreshes_follow_group AFTER DELETE ON groups
BEGIN
    DELETE FROM instance_refreshes WHERE owner = old.owner AND group_name = old.name;
END;
-- Warm pools (rows/warm_pools.rs): one per group, its WarmPoolConfiguration JSON, when a delete
-- began and when it completes (`done_ms`, the engine's deadline); the pool's instances (their EC2
-- side stays in ec2_instances). A group deleted takes its pool and the pool's instances with it; a
-- pool instance gone (not moved into the group) takes its lifecycle actions and EC2 side.
CREATE TABLE IF NOT EXISTS warm_pools (
    owner TEXT NOT NULL, group_name TEXT NOT NULL, doc TEXT NOT NULL, deleting_ms INTEGER,
    done_ms INTEGER, PRIMARY KEY (owner, group_name)
);
CREATE INDEX IF NOT EXISTS warm_pools_by_done ON warm_pools (done_ms);
CREATE TABLE IF NOT EXISTS warm_instances (
    id TEXT PRIMARY KEY, owner TEXT NOT NULL, group_name TEXT NOT NULL, zone TEXT NOT NULL,
    lc_name TEXT NOT NULL, instance_type TEXT NOT NULL, image_id TEXT NOT NULL,
    launched_ms INTEGER NOT NULL, ready_ms INTEGER NOT NULL, terminating_ms INTEGER,
    gone_ms INTEGER, hook_phase TEXT, health TEXT NOT NULL DEFAULT 'Healthy'
);
CREATE INDEX IF NOT EXISTS warm_instances_by_group ON warm_instances (owner, group_name);
CREATE TRIGGER IF NOT EXISTS warm_pools_follow_group AFTER DELETE ON groups
BEGIN
    DELETE FROM warm_pools WHERE owner = old.owner AND group_name = old.name;
    DELETE FROM warm_instances WHERE owner = old.owner AND group_name = old.name;
END;
CREATE TRIGGER IF NOT EXISTS warm_instances_follow AFTER DELETE ON warm_instances
WHEN NOT EXISTS (SELECT 1 FROM instances i WHERE i.id = old.id)
BEGIN
    DELETE FROM lifecycle_actions WHERE owner = old.owner AND instance_id = old.id;
    DELETE FROM ec2_instances WHERE id = old.id;
END;
CREATE TABLE IF NOT EXISTS rest_cloud_params (
    owner TEXT NOT NULL,
    lc_name TEXT NOT NULL,
    doc TEXT NOT NULL,
    PRIMARY KEY (owner, lc_name)
);
-- A launch configuration deleted through either API takes its REST settings with it, so a
-- later one of the same name starts clean; the DELETE mends state files from before the trigger.
CREATE TRIGGER IF NOT EXISTS rest_cloud_params_follow_lc AFTER DELETE ON launch_configurations
BEGIN
    DELETE FROM rest_cloud_params WHERE owner = old.owner AND lc_name = old.name;
END;
DELETE FROM rest_cloud_params WHERE NOT EXISTS (
    SELECT 1 FROM launch_configurations l
    WHERE l.owner = rest_cloud_params.owner AND l.name = rest_cloud_params.lc_name
);
CREATE TABLE IF NOT EXISTS rest_objects (
    owner TEXT NOT NULL,
    kind TEXT NOT NULL,
    id TEXT NOT NULL,
    doc TEXT NOT NULL,
    PRIMARY KEY (owner, kind, id)
);
CREATE TABLE IF NOT EXISTS rest_site_credentials (
    owner TEXT NOT NULL,
    site TEXT NOT NULL,
    access_key TEXT NOT NULL,
    secret_key TEXT NOT NULL,
    key_name TEXT NOT NULL,
    PRIMARY KEY (owner, site)
);
";

/// Gives a state file made before instances had a scale-in protection flag its `protected` column.
fn add_instance_protection(conn: &Connection) -> rusqlite::Result<()> {
    let has: bool = conn
        .prepare("SELECT 1 FROM pragma_table_info('instances') WHERE name = 'protected'")?
        .exists([])?;
    if !has {
        conn.execute_batch(
            "ALTER TABLE instances ADD COLUMN protected INTEGER NOT NULL DEFAULT 0",
        )?;
    }
    Ok(())
}

/// Gives a state file made before instances had a health status, a standby flag, a lifecycle
/// hook phase and an EC2 termination time (SetInstanceHealth, EnterStandby, lifecycle hooks, EC2's
/// TerminateInstances) their `health`, `standby`, `hook_phase` and `ec2_terminated_ms` columns.
fn add_instance_health_and_standby(conn: &Connection) -> rusqlite::Result<()> {
    for (column, decl) in [
        ("health", "TEXT NOT NULL DEFAULT 'Healthy'"),
        ("standby", "INTEGER NOT NULL DEFAULT 0"),
        ("hook_phase", "TEXT"),
        ("ec2_terminated_ms", "INTEGER"),
    ] {
        let has: bool = conn
            .prepare("SELECT 1 FROM pragma_table_info('instances') WHERE name = ?1")?
            .exists([column])?;
        if !has {
            conn.execute_batch(&format!("ALTER TABLE instances ADD COLUMN {column} {decl}"))?;
        }
    }
    Ok(())
}

/// Deletes every row of every table (moto's `POST /moto-api/reset`): whatever tables the schema
/// has, so a table added later is cleared too; the schema itself stays.
pub fn clear(tx: &Transaction<'_>) -> Result<(), ApiError> {
    let tables: Vec<String> = tx
        .prepare("SELECT name FROM sqlite_master WHERE type = 'table' ORDER BY name")?
        .query_map([], |r| r.get(0))?
        .collect::<Result<_, _>>()?;
    for table in tables {
        // Names come from the schema, quoted as SQLite quotes identifiers.
        tx.execute(
            &format!("DELETE FROM \"{}\"", table.replace('"', "\"\"")),
            [],
        )?;
    }
    Ok(())
}

/// Statements through the connection's prepared-statement cache: the handlers run the same few
/// SQL texts on every request, and parsing them again each time cost more than running them.
pub trait Cached {
    /// `Connection::execute` with the statement cached.
    fn execute_cached<P: Params>(&self, sql: &str, params: P) -> rusqlite::Result<usize>;
    /// `Connection::query_row` with the statement cached.
    fn query_row_cached<T, P: Params, F: FnOnce(&Row<'_>) -> rusqlite::Result<T>>(
        &self,
        sql: &str,
        params: P,
        f: F,
    ) -> rusqlite::Result<T>;
}

impl Cached for Connection {
    fn execute_cached<P: Params>(&self, sql: &str, params: P) -> rusqlite::Result<usize> {
        self.prepare_cached(sql)?.execute(params)
    }

    fn query_row_cached<T, P: Params, F: FnOnce(&Row<'_>) -> rusqlite::Result<T>>(
        &self,
        sql: &str,
        params: P,
        f: F,
    ) -> rusqlite::Result<T> {
        self.prepare_cached(sql)?.query_row(params, f)
    }
}

/// How many prepared statements the connection keeps (every SQL text of the handlers fits).
const STATEMENT_CACHE: usize = 128;

/// The database, one connection behind a mutex.
pub struct Store {
    conn: Mutex<Connection>,
}

impl Store {
    /// Opens (creating if needed) the database at `path`, or an in-memory one when `None`.
    pub fn open(path: Option<&Path>) -> Result<Store, Error> {
        let config = |e: rusqlite::Error| Error::Config(format!("state database: {e}"));
        let conn = match path {
            Some(p) => {
                let conn = Connection::open(p).map_err(|e| {
                    Error::Config(format!("cannot open state file {}: {e}", p.display()))
                })?;
                let mode: String = conn
                    .query_row("PRAGMA journal_mode=WAL", [], |r| r.get(0))
                    .map_err(config)?;
                if !mode.eq_ignore_ascii_case("wal") {
                    return Err(Error::Config(format!(
                        "state file {} cannot use WAL journaling (got {mode})",
                        p.display()
                    )));
                }
                conn.pragma_update(None, "synchronous", "NORMAL")
                    .map_err(config)?;
                conn
            }
            None => Connection::open_in_memory().map_err(config)?,
        };
        conn.busy_timeout(std::time::Duration::from_secs(5))
            .map_err(config)?;
        conn.execute_batch(SCHEMA).map_err(config)?;
        conn.execute_batch(crate::server::ec2::rows::SCHEMA)
            .map_err(config)?;
        conn.execute_batch(crate::server::elb::rows::SCHEMA)
            .map_err(config)?;
        add_instance_protection(&conn).map_err(config)?;
        add_instance_health_and_standby(&conn).map_err(config)?;
        conn.set_prepared_statement_cache_capacity(STATEMENT_CACHE);
        Ok(Store {
            conn: Mutex::new(conn),
        })
    }

    /// Runs `f` in one immediate transaction: committed when it returns `Ok`, rolled back on `Err`.
    pub fn transaction<T>(
        &self,
        f: impl FnOnce(&Transaction<'_>) -> Result<T, ApiError>,
    ) -> Result<T, ApiError> {
        // A panic while holding the lock would leave an open transaction that rusqlite rolls
        // back on drop, so the data behind a poisoned mutex is still consistent.
        let mut conn = self.conn.lock().unwrap_or_else(|p| p.into_inner());
        let tx = conn.transaction_with_behavior(TransactionBehavior::Immediate)?;
        let value = f(&tx)?;
        tx.commit()?;
        Ok(value)
    }
}
