//! Printing: the seed scripts' text layout, or stable JSON with the API's field names.
//!
//! Lists are printed as they stream in, page by page, so listing ten thousand domains never holds
//! them all: text prints each item's lines, JSON writes `{"Key": [` then each item then `]}`.

use std::io::{self, Write};

use serde::Serialize;

use super::args::OutputFormat;
use crate::autoscaling::types::{
    Activity, AutoScalingGroup, AutoScalingInstanceDetails, TagDescription,
};
use crate::config::Dialect;
use crate::error::Error;

/// Writes results to stdout in the chosen format.
pub struct Printer {
    format: OutputFormat,
    dialect: Dialect,
    out: io::BufWriter<io::Stdout>,
    list_open: bool,
    first_item: bool,
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
        Printer {
            format,
            dialect,
            out: io::BufWriter::new(io::stdout()),
            list_open: false,
            first_item: true,
        }
    }

    /// Whether JSON was asked for.
    pub fn is_json(&self) -> bool {
        self.format == OutputFormat::Json
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
        if self.is_json() {
            serde_json::to_writer_pretty(&mut self.out, value).map_err(|e| Error::Io {
                context: "writing JSON".into(),
                source: e.into(),
            })?;
            writeln!(self.out).map_err(io_error)?;
        }
        Ok(())
    }

    /// Opens a streamed JSON list under `key`.
    pub fn begin_list(&mut self, key: &str) -> Result<(), Error> {
        if self.is_json() {
            write!(self.out, "{{\n  \"{key}\": [").map_err(io_error)?;
            self.list_open = true;
            self.first_item = true;
        }
        Ok(())
    }

    /// Writes one item of a streamed JSON list.
    pub fn list_item<T: Serialize>(&mut self, item: &T) -> Result<(), Error> {
        if self.is_json() {
            let sep = if self.first_item { "\n    " } else { ",\n    " };
            self.first_item = false;
            let text = serde_json::to_string_pretty(item).map_err(|e| Error::Io {
                context: "writing JSON".into(),
                source: e.into(),
            })?;
            write!(self.out, "{sep}{}", text.replace('\n', "\n    ")).map_err(io_error)?;
        }
        Ok(())
    }

    /// Closes a streamed JSON list.
    pub fn end_list(&mut self) -> Result<(), Error> {
        if self.is_json() && self.list_open {
            let close = if self.first_item { "]\n}" } else { "\n  ]\n}" };
            writeln!(self.out, "{close}").map_err(io_error)?;
            self.list_open = false;
        }
        self.flush()
    }

    /// Flushes stdout.
    pub fn flush(&mut self) -> Result<(), Error> {
        self.out.flush().map_err(io_error)
    }

    /// A domain as the seed's `asg_list.py` printed it.
    pub fn domain(&mut self, group: &AutoScalingGroup) -> Result<(), Error> {
        if self.is_json() {
            return self.list_item(group);
        }
        let lc = group.launch_configuration_name.as_deref().unwrap_or("-");
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
}
