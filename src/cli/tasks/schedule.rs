//! `phantom schedule put|list|delete`: scheduled actions (PutScheduledUpdateGroupAction,
//! DescribeScheduledActions, DeleteScheduledAction), one-off (`--at`) or recurring
//! (`--recurrence`, a five-field cron expression, in `--time-zone` or UTC).
//!
//! Times are ISO 8601 with a zone (`2030-01-01T09:00:00Z`, `2030-01-01T09:00:00+01:00`): a time
//! without one would mean whatever the server guesses. `--at` is sent as `StartTime`, the member
//! AWS uses for a one-off action (`Time` is no longer used, API reference).

use clap::{ArgGroup, Args, Subcommand};
use futures_util::StreamExt;
use time::OffsetDateTime;
use time::format_description::well_known::Rfc3339;

use super::{check_name, print_done, require};
use crate::autoscaling::types::*;
use crate::cli::query_cmds::Context;
use crate::error::Error;
use crate::query::timestamp::Timestamp;

/// `phantom schedule ...`
#[derive(Debug, Subcommand)]
pub enum ScheduleCommand {
    /// Create or replace a scheduled action: once (--at) or recurring (--recurrence).
    #[command(after_help = "Examples:\n  \
        phantom schedule put web nightly --recurrence '0 22 * * *' --time-zone Europe/Paris --desired 1\n  \
        phantom schedule put web launch-day --at 2030-01-01T09:00:00Z --min 4 --max 10\n\n\
        Times are ISO 8601 with a zone (Z or +01:00). CRON has five fields: minute hour \
        day-of-month month day-of-week.")]
    Put(PutArgs),
    /// List scheduled actions (every page): of one group, or of all.
    #[command(after_help = "Example:\n  phantom schedule list web")]
    List(ListArgs),
    /// Delete a scheduled action.
    #[command(after_help = "Example:\n  phantom schedule delete web nightly")]
    Delete(NameArgs),
}

/// Arguments of `schedule put`.
#[derive(Debug, Args)]
#[command(group(ArgGroup::new("when").required(true).args(["at", "recurrence"])))]
#[command(group(ArgGroup::new("sizes").required(true).multiple(true).args(["min", "max", "desired"])))]
pub struct PutArgs {
    /// Group name.
    pub group: String,
    /// Scheduled action name.
    pub name: String,
    /// Run once at this time (ISO 8601 with a zone).
    #[arg(long, value_name = "TIME", value_parser = parse_time)]
    pub at: Option<Timestamp>,
    /// Run on this cron schedule: "MIN HOUR DAY MONTH WEEKDAY", e.g. "0 9 * * 1-5".
    #[arg(long, value_name = "CRON")]
    pub recurrence: Option<String>,
    /// The time zone of the cron schedule (IANA name, e.g. Europe/Paris) [default: UTC].
    #[arg(long, value_name = "TZ")]
    pub time_zone: Option<String>,
    /// A recurring action's first run is not before this time.
    #[arg(long, value_name = "TIME", value_parser = parse_time)]
    pub start: Option<Timestamp>,
    /// A recurring action stops at this time.
    #[arg(long, value_name = "TIME", value_parser = parse_time)]
    pub end: Option<Timestamp>,
    /// The minimum size to set.
    #[arg(long, value_parser = clap::value_parser!(i32).range(0..))]
    pub min: Option<i32>,
    /// The maximum size to set.
    #[arg(long, value_parser = clap::value_parser!(i32).range(0..))]
    pub max: Option<i32>,
    /// The desired capacity to set.
    #[arg(long, value_parser = clap::value_parser!(i32).range(0..))]
    pub desired: Option<i32>,
}

/// Arguments of `schedule list`.
#[derive(Debug, Args)]
pub struct ListArgs {
    /// Only this group's actions.
    pub group: Option<String>,
    /// Only these action names, comma-separated.
    #[arg(long, value_delimiter = ',')]
    pub names: Vec<String>,
}

/// A group and an action name.
#[derive(Debug, Args)]
pub struct NameArgs {
    /// Group name.
    pub group: String,
    /// Scheduled action name.
    pub name: String,
}

/// Parses an ISO 8601 time with a zone (RFC 3339).
pub fn parse_time(s: &str) -> Result<Timestamp, String> {
    OffsetDateTime::parse(s.trim(), &Rfc3339)
        .map(|t| Timestamp(t.to_offset(time::UtcOffset::UTC)))
        .map_err(|_| {
            format!(
                "`{s}` is not an ISO 8601 time with a zone, like 2030-01-01T09:00:00Z or \
                 2030-01-01T09:00:00+01:00"
            )
        })
}

/// Checks a cron expression: five fields of digits, names and `* , - / ?`.
fn check_cron(cron: &str) -> Result<(), Error> {
    let fields: Vec<&str> = cron.split_whitespace().collect();
    let names = ["minute", "hour", "day of month", "month", "day of week"];
    if fields.len() != 5 {
        return Err(Error::Config(format!(
            "--recurrence `{cron}` has {} fields; a cron expression has five: minute hour \
             day-of-month month day-of-week (e.g. \"0 9 * * 1-5\")",
            fields.len()
        )));
    }
    for (field, name) in fields.iter().zip(names) {
        if let Some(c) = field
            .chars()
            .find(|c| !(c.is_ascii_alphanumeric() || "*,-/?#".contains(*c)))
        {
            return Err(Error::Config(format!(
                "--recurrence `{cron}`: the {name} field `{field}` contains `{c}`"
            )));
        }
    }
    Ok(())
}

/// Checks a time zone name: an IANA name like `Europe/Paris`, `UTC` or `Etc/GMT+2`.
fn check_time_zone(tz: &str) -> Result<(), Error> {
    let ok = !tz.is_empty()
        && tz.len() <= 255
        && tz
            .chars()
            .all(|c| c.is_ascii_alphanumeric() || "/_+-".contains(c))
        && !tz.starts_with('/')
        && !tz.ends_with('/');
    if ok {
        Ok(())
    } else {
        Err(Error::Config(format!(
            "--time-zone `{}` is not an IANA time zone name like Europe/Paris or UTC",
            crate::query::endpoint::shorten(tz)
        )))
    }
}

/// Turns `schedule put`'s flags into the input.
pub fn put_input(a: PutArgs) -> Result<PutScheduledUpdateGroupActionInput, Error> {
    check_name("group name", &a.group, 255)?;
    check_name("scheduled action name", &a.name, 255)?;
    if a.recurrence.is_none() {
        // Checked here: clap's `requires` is not enforced for a member of a required group.
        for (flag, given) in [
            ("--time-zone", a.time_zone.is_some()),
            ("--start", a.start.is_some()),
            ("--end", a.end.is_some()),
        ] {
            if given {
                return Err(Error::Config(format!(
                    "{flag} applies to a recurring action (--recurrence) only; a one-off action \
                     runs --at its time (UTC or the time's own offset)"
                )));
            }
        }
    }
    if let Some(cron) = &a.recurrence {
        check_name("recurrence", cron, 255)?;
        check_cron(cron)?;
    }
    if let Some(tz) = &a.time_zone {
        check_time_zone(tz)?;
    }
    if let (Some(start), Some(end)) = (a.start, a.end)
        && end <= start
    {
        return Err(Error::Config(format!(
            "--end {end} is not after --start {start}"
        )));
    }
    if let (Some(min), Some(max)) = (a.min, a.max)
        && min > max
    {
        return Err(Error::Config(format!(
            "--min {min} is more than --max {max}"
        )));
    }
    if let Some(desired) = a.desired
        && (a.min.is_some_and(|m| desired < m) || a.max.is_some_and(|m| desired > m))
    {
        return Err(Error::Config(format!(
            "--desired {desired} must lie between --min and --max"
        )));
    }
    Ok(PutScheduledUpdateGroupActionInput {
        auto_scaling_group_name: a.group,
        scheduled_action_name: a.name,
        start_time: a.at.or(a.start),
        end_time: a.end,
        recurrence: a.recurrence,
        time_zone: a.time_zone,
        min_size: a.min,
        max_size: a.max,
        desired_capacity: a.desired,
        ..Default::default()
    })
}

/// Runs one `schedule` command.
pub async fn run(ctx: &Context, command: ScheduleCommand) -> Result<(), Error> {
    match command {
        ScheduleCommand::Put(a) => {
            let input = put_input(a)?;
            require(ctx, "PutScheduledUpdateGroupAction", "schedule put")?;
            ctx.client.send(&input).await?;
            let when = match &input.recurrence {
                Some(cron) => format!("on `{cron}`"),
                None => format!(
                    "at {}",
                    input.start_time.map(|t| t.to_string()).unwrap_or_default()
                ),
            };
            print_done(
                &mut ctx.printer(),
                &format!(
                    "scheduled {} for {} {when}",
                    input.scheduled_action_name, input.auto_scaling_group_name
                ),
                &input,
            )
        }
        ScheduleCommand::List(a) => {
            if let Some(group) = &a.group {
                check_name("group name", group, 255)?;
            }
            for name in &a.names {
                check_name("scheduled action name", name, 255)?;
            }
            require(ctx, "DescribeScheduledActions", "schedule list")?;
            let input = DescribeScheduledActionsInput {
                auto_scaling_group_name: a.group,
                scheduled_action_names: (!a.names.is_empty()).then_some(a.names),
                ..Default::default()
            };
            let mut printer = ctx.printer();
            printer.begin_list("ScheduledUpdateGroupActions")?;
            let mut items = Box::pin(ctx.client.items(input));
            while let Some(action) = items.next().await {
                printer.scheduled_action(&action?)?;
            }
            printer.end_list()
        }
        ScheduleCommand::Delete(a) => {
            check_name("group name", &a.group, 255)?;
            check_name("scheduled action name", &a.name, 255)?;
            require(ctx, "DeleteScheduledAction", "schedule delete")?;
            let input = DeleteScheduledActionInput {
                auto_scaling_group_name: a.group.clone(),
                scheduled_action_name: a.name.clone(),
            };
            ctx.client.send(&input).await?;
            print_done(
                &mut ctx.printer(),
                &format!("deleted scheduled action {} of {}", a.name, a.group),
                &input,
            )
        }
    }
}

/// When an action runs, as `schedule list` shows it.
pub fn when_text(a: &ScheduledUpdateGroupAction) -> String {
    let mut text = match &a.recurrence {
        Some(cron) => format!("`{cron}` {}", a.time_zone.as_deref().unwrap_or("UTC")),
        None => format!(
            "at {}",
            a.start_time
                .or(a.time)
                .map(|t| t.to_string())
                .unwrap_or_else(|| "?".into())
        ),
    };
    if a.recurrence.is_some() {
        if let Some(start) = a.start_time {
            text.push_str(&format!(" from {start}"));
        }
        if let Some(end) = a.end_time {
            text.push_str(&format!(" until {end}"));
        }
    }
    text
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn times_need_a_zone() {
        assert_eq!(
            parse_time("2030-01-01T10:00:00+01:00").unwrap().to_string(),
            "2030-01-01T09:00:00Z"
        );
        for bad in [
            "2030-01-01T09:00:00",
            "2030-01-01",
            "tomorrow",
            "1893456000",
        ] {
            assert!(parse_time(bad).unwrap_err().contains("ISO 8601"), "{bad}");
        }
    }

    #[test]
    fn cron_has_five_fields() {
        assert!(check_cron("0 9 * * 1-5").is_ok());
        assert!(check_cron("*/15 0-6 ? * MON#2").is_ok());
        let e = check_cron("0 9 * *").unwrap_err().to_string();
        assert!(e.contains("has 4 fields"), "{e}");
        let e = check_cron("0 9 * * $").unwrap_err().to_string();
        assert!(e.contains("day of week field `$`"), "{e}");
    }

    #[test]
    fn time_zones_are_names() {
        for ok in [
            "UTC",
            "Europe/Paris",
            "America/Argentina/Buenos_Aires",
            "Etc/GMT+2",
        ] {
            assert!(check_time_zone(ok).is_ok(), "{ok}");
        }
        for bad in ["", "Europe/Paris ", "/etc", "Paris; rm"] {
            assert!(check_time_zone(bad).is_err(), "{bad}");
        }
    }
}
