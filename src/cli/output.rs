//! Printing: the seed scripts' text layout, or stable JSON with the API's field names.
//!
//! Text lists are printed as they stream in, page by page. `--output json` is one document that
//! must be whole or absent: it is built in memory and written to stdout only by
//! [`Printer::finish`], which a command calls once it has succeeded, so a call failing halfway
//! leaves stdout empty rather than holding `{"LaunchConfigurations": [`. For listings too long to
//! hold, `--output json-lines` streams one complete object per line instead.

use std::io::{self, Write};

use serde::Serialize;

use super::args::OutputFormat;
use crate::autoscaling::types::{
    Activity, AutoScalingGroup, AutoScalingInstanceDetails, LifecycleHook, ScalingPolicy,
    ScheduledUpdateGroupAction, TagDescription,
};
use crate::config::Dialect;
use crate::error::Error;

/// Writes results to stdout in the chosen format.
pub struct Printer {
    format: OutputFormat,
    dialect: Dialect,
    out: Sink,
    list_open: bool,
    first_item: bool,
}

/// Where output goes before stdout.
enum Sink {
    /// Straight through a buffer (text, JSON lines).
    Stream(io::BufWriter<io::Stdout>),
    /// Held until [`Printer::finish`] (the one JSON document).
    Held(Vec<u8>),
}

impl Write for Sink {
    fn write(&mut self, buf: &[u8]) -> io::Result<usize> {
        match self {
            Sink::Stream(w) => w.write(buf),
            Sink::Held(v) => v.write(buf),
        }
    }

    fn write_all(&mut self, buf: &[u8]) -> io::Result<()> {
        match self {
            Sink::Stream(w) => w.write_all(buf),
            Sink::Held(v) => v.write_all(buf),
        }
    }

    fn flush(&mut self) -> io::Result<()> {
        match self {
            Sink::Stream(w) => w.flush(),
            // Held output waits for `finish`.
            Sink::Held(_) => Ok(()),
        }
    }
}

fn json_error(e: serde_json::Error) -> Error {
    Error::Io {
        context: "writing JSON".into(),
        source: e.into(),
    }
}

fn io_error(e: io::Error) -> Error {
    Error::Io {
        context: "writing to stdout".into(),
        source: e,
    }
}

impl Printer {
    /// A printer for the format and dialect (the dialect decides how names show).
    pub fn new(format: OutputFormat, dialect: Dialect) -> Self {
        let out = match format {
            OutputFormat::Json => Sink::Held(Vec::new()),
            OutputFormat::Text | OutputFormat::JsonLines => {
                Sink::Stream(io::BufWriter::new(io::stdout()))
            }
        };
        Printer {
            format,
            dialect,
            out,
            list_open: false,
            first_item: true,
        }
    }

    /// Whether JSON (a document or lines) was asked for.
    pub fn is_json(&self) -> bool {
        self.format != OutputFormat::Text
    }

    /// Writes one value as one line of compact JSON, in a single write so that the line is
    /// whole or absent.
    fn json_line<T: Serialize>(&mut self, value: &T) -> Result<(), Error> {
        let mut line = serde_json::to_vec(value).map_err(json_error)?;
        line.push(b'\n');
        self.out.write_all(&line).map_err(io_error)
    }

    /// Prints a line in text mode (nothing in JSON mode).
    pub fn line(&mut self, text: &str) -> Result<(), Error> {
        if !self.is_json() {
            writeln!(self.out, "{text}").map_err(io_error)?;
        }
        Ok(())
    }

    /// Prints a whole JSON value in JSON mode (nothing in text mode).
    pub fn json<T: Serialize>(&mut self, value: &T) -> Result<(), Error> {
        match self.format {
            OutputFormat::Text => {}
            OutputFormat::JsonLines => self.json_line(value)?,
            OutputFormat::Json => {
                serde_json::to_writer_pretty(&mut self.out, value).map_err(json_error)?;
                writeln!(self.out).map_err(io_error)?;
            }
        }
        Ok(())
    }

    /// Opens a JSON list under `key` (JSON lines: nothing, each item is a line).
    pub fn begin_list(&mut self, key: &str) -> Result<(), Error> {
        if self.format == OutputFormat::Json {
            write!(self.out, "{{\n  \"{key}\": [").map_err(io_error)?;
            self.list_open = true;
            self.first_item = true;
        }
        Ok(())
    }

    /// Writes one item of a JSON list (JSON lines: one line).
    pub fn list_item<T: Serialize>(&mut self, item: &T) -> Result<(), Error> {
        match self.format {
            OutputFormat::Text => {}
            OutputFormat::JsonLines => self.json_line(item)?,
            OutputFormat::Json => {
                let sep = if self.first_item { "\n    " } else { ",\n    " };
                self.first_item = false;
                let text = serde_json::to_string_pretty(item).map_err(json_error)?;
                write!(self.out, "{sep}{}", text.replace('\n', "\n    ")).map_err(io_error)?;
            }
        }
        Ok(())
    }

    /// Closes a JSON list and, the command being done, writes everything out ([`Printer::finish`]).
    pub fn end_list(&mut self) -> Result<(), Error> {
        if self.format == OutputFormat::Json && self.list_open {
            let close = if self.first_item { "]\n}" } else { "\n  ]\n}" };
            writeln!(self.out, "{close}").map_err(io_error)?;
            self.list_open = false;
        }
        self.finish()
    }

    /// Flushes what streams (text, JSON lines); a JSON document waits for [`Printer::finish`].
    pub fn flush(&mut self) -> Result<(), Error> {
        self.out.flush().map_err(io_error)
    }

    /// The command succeeded: writes the held JSON document to stdout and flushes. A printer
    /// dropped without this writes no JSON document at all.
    pub fn finish(&mut self) -> Result<(), Error> {
        if let Sink::Held(held) = &mut self.out {
            let bytes = std::mem::take(held);
            let mut stdout = io::stdout().lock();
            stdout.write_all(&bytes).map_err(io_error)?;
            return stdout.flush().map_err(io_error);
        }
        self.flush()
    }

    /// A domain as the seed's `asg_list.py` printed it.
    pub fn domain(&mut self, group: &AutoScalingGroup) -> Result<(), Error> {
        if self.is_json() {
            return self.list_item(group);
        }
        // A group made from a launch template shows the template's name where the seed showed
        // the launch configuration's.
        let template = group
            .launch_template
            .as_ref()
            .or_else(|| {
                let policy = group
                    .mixed_instances_policy
                    .as_ref()?
                    .launch_template
                    .as_ref()?;
                policy.launch_template_specification.as_ref()
            })
            .and_then(|t| t.launch_template_name.as_deref());
        let lc = group
            .launch_configuration_name
            .as_deref()
            .or(template)
            .unwrap_or("-");
        let lc = self.dialect.display_launch_configuration_name(lc);
        let mut text = format!(
            "{}\n    {} : {}\n    Instances:\n    ---------\n",
            group.auto_scaling_group_name.as_deref().unwrap_or("?"),
            lc,
            group
                .desired_capacity
                .map(|d| d.to_string())
                .unwrap_or_else(|| "?".into())
        );
        for instance in group.instances.iter().flatten() {
            text.push_str(&format!(
                "        {} : {}\n",
                instance.availability_zone.as_deref().unwrap_or("?"),
                instance.health_status.as_deref().unwrap_or("?")
            ));
        }
        write!(self.out, "{text}").map_err(io_error)
    }

    /// An instance: id, domain, zone, lifecycle state, health.
    pub fn instance(&mut self, i: &AutoScalingInstanceDetails) -> Result<(), Error> {
        if self.is_json() {
            return self.list_item(i);
        }
        writeln!(
            self.out,
            "{}\t{}\t{}\t{}\t{}",
            i.instance_id.as_deref().unwrap_or("?"),
            i.auto_scaling_group_name.as_deref().unwrap_or("?"),
            i.availability_zone.as_deref().unwrap_or("?"),
            i.lifecycle_state.as_deref().unwrap_or("?"),
            i.health_status.as_deref().unwrap_or("?")
        )
        .map_err(io_error)
    }

    /// A tag: domain, key, value, propagate-at-launch.
    pub fn tag(&mut self, t: &TagDescription) -> Result<(), Error> {
        if self.is_json() {
            return self.list_item(t);
        }
        writeln!(
            self.out,
            "{}\t{}\t{}\t{}",
            t.resource_id.as_deref().unwrap_or("?"),
            t.key.as_deref().unwrap_or("?"),
            t.value.as_deref().unwrap_or(""),
            t.propagate_at_launch.unwrap_or(false)
        )
        .map_err(io_error)
    }

    /// An activity: start time, status, description.
    pub fn activity(&mut self, a: &Activity) -> Result<(), Error> {
        if self.is_json() {
            return self.list_item(a);
        }
        writeln!(
            self.out,
            "{}\t{}\t{}",
            a.start_time
                .map(|t| t.to_string())
                .unwrap_or_else(|| "?".into()),
            a.status_code.as_deref().unwrap_or("?"),
            a.description.as_deref().unwrap_or("")
        )
        .map_err(io_error)
    }

    /// A scaling policy: group, name, type, and what it does (steps as `LOWER:UPPER=ADJ`).
    pub fn policy(&mut self, p: &ScalingPolicy) -> Result<(), Error> {
        if self.is_json() {
            return self.list_item(p);
        }
        writeln!(
            self.out,
            "{}\t{}\t{}\t{}",
            p.auto_scaling_group_name.as_deref().unwrap_or("?"),
            p.policy_name.as_deref().unwrap_or("?"),
            p.policy_type.as_deref().unwrap_or("?"),
            super::tasks::policy::policy_detail(p)
        )
        .map_err(io_error)
    }

    /// A scheduled action: group, name, when, and the sizes it sets.
    pub fn scheduled_action(&mut self, a: &ScheduledUpdateGroupAction) -> Result<(), Error> {
        if self.is_json() {
            return self.list_item(a);
        }
        let sizes: Vec<String> = [
            ("min", a.min_size),
            ("max", a.max_size),
            ("desired", a.desired_capacity),
        ]
        .iter()
        .filter_map(|(name, v)| v.map(|v| format!("{name} {v}")))
        .collect();
        writeln!(
            self.out,
            "{}\t{}\t{}\t{}",
            a.auto_scaling_group_name.as_deref().unwrap_or("?"),
            a.scheduled_action_name.as_deref().unwrap_or("?"),
            super::tasks::schedule::when_text(a),
            sizes.join(" ")
        )
        .map_err(io_error)
    }

    /// A lifecycle hook: group, name, transition, heartbeat timeout, default result.
    pub fn lifecycle_hook(&mut self, h: &LifecycleHook) -> Result<(), Error> {
        if self.is_json() {
            return self.list_item(h);
        }
        writeln!(
            self.out,
            "{}\t{}\t{}\theartbeat {}\tdefault {}",
            h.auto_scaling_group_name.as_deref().unwrap_or("?"),
            h.lifecycle_hook_name.as_deref().unwrap_or("?"),
            h.lifecycle_transition.as_deref().unwrap_or("?"),
            h.heartbeat_timeout
                .map(|t| format!("{t}s"))
                .unwrap_or_else(|| "?".into()),
            h.default_result.as_deref().unwrap_or("?")
        )
        .map_err(io_error)
    }
}
