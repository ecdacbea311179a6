//! Printing one API-shaped JSON document as the AWS CLI prints it: `--query` (JMESPath) first,
//! then `--output json`, `text`, `table`, `yaml` or `yaml-stream`.
//!
//! Why here: every command that prints the API's reply (seed commands, task commands,
//! `phantom api`) hands [`super::output::Printer`] that reply as JSON; the printer calls
//! [`render`] once the command has succeeded. The rules are the AWS CLI's (v1's `formatter.py`,
//! `text.py` and `table.py`, read as facts; v2's for the YAML formats, which v1 lacks): the same
//! key orders, the same Python spellings of values (`True`, `None`, `50.0`), the same column
//! arithmetic (Python's rounding of halves to even), the same colour codes. What differs is
//! listed in `wsdl-notes/output.md`.

use std::fmt::Write as _;

use serde_json::{Map, Value};

use crate::error::Error;

/// The formats this module prints (the others, the seed layout and JSON lines, stream).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Format {
    /// `json`: indented by four spaces, non-ASCII as is.
    Json,
    /// `text`: tab-separated lines, keys sorted, nested lists under their upper-cased key.
    Text,
    /// `table`: boxed sections titled by the operation.
    Table,
    /// `yaml`: one block-style YAML document.
    Yaml,
    /// `yaml-stream`: a YAML sequence of the reply's pages (here one: the merged reply).
    YamlStream,
}

/// How a table is drawn: its title (the operation, as the AWS CLI titles it), colours, and the
/// width it must fit (the terminal's, else 80).
#[derive(Debug, Clone)]
pub struct TableStyle {
    /// The top section's title, e.g. `DescribeAutoScalingGroups`.
    pub title: Option<String>,
    /// Whether to colour values and borders (ANSI codes, as the AWS CLI's `--color on`).
    pub color: bool,
    /// The width above which single-row sections are turned vertical.
    pub width: usize,
}

/// A compiled `--query`: checked when the command line is read, applied to the reply.
#[derive(Debug, Clone)]
pub struct Query {
    text: String,
}

impl Query {
    /// Compiles `text` (a JMESPath expression); an error says where it is malformed.
    pub fn parse(text: &str) -> Result<Query, String> {
        jmespath::compile(text)
            .map(|_| Query {
                text: text.to_string(),
            })
            .map_err(|e| format!("Bad value for --query {text}: {e}"))
    }

    /// Applies the query to `doc`. Objects of the result keep the key order they have in
    /// `doc` (or in the query's `{A: .., B: ..}`), as the AWS CLI's dictionaries do; the
    /// JMESPath crate's own objects are sorted.
    pub fn apply(&self, doc: &Value) -> Result<Value, Error> {
        let bad = |e: String| Error::Config(format!("--query {}: {e}", self.text));
        let expr = jmespath::compile(&self.text).map_err(|e| bad(e.to_string()))?;
        let found = expr.search(doc).map_err(|e| bad(e.to_string()))?;
        let mut result = serde_json::to_value(&*found).map_err(|e| bad(e.to_string()))?;
        let mut orders = KeyOrders::default();
        orders.learn_ast(expr.as_ast());
        orders.learn_value(doc);
        orders.restore(&mut result);
        Ok(result)
    }
}

/// Key orders by key set: each object's keys in the order first seen for that set.
#[derive(Default)]
struct KeyOrders {
    by_set: std::collections::HashMap<Vec<String>, Vec<String>>,
}

impl KeyOrders {
    fn learn(&mut self, keys: Vec<String>) {
        let mut set = keys.clone();
        set.sort();
        self.by_set.entry(set).or_insert(keys);
    }

    fn learn_value(&mut self, value: &Value) {
        match value {
            Value::Object(map) => {
                self.learn(map.keys().cloned().collect());
                map.values().for_each(|v| self.learn_value(v));
            }
            Value::Array(items) => items.iter().for_each(|v| self.learn_value(v)),
            _ => {}
        }
    }

    fn learn_ast(&mut self, ast: &jmespath::ast::Ast) {
        use jmespath::ast::Ast;
        match ast {
            Ast::MultiHash { elements, .. } => {
                self.learn(elements.iter().map(|kv| kv.key.clone()).collect());
                elements.iter().for_each(|kv| self.learn_ast(&kv.value));
            }
            Ast::Comparison { lhs, rhs, .. }
            | Ast::Projection { lhs, rhs, .. }
            | Ast::And { lhs, rhs, .. }
            | Ast::Or { lhs, rhs, .. }
            | Ast::Subexpr { lhs, rhs, .. } => {
                self.learn_ast(lhs);
                self.learn_ast(rhs);
            }
            Ast::Condition {
                predicate, then, ..
            } => {
                self.learn_ast(predicate);
                self.learn_ast(then);
            }
            Ast::Expref { ast, .. } => self.learn_ast(ast),
            Ast::Flatten { node, .. } | Ast::Not { node, .. } | Ast::ObjectValues { node, .. } => {
                self.learn_ast(node)
            }
            Ast::Function { args, .. } => args.iter().for_each(|a| self.learn_ast(a)),
            Ast::MultiList { elements, .. } => elements.iter().for_each(|a| self.learn_ast(a)),
            Ast::Identity { .. }
            | Ast::Field { .. }
            | Ast::Index { .. }
            | Ast::Literal { .. }
            | Ast::Slice { .. } => {}
        }
    }

    fn restore(&self, value: &mut Value) {
        match value {
            Value::Object(map) => {
                let mut set: Vec<String> = map.keys().cloned().collect();
                set.sort();
                if let Some(order) = self.by_set.get(&set) {
                    let mut old = std::mem::take(map);
                    for key in order {
                        if let Some(v) = old.remove(key) {
                            map.insert(key.clone(), v);
                        }
                    }
                }
                map.values_mut().for_each(|v| self.restore(v));
            }
            Value::Array(items) => items.iter_mut().for_each(|v| self.restore(v)),
            _ => {}
        }
    }
}

/// The text `format` prints for `doc` (already queried): empty when the AWS CLI prints nothing
/// for it (a table of an empty value, text of an empty list).
pub fn render(doc: &Value, format: Format, table: &TableStyle) -> Result<String, Error> {
    Ok(match format {
        // `{}` prints too: the AWS CLI prints nothing for an operation without output members,
        // which `phantom api` does itself; a command's own `{}` is a document its callers parse.
        Format::Json => json(doc)?,
        Format::Text => {
            let mut out = String::new();
            text(doc, None, None, &mut out);
            out
        }
        Format::Table => render_table(doc, table)?,
        Format::Yaml => {
            let mut out = String::new();
            yaml_document(doc, &mut out);
            out
        }
        Format::YamlStream => {
            let mut out = String::new();
            yaml_document(&Value::Array(vec![doc.clone()]), &mut out);
            out
        }
    })
}

/// JSON indented by four spaces with a final line break (Python's `json.dump(indent=4)`).
pub fn json(doc: &Value) -> Result<String, Error> {
    use serde::Serialize;
    let mut bytes = Vec::new();
    let formatter = serde_json::ser::PrettyFormatter::with_indent(b"    ");
    let mut serializer = serde_json::Serializer::with_formatter(&mut bytes, formatter);
    doc.serialize(&mut serializer)
        .map_err(|e| Error::Encoding(format!("the reply as JSON: {e}")))?;
    bytes.push(b'\n');
    String::from_utf8(bytes).map_err(|e| Error::Encoding(format!("the reply as JSON: {e}")))
}

/// A scalar as Python's `str()` spells it (the AWS CLI's text and table cells).
fn py_str(value: &Value) -> String {
    match value {
        Value::Null => "None".into(),
        Value::Bool(true) => "True".into(),
        Value::Bool(false) => "False".into(),
        Value::String(s) => s.clone(),
        Value::Number(n) => py_number(n),
        // Containers only show here in a column whose other rows are scalars: Python's repr.
        other => py_repr(other),
    }
}

fn py_number(n: &serde_json::Number) -> String {
    if n.is_f64() {
        let f = n.as_f64().unwrap_or(0.0);
        // Python's repr: the shortest text that reads back, always with a `.0` or exponent.
        let s = format!("{f:?}");
        match s.split_once('e') {
            Some((m, e)) if !e.starts_with('-') => format!("{m}e+{e:0>2}"),
            Some((m, e)) => format!("{m}e-{:0>2}", &e[1..]),
            None => s,
        }
    } else {
        n.to_string()
    }
}

fn py_repr(value: &Value) -> String {
    match value {
        Value::String(s) => format!("'{}'", s.replace('\\', "\\\\").replace('\'', "\\'")),
        Value::Array(items) => {
            let parts: Vec<String> = items.iter().map(py_repr).collect();
            format!("[{}]", parts.join(", "))
        }
        Value::Object(map) => {
            let parts: Vec<String> = map
                .iter()
                .map(|(k, v)| format!("'{k}': {}", py_repr(v)))
                .collect();
            format!("{{{}}}", parts.join(", "))
        }
        scalar => py_str(scalar),
    }
}

fn is_scalar(value: &Value) -> bool {
    !matches!(value, Value::Array(_) | Value::Object(_))
}

fn sorted_keys(map: &Map<String, Value>) -> Vec<&String> {
    let mut keys: Vec<&String> = map.keys().collect();
    keys.sort();
    keys
}

/// The AWS CLI's text format (`text.py`'s rules).
fn text(item: &Value, identifier: Option<&str>, scalar_keys: Option<&[String]>, out: &mut String) {
    match item {
        Value::Object(map) => text_dict(map, identifier, scalar_keys, out),
        Value::Array(items) => text_list(items, identifier, out),
        scalar => {
            out.push_str(&py_str(scalar));
            out.push('\n');
        }
    }
}

fn text_list(items: &[Value], identifier: Option<&str>, out: &mut String) {
    if items.is_empty() {
        return;
    }
    if items.iter().any(Value::is_object) {
        let mut keys: Vec<String> = items
            .iter()
            .filter_map(Value::as_object)
            .flat_map(|m| {
                m.iter()
                    .filter(|(_, v)| is_scalar(v))
                    .map(|(k, _)| k.clone())
            })
            .collect();
        keys.sort();
        keys.dedup();
        for element in items {
            text(element, identifier, Some(&keys), out);
        }
    } else if items.iter().any(Value::is_array) {
        let scalars: Vec<&Value> = items.iter().filter(|v| is_scalar(v)).collect();
        if !scalars.is_empty() {
            text_scalars(&scalars, identifier, out);
        }
        for nested in items.iter().filter(|v| !is_scalar(v)) {
            text(nested, identifier, None, out);
        }
    } else {
        let all: Vec<&Value> = items.iter().collect();
        text_scalars(&all, identifier, out);
    }
}

fn text_scalars(items: &[&Value], identifier: Option<&str>, out: &mut String) {
    match identifier {
        Some(id) => {
            let id = id.to_uppercase();
            for item in items {
                let _ = writeln!(out, "{id}\t{}", py_str(item));
            }
        }
        None => {
            let cells: Vec<String> = items.iter().map(|v| py_str(v)).collect();
            out.push_str(&cells.join("\t"));
            out.push('\n');
        }
    }
}

fn text_dict(
    map: &Map<String, Value>,
    identifier: Option<&str>,
    scalar_keys: Option<&[String]>,
    out: &mut String,
) {
    let mut scalars: Vec<String> = Vec::new();
    let mut nested: Vec<(&String, &Value)> = Vec::new();
    match scalar_keys {
        None => {
            for key in sorted_keys(map) {
                let value = &map[key];
                if is_scalar(value) {
                    scalars.push(py_str(value));
                } else {
                    nested.push((key, value));
                }
            }
        }
        Some(keys) => {
            for key in keys {
                scalars.push(map.get(key).map(py_str).unwrap_or_default());
            }
            for key in sorted_keys(map) {
                if !keys.contains(key) {
                    nested.push((key, &map[key]));
                }
            }
        }
    }
    if !scalars.is_empty() {
        if let Some(id) = identifier {
            scalars.insert(0, id.to_uppercase());
        }
        out.push_str(&scalars.join("\t"));
        out.push('\n');
    }
    for (key, value) in nested {
        text(value, Some(key), None, out);
    }
}

/// The width of text in a terminal as the AWS CLI counts it: two columns for East Asian wide,
/// fullwidth and ambiguous characters.
fn text_width(text: &str) -> usize {
    text.chars().map(|c| if wide(c) { 2 } else { 1 }).sum()
}

/// Whether Unicode's East Asian Width of `c` is W, F or A (the common ranges; see
/// `wsdl-notes/output.md`).
fn wide(c: char) -> bool {
    let c = c as u32;
    if c < 0xA1 {
        return false;
    }
    const RANGES: &[(u32, u32)] = &[
        // Ambiguous: the Latin-1 signs and letters, Greek, Cyrillic, box drawing and more.
        (0xA1, 0xA1),
        (0xA4, 0xA4),
        (0xA7, 0xA8),
        (0xAA, 0xAA),
        (0xAD, 0xAE),
        (0xB0, 0xB4),
        (0xB6, 0xBA),
        (0xBC, 0xBF),
        (0xC6, 0xC6),
        (0xD0, 0xD0),
        (0xD7, 0xD8),
        (0xDE, 0xE1),
        (0xE6, 0xE6),
        (0xE8, 0xEA),
        (0xEC, 0xED),
        (0xF0, 0xF0),
        (0xF2, 0xF3),
        (0xF7, 0xFA),
        (0xFC, 0xFC),
        (0xFE, 0xFE),
        (0x391, 0x3A9),
        (0x3B1, 0x3C9),
        (0x401, 0x401),
        (0x410, 0x44F),
        (0x451, 0x451),
        (0x2010, 0x2027),
        (0x2030, 0x203E),
        (0x2190, 0x21FF),
        (0x2200, 0x22FF),
        (0x2460, 0x24FF),
        (0x2500, 0x257F),
        (0x25A0, 0x25FF),
        (0x2600, 0x26FF),
        // Wide and fullwidth: CJK, Hangul, kana, fullwidth forms, emoji.
        (0x1100, 0x115F),
        (0x2E80, 0x303E),
        (0x3041, 0x33FF),
        (0x3400, 0x4DBF),
        (0x4E00, 0x9FFF),
        (0xA000, 0xA4CF),
        (0xAC00, 0xD7A3),
        (0xE000, 0xF8FF),
        (0xF900, 0xFAFF),
        (0xFE30, 0xFE4F),
        (0xFF00, 0xFF60),
        (0xFFE0, 0xFFE6),
        (0x1F300, 0x1F64F),
        (0x1F900, 0x1F9FF),
        (0x20000, 0x3FFFD),
    ];
    RANGES.iter().any(|&(lo, hi)| (lo..=hi).contains(&c))
}

/// One section of a table (`table.py`'s `Section`).
#[derive(Debug, Default)]
struct Section {
    /// `None` where Python's is `None` (a nested list's section), which counts 4 wide.
    title: Option<String>,
    headers: Vec<String>,
    rows: Vec<Vec<String>>,
    indent: usize,
    columns: Option<usize>,
    widths: Vec<usize>,
}

impl Section {
    fn title_width(&self) -> usize {
        self.title.as_deref().map_or(4, text_width)
    }

    fn add_header(&mut self, headers: Vec<String>) {
        self.update_widths(&headers);
        if self.columns.is_none() {
            self.columns = Some(headers.len());
        }
        self.headers = headers;
    }

    fn add_row(&mut self, row: Vec<String>) -> Result<(), Error> {
        let columns = *self.columns.get_or_insert(row.len());
        if row.len() != columns {
            return Err(Error::Config(format!(
                "--output table cannot show this result: a row has {} columns where the \
                 table has {columns} (the AWS CLI fails on it too); try --output json",
                row.len()
            )));
        }
        self.update_widths(&row);
        self.rows.push(row);
        Ok(())
    }

    fn update_widths(&mut self, row: &[String]) {
        if self.widths.is_empty() {
            self.widths = row.iter().map(|c| text_width(c)).collect();
        } else {
            for (w, cell) in self.widths.iter_mut().zip(row) {
                *w = (*w).max(text_width(cell));
            }
        }
    }

    /// Column widths padded by `padding` and scaled to sum to `max_width`.
    fn column_widths(&self, padding: usize, max_width: usize) -> Vec<usize> {
        let unscaled: Vec<usize> = self.widths.iter().map(|w| w + padding).collect();
        if unscaled.is_empty() {
            return unscaled;
        }
        let total: usize = unscaled.iter().sum();
        let scale = max_width as f64 / total as f64;
        let mut scaled: Vec<i64> = unscaled
            .iter()
            .map(|&w| (scale * w as f64).round_ties_even() as i64)
            .collect();
        let mut off_by: i64 = scaled.iter().sum::<i64>() - max_width as i64;
        while off_by != 0 {
            let order: Vec<usize> = if off_by < 0 {
                (0..scaled.len()).rev().collect()
            } else {
                (0..scaled.len()).collect()
            };
            for i in order {
                if off_by > 0 {
                    scaled[i] -= 1;
                    off_by -= 1;
                } else {
                    scaled[i] += 1;
                    off_by += 1;
                }
                if off_by == 0 {
                    break;
                }
            }
        }
        scaled.into_iter().map(|w| w.max(0) as usize).collect()
    }

    fn total_width(&self) -> usize {
        let outer = self.indent;
        let columns: usize = self.widths.iter().map(|w| w + 4).sum::<usize>() + 2 + 2 * outer;
        columns.max(self.title_width() + 2 + 2 * outer)
    }
}

/// A table being built (`TableFormatter` and `MultiTable`).
#[derive(Default)]
struct Table {
    sections: Vec<Section>,
}

impl Table {
    fn current(&mut self) -> &mut Section {
        if self.sections.is_empty() {
            self.sections.push(Section::default());
        }
        let last = self.sections.len() - 1;
        &mut self.sections[last]
    }

    fn new_section(&mut self, title: Option<&str>, indent: usize) {
        self.sections.push(Section {
            title: title.map(str::to_string),
            indent,
            ..Section::default()
        });
    }

    /// Python's truthiness of a value: `if not current` skips it.
    fn truthy(value: &Value) -> bool {
        match value {
            Value::Null => false,
            Value::Bool(b) => *b,
            Value::Number(n) => n.as_f64().is_some_and(|f| f != 0.0),
            Value::String(s) => !s.is_empty(),
            Value::Array(a) => !a.is_empty(),
            Value::Object(m) => !m.is_empty(),
        }
    }

    fn build(
        &mut self,
        title: Option<&str>,
        current: &Value,
        indent: usize,
    ) -> Result<bool, Error> {
        if !Self::truthy(current) {
            return Ok(false);
        }
        if title.is_some() {
            self.new_section(title, indent);
        }
        match current {
            Value::Array(items) => {
                if items[0].is_object() {
                    self.sub_table_from_list(items, indent, title)?;
                } else {
                    for item in items {
                        match item {
                            Value::Array(cells) if cells.iter().all(is_scalar) => {
                                self.current().add_row(cells.iter().map(py_str).collect())?;
                            }
                            // Python iterates a dictionary's keys, which are all scalars.
                            Value::Object(map) => {
                                self.current().add_row(map.keys().cloned().collect())?;
                            }
                            Value::Array(_) => {
                                self.build(None, item, 0)?;
                            }
                            scalar => self.current().add_row(vec![py_str(scalar)])?,
                        }
                    }
                }
            }
            Value::Object(map) => self.sub_table_from_dict(map, indent)?,
            _ => {}
        }
        Ok(true)
    }

    fn group_keys(map: &Map<String, Value>) -> (Vec<String>, Vec<String>) {
        let (mut headers, mut more): (Vec<String>, Vec<String>) = (Vec::new(), Vec::new());
        for (key, value) in map {
            if is_scalar(value) {
                headers.push(key.clone());
            } else {
                more.push(key.clone());
            }
        }
        headers.sort();
        more.sort();
        (headers, more)
    }

    fn sub_table_from_dict(
        &mut self,
        map: &Map<String, Value>,
        indent: usize,
    ) -> Result<(), Error> {
        let (headers, more) = Self::group_keys(map);
        if headers.len() == 1 {
            let cell = py_str(&map[&headers[0]]);
            self.current().add_row(vec![headers[0].clone(), cell])?;
        } else if !headers.is_empty() {
            let row = headers.iter().map(|k| py_str(&map[k])).collect();
            self.current().add_header(headers);
            self.current().add_row(row)?;
        }
        for key in more {
            self.build(Some(&key), &map[&key], indent + 1)?;
        }
        Ok(())
    }

    fn sub_table_from_list(
        &mut self,
        items: &[Value],
        indent: usize,
        title: Option<&str>,
    ) -> Result<(), Error> {
        let mut headers: Vec<String> = Vec::new();
        let mut more: Vec<String> = Vec::new();
        for map in items.iter().filter_map(Value::as_object) {
            let (h, m) = Self::group_keys(map);
            headers.extend(h);
            more.extend(m);
        }
        headers.sort();
        headers.dedup();
        more.sort();
        more.dedup();
        self.current().add_header(headers.clone());
        let empty = Map::new();
        for (i, element) in items.iter().enumerate() {
            let map = element.as_object().unwrap_or(&empty);
            if i > 0 && !more.is_empty() {
                self.new_section(title, indent);
                self.current().add_header(headers.clone());
            }
            let row = headers
                .iter()
                .map(|h| map.get(h).map(py_str).unwrap_or_default())
                .collect();
            self.current().add_row(row)?;
            for key in &more {
                if let Some(value) = map.get(key) {
                    self.build(Some(key), value, indent + 1)?;
                }
            }
        }
        Ok(())
    }
}

/// Writes as the AWS CLI's table writes: with colours, colorama's `autoreset` ends every
/// single write with a reset code, so the writes are kept as the AWS CLI makes them.
struct Writer<'a> {
    out: &'a mut String,
    color: bool,
}

impl Writer<'_> {
    fn write(&mut self, text: &str) {
        self.out.push_str(text);
        if self.color {
            self.out.push_str(RESET);
        }
    }

    /// `IndentedStream.write`: the indentation bars around one line.
    fn indented(&mut self, indent: usize, bar: &str, text: &str) {
        self.write(&bar.repeat(indent));
        match text.strip_suffix('\n') {
            Some(line) => {
                self.write(line);
                self.write(&bar.repeat(indent));
                self.write("\n");
            }
            None => self.write(text),
        }
    }
}

const RESET: &str = "\x1b[0m";

fn repeat(c: char, n: i64) -> String {
    std::iter::repeat_n(c, usize::try_from(n).unwrap_or(0)).collect()
}

/// `center_text`: `text` centred between two edges in `length` columns.
fn center(text: &str, text_len: usize, length: usize, left: &str, right: &str) -> String {
    let (length, text_len) = (length as i64, text_len as i64);
    let start = length.div_euclid(2) - text_len.div_euclid(2) - 1;
    let so_far = text_width(left) as i64 + start + text_len;
    let right_spaces = length - text_width(right) as i64 - so_far;
    format!(
        "{left}{}{text}{}{right}",
        repeat(' ', start),
        repeat(' ', right_spaces)
    )
}

/// `align_left`: `text` two spaces in from the left edge, padded to `length` columns.
fn align_left(text: &str, text_len: usize, length: usize, left: &str, right: &str) -> String {
    let (length, text_len) = (length as i64, text_len as i64);
    let (l, r) = (left.chars().count() as i64, right.chars().count() as i64);
    let padding = if length - (text_len + 2 + l + r) >= 0 {
        2
    } else {
        0
    };
    let fill = length - (l + padding + text_len) - r;
    format!(
        "{left}{}{text}{}{right}",
        repeat(' ', padding),
        repeat(' ', fill)
    )
}

fn line_break(widths: &[usize]) -> String {
    let mut parts = String::new();
    for (i, &w) in widths.iter().enumerate() {
        if i == 0 {
            parts.push_str(&format!("+{}+", repeat('-', w as i64 - 2)));
        } else {
            parts.push_str(&format!("{}+", repeat('-', w as i64 - 1)));
        }
    }
    parts.push('\n');
    parts
}

fn render_table(doc: &Value, style: &TableStyle) -> Result<String, Error> {
    let mut table = Table::default();
    let title = style.title.as_deref().unwrap_or("");
    if !table.build(Some(title), doc, 0)? || table.sections.is_empty() {
        return Ok(String::new());
    }
    let mut max_width = table
        .sections
        .iter()
        .map(Section::total_width)
        .max()
        .unwrap_or(0);
    if max_width > style.width {
        // Single-row sections turn vertical: a row per header.
        for section in &mut table.sections {
            if section.rows.len() == 1 && !section.headers.is_empty() {
                let mut vertical = Section {
                    title: section.title.take(),
                    indent: section.indent,
                    ..Section::default()
                };
                let row = std::mem::take(&mut section.rows[0]);
                for (header, cell) in std::mem::take(&mut section.headers).into_iter().zip(row) {
                    vertical.add_row(vec![header, cell])?;
                }
                *section = vertical;
            }
        }
        max_width = table
            .sections
            .iter()
            .map(Section::total_width)
            .max()
            .unwrap_or(0);
    }
    let (value_on, bar) = if style.color {
        ("\x1b[1m\x1b[34m", "\x1b[2m\x1b[33m|\x1b[0m")
    } else {
        ("", "|")
    };
    let mut out = String::new();
    let mut w = Writer {
        out: &mut out,
        color: style.color,
    };
    w.write(&format!("{}\n", repeat('-', max_width as i64)));
    for section in &table.sections {
        let width = max_width.saturating_sub(section.indent * 2);
        let indent = section.indent;
        if let Some(title) = section.title.as_deref().filter(|t| !t.is_empty()) {
            let line = center(title, text_width(title), width, "|", "|");
            w.indented(indent, bar, &format!("{line}\n"));
            if section.headers.is_empty() && section.rows.is_empty() {
                let rule = format!("+{}+\n", repeat('-', width as i64 - 2));
                w.indented(indent, bar, &rule);
            }
        }
        if !section.headers.is_empty() {
            let widths = section.column_widths(4, width);
            let mut line = String::new();
            for (i, (cw, header)) in widths.iter().zip(&section.headers).enumerate() {
                let left = if i == 0 { "|" } else { "" };
                line.push_str(&center(header, text_width(header), *cw, left, "|"));
            }
            w.indented(indent, bar, &line_break(&widths));
            w.indented(indent, bar, &format!("{line}\n"));
        }
        if !section.rows.is_empty() {
            let widths = section.column_widths(4, width);
            if widths.is_empty() {
                continue;
            }
            w.indented(indent, bar, &line_break(&widths));
            for row in &section.rows {
                let mut line = String::new();
                for (i, (cw, cell)) in widths.iter().zip(row).enumerate() {
                    let left = if i == 0 { "|" } else { "" };
                    let styled = if style.color {
                        format!("{value_on}{cell}{RESET}")
                    } else {
                        cell.clone()
                    };
                    line.push_str(&align_left(&styled, text_width(cell), *cw, left, "|"));
                }
                w.indented(indent, bar, &format!("{line}\n"));
            }
            w.indented(indent, bar, &line_break(&widths));
        }
    }
    Ok(out)
}

/// A YAML document in block style, as the AWS CLI v2 prints one: mappings' keys in the reply's
/// order, a sequence's dashes at its key's column, empty containers as `[]` / `{}`, strings
/// plain unless YAML would read them as something else.
fn yaml_document(doc: &Value, out: &mut String) {
    match doc {
        Value::Object(m) if !m.is_empty() => yaml_map(m, 0, out),
        Value::Array(a) if !a.is_empty() => yaml_seq(a, 0, out),
        scalar => {
            out.push_str(&yaml_scalar(scalar));
            out.push('\n');
        }
    }
}

fn yaml_map(map: &Map<String, Value>, indent: usize, out: &mut String) {
    let pad = " ".repeat(indent);
    let mut first = true;
    for (key, value) in map {
        // The first key of a mapping inside a sequence follows its dash.
        if !first || !out.ends_with("- ") {
            out.push_str(&pad);
        }
        first = false;
        out.push_str(&yaml_string(key));
        out.push(':');
        yaml_value_after_key(value, indent, out);
    }
}

fn yaml_value_after_key(value: &Value, indent: usize, out: &mut String) {
    match value {
        Value::Object(m) if !m.is_empty() => {
            out.push('\n');
            yaml_map(m, indent + 2, out);
        }
        Value::Array(a) if !a.is_empty() => {
            out.push('\n');
            yaml_seq(a, indent, out);
        }
        scalar => {
            out.push(' ');
            out.push_str(&yaml_scalar(scalar));
            out.push('\n');
        }
    }
}

fn yaml_seq(items: &[Value], indent: usize, out: &mut String) {
    let pad = " ".repeat(indent);
    for item in items {
        if !out.is_empty() && !out.ends_with('\n') && !out.ends_with("- ") {
            out.push('\n');
        }
        if !out.ends_with("- ") {
            out.push_str(&pad);
        }
        out.push_str("- ");
        match item {
            Value::Object(m) if !m.is_empty() => yaml_map(m, indent + 2, out),
            Value::Array(a) if !a.is_empty() => yaml_seq(a, indent + 2, out),
            scalar => {
                out.push_str(&yaml_scalar(scalar));
                out.push('\n');
            }
        }
    }
}

fn yaml_scalar(value: &Value) -> String {
    match value {
        Value::Null => "null".into(),
        Value::Bool(b) => b.to_string(),
        Value::Number(n) => n.to_string(),
        Value::String(s) => yaml_string(s),
        Value::Array(_) => "[]".into(),
        Value::Object(_) => "{}".into(),
    }
}

/// A string as a YAML scalar: plain when a YAML 1.1 reader reads it back as this string,
/// single-quoted when only its characters need protecting, double-quoted (escaped) when it
/// holds line breaks or other control characters.
fn yaml_string(s: &str) -> String {
    if s.chars().any(|c| c.is_control() || c == '\u{feff}') {
        let mut q = String::from("\"");
        for c in s.chars() {
            match c {
                '"' => q.push_str("\\\""),
                '\\' => q.push_str("\\\\"),
                '\n' => q.push_str("\\n"),
                '\t' => q.push_str("\\t"),
                '\r' => q.push_str("\\r"),
                c if c.is_control() || c == '\u{feff}' => {
                    let _ = write!(q, "\\u{:04X}", c as u32);
                }
                c => q.push(c),
            }
        }
        q.push('"');
        return q;
    }
    if yaml_plain_ok(s) {
        s.to_string()
    } else {
        format!("'{}'", s.replace('\'', "''"))
    }
}

fn yaml_plain_ok(s: &str) -> bool {
    let Some(first) = s.chars().next() else {
        return false;
    };
    if s.starts_with(' ') || s.ends_with(' ') {
        return false;
    }
    if "-?:,[]{}#&*!|>'\"%@`".contains(first) {
        return false;
    }
    if s.contains(": ") || s.contains(" #") || s.ends_with(':') {
        return false;
    }
    if s.contains(['{', '}', '[', ']', ',']) || s.chars().any(|c| !c.is_ascii_graphic() && c != ' ')
    {
        // Flow indicators and non-ASCII: quoted, as the AWS CLI's dumper quotes them.
        return false;
    }
    let lower = s.to_ascii_lowercase();
    const RESERVED: &[&str] = &[
        "y", "n", "yes", "no", "true", "false", "on", "off", "null", "~", ".nan", ".inf", "-.inf",
        "+.inf", "=", "<<",
    ];
    if RESERVED.contains(&lower.as_str()) {
        return false;
    }
    // Anything that starts like a number, a date or a time may be read as one.
    if first.is_ascii_digit() || first == '.' || first == '+' {
        return false;
    }
    true
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn style() -> TableStyle {
        TableStyle {
            title: Some("DescribeThings".into()),
            color: false,
            width: 80,
        }
    }

    #[test]
    fn python_spellings_of_scalars() {
        assert_eq!(py_str(&json!(true)), "True");
        assert_eq!(py_str(&json!(null)), "None");
        assert_eq!(py_str(&json!(50.0)), "50.0");
        assert_eq!(py_str(&json!(1e-5)), "1e-05");
        assert_eq!(py_str(&json!(7)), "7");
        assert_eq!(py_repr(&json!(["a", 1])), "['a', 1]");
    }

    #[test]
    fn text_lists_sort_keys_and_name_nested_lists() {
        let doc = json!({"Groups": [{"Name": "a", "Size": 1, "Zones": ["z1", "z2"]},
                                    {"Name": "b", "Size": 2, "Extra": true, "Zones": []}]});
        let mut out = String::new();
        text(&doc, None, None, &mut out);
        assert_eq!(
            out,
            "GROUPS\t\ta\t1\nZONES\tz1\nZONES\tz2\nGROUPS\tTrue\tb\t2\n"
        );
    }

    #[test]
    fn queries_keep_the_replys_key_order() {
        let doc = json!({"G": [{"Zeta": 1, "Alpha": 2}, {"Zeta": 3, "Alpha": 4}]});
        let q = Query::parse("G[0]").unwrap_or_else(|e| panic!("{e}"));
        let got = q.apply(&doc).unwrap_or_else(|e| panic!("{e}"));
        assert_eq!(
            serde_json::to_string(&got).ok(),
            Some(r#"{"Zeta":1,"Alpha":2}"#.into())
        );
        let q = Query::parse("G[].{Z: Zeta, A: Alpha}").unwrap_or_else(|e| panic!("{e}"));
        let got = q.apply(&doc).unwrap_or_else(|e| panic!("{e}"));
        assert_eq!(
            serde_json::to_string(&got).ok(),
            Some(r#"[{"Z":1,"A":2},{"Z":3,"A":4}]"#.into())
        );
        assert!(Query::parse("G[").is_err());
    }

    #[test]
    fn tables_of_odd_shapes_do_not_panic() {
        for doc in [
            json!("x"),
            json!(""),
            json!(null),
            json!([]),
            json!({}),
            json!([[1, 2], [3]]),
            json!([{"a": 1}, "b"]),
            json!([[{"a": [1]}]]),
            json!({"a": {"b": {"c": [{"d": "\u{4e00}\u{4e00}\u{4e00}".repeat(40)}]}}}),
        ] {
            let _ = render(&doc, Format::Table, &style());
            let _ = render(&doc, Format::Text, &style());
            let _ = render(&doc, Format::Yaml, &style());
        }
    }

    #[test]
    fn yaml_strings_that_would_read_as_something_else_are_quoted() {
        assert_eq!(yaml_string("web"), "web");
        assert_eq!(yaml_string("us-east-1a"), "us-east-1a");
        assert_eq!(yaml_string("true"), "'true'");
        assert_eq!(yaml_string("123"), "'123'");
        assert_eq!(yaml_string(""), "''");
        assert_eq!(yaml_string("a: b"), "'a: b'");
        assert_eq!(yaml_string("it's"), "it's");
        assert_eq!(yaml_string("line\nbreak"), "\"line\\nbreak\"");
        let mut out = String::new();
        yaml_document(&json!({"A": [{"B": 1, "C": []}, "x"], "D": {}}), &mut out);
        assert_eq!(out, "A:\n- B: 1\n  C: []\n- x\nD: {}\n");
    }
}
