//! Printing: the seed scripts' text layout, the API's reply as the AWS CLI prints it (`--output
//! json|yaml|yaml-stream|text|table`, after `--query`), or JSON lines.
//!
//! The seed's lines are printed as they stream in, page by page. The AWS CLI's formats print one
//! document that must be whole or absent: the reply (for a listing, every page's items merged
//! under the list's key) is gathered as JSON and printed only by [`Printer::finish`], which a
//! command calls once it has succeeded, so a call failing halfway leaves stdout empty rather
//! than holding `{"LaunchConfigurations": [`. `--query` and the formats themselves are
//! [`super::render`]'s. For listings too long to hold, `--output json-lines` streams one
//! complete object per line instead.
//!
//! Which format: `--output`, else `AWS_DEFAULT_OUTPUT`, else the profile's `output`, else the
//! seed's lines ([`Output::choose`]; why in `wsdl-notes/output.md`).

use std::io::{self, IsTerminal, Write};

use clap::ValueEnum;
use serde::Serialize;
use serde_json::Value;

use super::args::{GlobalArgs, OutputFormat};
use super::render::{self, Format, Query, TableStyle};
use crate::autoscaling::types::{
    Activity, AutoScalingGroup, AutoScalingInstanceDetails, LifecycleHook, ScalingPolicy,
    ScheduledUpdateGroupAction, TagDescription,
};
use crate::config::{Dialect, Environment};
use crate::error::Error;

/// `--color`: whether tables are coloured.
#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum ColorChoice {
    /// Colour when stdout is a terminal.
    Auto,
    /// Always colour (ANSI codes, even into a pipe).
    On,
    /// Never colour.
    Off,
}

/// What `--output`, `--query` and `--color` ask for, as one value commands hand to printers.
#[derive(Debug, Clone)]
pub struct Output {
    /// The format.
    pub format: OutputFormat,
    /// The query applied to the reply before printing it.
    pub query: Option<Query>,
    /// Whether tables are coloured.
    pub color: ColorChoice,
}

impl Output {
    /// The choice of the command line as parsed (`--output` absent: the seed's lines).
    pub fn of(global: &GlobalArgs) -> Output {
        Output {
            format: global.output.unwrap_or(OutputFormat::Seed),
            query: global.query.clone(),
            color: global.color,
        }
    }

    /// The format when `--output` is absent: `AWS_DEFAULT_OUTPUT`, else the profile's `output`
    /// setting (`profile_output`, with where it came from), else `None` (the seed's lines).
    pub fn choose(
        env: &dyn Environment,
        profile_output: Option<&str>,
    ) -> Result<Option<OutputFormat>, Error> {
        let parse = |value: &str, from: &str| {
            OutputFormat::from_str(value.trim(), true).map_err(|_| {
                let shown: String = value.chars().take(40).collect();
                Error::Config(format!(
                    "{from} is {shown:?}; the output formats are json, yaml, yaml-stream, \
                     text, table, json-lines and seed"
                ))
            })
        };
        if let Some(value) = env
            .var("AWS_DEFAULT_OUTPUT")
            .filter(|v| !v.trim().is_empty())
        {
            return parse(&value, "AWS_DEFAULT_OUTPUT").map(Some);
        }
        profile_output
            .map(|value| parse(value, "the profile's `output` setting"))
            .transpose()
    }

    /// Whether `--query` can apply: it needs one whole document.
    pub fn check(&self) -> Result<(), Error> {
        if self.query.is_some()
            && matches!(self.format, OutputFormat::Seed | OutputFormat::JsonLines)
        {
            return Err(Error::Config(
                "--query applies to the API's reply as one document: use it with --output \
                 json, yaml, yaml-stream, text or table (not the seed's lines or json-lines)"
                    .into(),
            ));
        }
        Ok(())
    }

    /// The AWS CLI format this is, if it is one.
    fn document_format(&self) -> Option<Format> {
        match self.format {
            OutputFormat::Seed | OutputFormat::JsonLines => None,
            OutputFormat::Json => Some(Format::Json),
            OutputFormat::Text => Some(Format::Text),
            OutputFormat::Table => Some(Format::Table),
            OutputFormat::Yaml => Some(Format::Yaml),
            OutputFormat::YamlStream => Some(Format::YamlStream),
        }
    }

    /// Prints one whole document in this format (after the query); the seed's lines print
    /// nothing, JSON lines one line. `operation` titles a table.
    pub fn print_document(&self, doc: Value, operation: Option<&str>) -> Result<(), Error> {
        let mut printer = Printer::new(self, Dialect::Aws);
        printer.operation = operation.map(str::to_string);
        printer.json(&doc)?;
        printer.finish()
    }
}

/// Writes results to stdout in the chosen format.
pub struct Printer {
    output: Output,
    dialect: Dialect,
    out: Sink,
    /// The operation whose reply this is, which titles a table (else found from the list's
    /// key).
    operation: Option<String>,
}

/// Where output goes before stdout.
enum Sink {
    /// Straight through a buffer (the seed's lines, JSON lines).
    Stream(io::BufWriter<io::Stdout>),
    /// The reply, gathered until [`Printer::finish`] renders it (the AWS CLI's formats); a
    /// list being filled is the array under `key` in the last document.
    Held {
        documents: Vec<Value>,
        list: Option<String>,
    },
}

/// The seed's lines write straight through; a held document is never written to as text.
impl Write for Sink {
    fn write(&mut self, buf: &[u8]) -> io::Result<usize> {
        match self {
            Sink::Stream(w) => w.write(buf),
            Sink::Held { .. } => Ok(buf.len()),
        }
    }

    fn flush(&mut self) -> io::Result<()> {
        match self {
            Sink::Stream(w) => w.flush(),
            Sink::Held { .. } => Ok(()),
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

/// The terminal's width in columns when stdout is one, else 80 (as the AWS CLI sizes tables).
fn terminal_width() -> usize {
    #[cfg(unix)]
    {
        // SAFETY: TIOCGWINSZ writes one `winsize` into the struct it is given, which lives on
        // this stack frame; a failing call (stdout not a terminal) leaves it untouched.
        let mut size = libc::winsize {
            ws_row: 0,
            ws_col: 0,
            ws_xpixel: 0,
            ws_ypixel: 0,
        };
        let ok = unsafe { libc::ioctl(libc::STDOUT_FILENO, libc::TIOCGWINSZ, &mut size) } == 0;
        if ok && size.ws_col > 0 {
            return usize::from(size.ws_col);
        }
    }
    80
}

/// The operation a listing under `key` replies to: the paginated operation whose items are
/// under that key, else `Describe` + key (DescribeLifecycleHooks, EC2's DescribeLaunchTemplates).
fn operation_of(key: &str) -> String {
    use crate::autoscaling::registry::OPERATIONS;
    OPERATIONS
        .iter()
        .find(|e| {
            e.paginator
                .as_ref()
                .is_some_and(|p| p.result_keys.first() == Some(&key))
        })
        .map_or_else(|| format!("Describe{key}"), |e| e.name.to_string())
}

impl Printer {
    /// A printer for the output choice and dialect (the dialect decides how names show).
    pub fn new(output: &Output, dialect: Dialect) -> Self {
        let out = match output.document_format() {
            Some(_) => Sink::Held {
                documents: Vec::new(),
                list: None,
            },
            None => Sink::Stream(io::BufWriter::new(io::stdout())),
        };
        Printer {
            output: output.clone(),
            dialect,
            out,
            operation: None,
        }
    }

    /// Whether the API's JSON is printed (any format but the seed's lines).
    pub fn is_json(&self) -> bool {
        self.output.format != OutputFormat::Seed
    }

    /// Writes one value as one line of compact JSON, in a single write so that the line is
    /// whole or absent.
    fn json_line<T: Serialize>(&mut self, value: &T) -> Result<(), Error> {
        let mut line = serde_json::to_vec(value).map_err(json_error)?;
        line.push(b'\n');
        if let Sink::Stream(w) = &mut self.out {
            w.write_all(&line).map_err(io_error)?;
        }
        Ok(())
    }

    /// Writes seed-layout text (only ever called in the seed's layout).
    fn write_text(&mut self, text: &str) -> Result<(), Error> {
        if let Sink::Stream(w) = &mut self.out {
            w.write_all(text.as_bytes()).map_err(io_error)?;
        }
        Ok(())
    }

    /// Prints a line in the seed's layout (nothing in the JSON formats).
    pub fn line(&mut self, text: &str) -> Result<(), Error> {
        if !self.is_json() {
            self.write_text(&format!("{text}\n"))?;
        }
        Ok(())
    }

    /// Prints a whole JSON value in the JSON formats (nothing in the seed's layout).
    pub fn json<T: Serialize>(&mut self, value: &T) -> Result<(), Error> {
        match &mut self.out {
            Sink::Stream(_) if self.output.format == OutputFormat::JsonLines => {
                self.json_line(value)?
            }
            Sink::Stream(_) => {}
            Sink::Held { documents, list } => {
                documents.push(serde_json::to_value(value).map_err(json_error)?);
                *list = None;
            }
        }
        Ok(())
    }

    /// Opens a JSON list under `key` (JSON lines: nothing, each item is a line).
    pub fn begin_list(&mut self, key: &str) -> Result<(), Error> {
        if let Sink::Held { documents, list } = &mut self.out {
            let mut doc = serde_json::Map::new();
            doc.insert(key.to_string(), Value::Array(Vec::new()));
            documents.push(Value::Object(doc));
            *list = Some(key.to_string());
            if self.operation.is_none() {
                self.operation = Some(operation_of(key));
            }
        }
        Ok(())
    }

    /// Writes one item of a JSON list (JSON lines: one line).
    pub fn list_item<T: Serialize>(&mut self, item: &T) -> Result<(), Error> {
        match &mut self.out {
            Sink::Stream(_) if self.output.format == OutputFormat::JsonLines => {
                self.json_line(item)?
            }
            Sink::Stream(_) => {}
            Sink::Held { documents, list } => {
                let value = serde_json::to_value(item).map_err(json_error)?;
                let items = match (list.as_deref(), documents.last_mut()) {
                    (Some(key), Some(Value::Object(doc))) => doc.get_mut(key),
                    _ => None,
                };
                match items {
                    Some(Value::Array(items)) => items.push(value),
                    // An item outside a list is a document of its own.
                    _ => documents.push(value),
                }
            }
        }
        Ok(())
    }

    /// Closes a JSON list and, the command being done, writes everything out ([`Printer::finish`]).
    pub fn end_list(&mut self) -> Result<(), Error> {
        if let Sink::Held { list, .. } = &mut self.out {
            *list = None;
        }
        self.finish()
    }

    /// Flushes what streams (the seed's lines, JSON lines); a document waits for
    /// [`Printer::finish`].
    pub fn flush(&mut self) -> Result<(), Error> {
        match &mut self.out {
            Sink::Stream(w) => w.flush().map_err(io_error),
            Sink::Held { .. } => Ok(()),
        }
    }

    /// The command succeeded: renders the gathered documents (after the query) to stdout and
    /// flushes. A printer dropped without this writes no document at all.
    pub fn finish(&mut self) -> Result<(), Error> {
        let Sink::Held { documents, list } = &mut self.out else {
            return self.flush();
        };
        *list = None;
        let documents = std::mem::take(documents);
        let Some(format) = self.output.document_format() else {
            return Ok(());
        };
        let color = match self.output.color {
            ColorChoice::On => true,
            ColorChoice::Off => false,
            ColorChoice::Auto => io::stdout().is_terminal(),
        };
        let style = TableStyle {
            title: self.operation.clone(),
            color,
            width: terminal_width(),
        };
        let mut text = String::new();
        for doc in documents {
            let doc = match &self.output.query {
                Some(query) => query.apply(&doc)?,
                None => doc,
            };
            text.push_str(&render::render(&doc, format, &style)?);
        }
        let mut stdout = io::stdout().lock();
        stdout.write_all(text.as_bytes()).map_err(io_error)?;
        stdout.flush().map_err(io_error)
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
        self.write_text(&text)
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
