//! Instance rows, as the lifecycle writes them (with the launch template version of their EC2
//! side, `crate::server::ec2::rows`): the ones still there at the request's time, with
//! their state then (a detached instance, whose group is `''`, belongs to no group and is left
//! out). A warm pool's instances are `crate::server::rows::warm_pools`' rows; the listing of all
//! instances adds them.
//! Under the Phantom dialect the states are Phantom's (`crate::server::phantom`), and
//! instances that ended stay listed a while as `800-TERMINATED` or `900-FAILED`.

use rusqlite::{Transaction, params};

use crate::autoscaling::types::LaunchTemplateSpecification;
use crate::server::fault::ApiError;
use crate::server::lifecycle::instance_state;
use crate::server::ops::Ctx;
use crate::server::phantom;
use crate::server::rows::warm_pools;

/// An instance that still exists at the request's time, with its state then.
pub struct LiveInstance {
    /// `i-...`.
    pub id: String,
    /// Its group.
    pub group: String,
    /// Instance type from its launch configuration.
    pub instance_type: String,
    /// Availability zone (the Phantom site).
    pub zone: String,
    /// Launch configuration name.
    pub lc: String,
    /// Image id.
    pub image: String,
    /// `Pending`, `InService`, `Standby` or `Terminating`, or a lifecycle hook's wait or proceed
    /// state (`Pending:Wait`, `Pending:Proceed`, `Terminating:Wait`, `Terminating:Proceed`).
    pub state: &'static str,
    /// `Healthy` or `Unhealthy` (SetInstanceHealth).
    pub health: String,
    /// Protected from scale-in (launched while the group's `NewInstancesProtectedFromScaleIn`
    /// was on).
    pub protected: bool,
    /// The launch template version it was launched from (`None`: a launch configuration).
    pub template: Option<LaunchTemplateSpecification>,
}

/// The owner's live instances: one group's in launch order (its warm pool left out, as AWS's
/// `Instances` leave it out), or all by id, warm pool instances included (as
/// DescribeAutoScalingInstances lists them). Gone ones are left out.
pub fn live_instances(
    ctx: &Ctx<'_>,
    tx: &Transaction<'_>,
    group: Option<&str>,
) -> Result<Vec<LiveInstance>, ApiError> {
    const COLUMNS: &str = "SELECT i.id, i.group_name, i.instance_type, i.zone, i.lc_name, \
         i.image_id, i.ready_ms, i.terminating_ms, i.gone_ms, i.protected, i.health, i.standby, \
         COALESCE(e.lt_id, ''), COALESCE(e.lt_name, ''), COALESCE(e.lt_version, ''), \
         i.hook_phase, i.launched_ms \
         FROM instances i LEFT JOIN ec2_instances e ON e.id = i.id \
         WHERE i.owner = ?1 AND i.group_name <> ''";
    let read = |r: &rusqlite::Row<'_>| {
        let lt_id: String = r.get(12)?;
        let template = (!lt_id.is_empty())
            .then(|| -> rusqlite::Result<_> {
                Ok(LaunchTemplateSpecification {
                    launch_template_id: Some(lt_id),
                    launch_template_name: Some(r.get(13)?),
                    version: Some(r.get(14)?),
                })
            })
            .transpose()?;
        Ok((
            LiveInstance {
                id: r.get(0)?,
                group: r.get(1)?,
                instance_type: r.get(2)?,
                zone: r.get(3)?,
                lc: r.get(4)?,
                image: r.get(5)?,
                state: "",
                protected: r.get(9)?,
                health: r.get(10)?,
                template,
            },
            r.get::<_, i64>(6)?,
            r.get::<_, Option<i64>>(7)?,
            r.get::<_, Option<i64>>(8)?,
            r.get::<_, bool>(11)?,
            r.get::<_, Option<String>>(15)?,
            r.get::<_, i64>(16)?,
        ))
    };
    let rows: Vec<_> = match group {
        Some(name) => tx
            .prepare_cached(&format!(
                "{COLUMNS} AND i.group_name = ?2 ORDER BY i.launched_ms, i.id"
            ))?
            .query_map(params![ctx.owner, name], read)?
            .collect::<Result<_, _>>()?,
        None => tx
            .prepare_cached(&format!("{COLUMNS} ORDER BY i.id"))?
            .query_map(params![ctx.owner], read)?
            .collect::<Result<_, _>>()?,
    };
    let mut live: Vec<LiveInstance> = rows
        .into_iter()
        .filter_map(
            |(mut i, ready, terminating, gone, standby, phase, launched)| {
                if ctx.settings.phantom() {
                    i.state = phantom::instance_state(
                        ctx.now,
                        launched,
                        ready,
                        terminating,
                        gone,
                        phase.as_deref(),
                        ctx.settings.timing.ended_kept_ms,
                    )?;
                    return Some(i);
                }
                i.state = match instance_state(ctx.now, ready, terminating, gone, phase.as_deref())?
                {
                    s if s.starts_with("Terminating") => s,
                    _ if standby => "Standby",
                    state => state,
                };
                Some(i)
            },
        )
        .collect();
    if group.is_none() {
        // All of the owner's instances include those in warm pools (`Warmed:*`), by id.
        live.extend(
            warm_pools::live(ctx, tx, None)?
                .into_iter()
                .map(|w| LiveInstance {
                    id: w.id,
                    group: w.group,
                    instance_type: w.instance_type,
                    zone: w.zone,
                    lc: w.lc,
                    image: w.image,
                    state: w.state,
                    health: w.health,
                    protected: false,
                    template: w.template,
                }),
        );
        live.sort_by(|a, b| a.id.cmp(&b.id));
    }
    Ok(live)
}
