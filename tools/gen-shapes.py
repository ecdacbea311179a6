#!/usr/bin/env python3
"""Generates the Auto Scaling library code from the API model (tools/model/service-2.json and
paginators-1.json): every operation of the model.

Run from the repository root (each output then through `rustfmt --edition 2024`):
  `python3 tools/gen-shapes.py > src/autoscaling/types.rs`: the shapes (see `main`);
  `python3 tools/gen-shapes.py operations > src/autoscaling/generated_ops.rs`: every `Operation`
  impl, a `Paginated` impl per paginator, the registry table and one client method per operation
  (see `main_operations`);
  `python3 tools/gen-shapes.py constraints > src/autoscaling/constraints.rs`: the model's input
  constraints (required members, lengths, ranges, patterns, enums, list sizes) of every operation
  of the model (OPERATIONS) as a table for its validator (`src/server/ops/validate.rs`); see
  `main_constraints`.
`tests/it/generated.rs` checks the three files are what this script writes.

Conventions of the generated Rust (see wsdl-notes/shapes.md):
- one struct per structure shape reachable from the operations in OPERATIONS (all of the model's);
  an operation's input is named `<Op>Input` and its output `<Op>Output`, one of each per operation
  even where the model shares a shape (SuspendProcesses and ResumeProcesses both take
  `ScalingProcessQuery`) or has none (an input without members; no output means `NoOutput`);
- members keep their names on the wire, except where the model gives a `locationName`
  (its one, `CpuPerformanceFactorRequest.References`, which botocore sends as `Reference.item.N`):
  that name is the one serialized to the form and read as an alias, the member name the one read
  from JSON; a list whose items the model names (`item`) is marked with that name
  (`crate::query::form::list_layout`) so the form writer, the tree reader and the XML writer use
  it instead of `member`: see wsdl-notes/shapes.md;
- a request with a required timestamp has no `Default`;
- every member is `Option<T>` except the required members of an input (so a request cannot be built
  without them); lists are `Option<Vec<T>>` (None = not sent / absent, Some(empty) = `Name=` / `<Name/>`);
- strings (enums included) stay `String`: servers in the wild send values the model does not list;
- serde names are the API's member names, so the same struct serializes to Query form pairs, to
  reply XML and to JSON with the API's field names;
- optional numbers, booleans and timestamps read through `tree::opt_scalar`, which takes an empty
  element (`<HealthCheckGracePeriod/>`) as absent.
Doc comments are written from the model's facts (type, limits, required), not its prose.
"""

import json
import os
import re
import sys

HERE = os.path.dirname(os.path.abspath(__file__))

# Every operation of the model, in the model's order: types.rs and generated_ops.rs cover them all.
OPERATIONS = list(json.load(open(os.path.join(HERE, "model", "service-2.json")))["operations"])

RUST_KEYWORDS = {"type", "match", "ref", "self", "mod", "use", "fn", "impl", "struct", "enum"}


def snake(name):
    name = name.replace("ARNs", "Arns").replace("IDs", "Ids")
    s = re.sub(r"([A-Z]+)([A-Z][a-z])", r"\1_\2", name)
    s = re.sub(r"([a-z0-9])([A-Z])", r"\1_\2", s).lower()
    return "r#" + s if s in RUST_KEYWORDS else s


def item_module(item):
    """The name of the generated module marking lists whose items are `<item>` elements."""
    return "items_" + snake(item).replace("r#", "")


def load_model():
    return json.load(open(os.path.join(HERE, "model", "service-2.json")))


def main():
    """Writes src/autoscaling/types.rs: one input and (where the model has one) one output type
    per operation of the model, and every structure they reach under its model name."""
    model = load_model()
    shapes = model["shapes"]
    operations = model["operations"]
    # One entry per Rust struct: (rust name, model shape, role, operation).
    structs, seen = [], set()

    def walk(name):
        if name in seen:
            return
        seen.add(name)
        shape = shapes[name]
        if shape["type"] == "structure":
            structs.append((name, name, None, None))
            for member in shape["members"].values():
                walk(member["shape"])
        elif shape["type"] == "list":
            walk(shape["member"]["shape"])

    io_shapes = set()
    for spec in operations.values():
        for key in ("input", "output"):
            if key in spec:
                io_shapes.add(spec[key]["shape"])
    for op in OPERATIONS:
        spec = operations[op]
        for key, role in (("input", "Input"), ("output", "Output")):
            if key in spec:
                structs.append((op + role, spec[key]["shape"], role, op))
                for member in shapes[spec[key]["shape"]]["members"].values():
                    walk(member["shape"])
            elif key == "input":
                structs.append((op + role, None, role, op))
    names = [s[0] for s in structs]
    if len(names) != len(set(names)):
        raise SystemExit("two structs named alike: %s" % sorted(n for n in names if names.count(n) > 1))

    def rust_type(name):
        shape = shapes[name]
        kind = shape["type"]
        if kind == "string":
            return "String"
        if kind == "integer":
            return "i32"
        if kind == "long":
            return "i64"
        if kind == "boolean":
            return "bool"
        if kind == "double":
            return "f64"
        if kind == "timestamp":
            return "Timestamp"
        if kind == "list":
            return "Vec<%s>" % rust_type(shape["member"]["shape"])
        if kind == "structure":
            if name in io_shapes:
                raise SystemExit("operation shape %s used as a member" % name)
            return name
        raise SystemExit("unsupported shape type %s for %s" % (kind, name))

    def facts(name, required):
        shape = shapes[name]
        parts = [shape["type"]]
        if shape["type"] == "string":
            if "min" in shape or "max" in shape:
                parts.append("length %s..=%s" % (shape.get("min", 0), shape.get("max", "")))
            if "enum" in shape:
                parts.append("one of " + ", ".join("`%s`" % v for v in shape["enum"]))
        elif shape["type"] in ("integer", "long", "double"):
            if "min" in shape or "max" in shape:
                parts.append("range %s..=%s" % (shape.get("min", ""), shape.get("max", "")))
        elif shape["type"] == "list":
            parts = ["list of `%s`" % shape["member"]["shape"]]
            if "max" in shape:
                parts.append("at most %s" % shape["max"])
        if required:
            parts.append("required")
        return "; ".join(parts)

    out = []
    w = out.append
    w("//! The Auto Scaling shapes of every operation of the API, generated from the API model.")
    w("//!")
    w("//! Generated by `tools/gen-shapes.py` from `tools/model/service-2.json`; do not edit by hand.")
    w("//! One definition serves the client (form encoding of requests, XML decoding of replies), the")
    w("//! built-in endpoint (form decoding, XML encoding) and `--output json`.")
    w("")
    w("use serde::{Deserialize, Serialize};")
    w("")
    w("use crate::query::timestamp::Timestamp;")
    w("use crate::query::tree::opt_scalar;")
    items = sorted(
        {
            shapes[spec["shape"]]["member"]["locationName"]
            for _, name, _, _ in structs
            if name
            for spec in shapes[name]["members"].values()
            if shapes[spec["shape"]]["type"] == "list" and "locationName" in shapes[spec["shape"]]["member"]
        }
    )
    for item in items:
        w("")
        w("/// Lists whose items are `<%s>` elements (`Name.%s.N` in a form)." % (item, item))
        w("mod %s {" % item_module(item))
        w('    const MARKER: &str = "\\u{1}list-item:%s";' % item)
        w("")
        w("    pub fn serialize<V: serde::Serialize, S: serde::Serializer>(")
        w("        value: &V,")
        w("        serializer: S,")
        w("    ) -> Result<S::Ok, S::Error> {")
        w("        crate::query::form::list_layout(MARKER, value, serializer)")
        w("    }")
        w("")
        w("    pub fn deserialize<'de, V: serde::Deserialize<'de>, D: serde::Deserializer<'de>>(")
        w("        deserializer: D,")
        w("    ) -> Result<V, D::Error> {")
        w("        crate::query::tree::list_layout(MARKER, deserializer)")
        w("    }")
        w("}")
    for rust, name, role, op in structs:
        shape = shapes[name] if name else {"members": {}}
        required = set(shape.get("required", [])) if role == "Input" else set()
        w("")
        if role and name:
            what = "request" if role == "Input" else "reply"
            w("/// The %s of `%s` (model shape `%s`)." % (what, op, name))
        elif role:
            w("/// The request of `%s` (the model gives it no input: nothing is sent)." % op)
        else:
            w("/// The `%s` structure of the API." % name)
        # A required timestamp has no sensible default: such a request has no `Default`.
        no_default = any(shapes[shape["members"][m]["shape"]]["type"] == "timestamp" for m in required)
        derives = "Debug, Clone, PartialEq" if no_default else "Debug, Clone, Default, PartialEq"
        w("#[derive(%s, Serialize, Deserialize)]" % derives)
        w("pub struct %s {" % rust)
        for member, spec in shape["members"].items():
            target = spec["shape"]
            kind = shapes[target]["type"]
            ty = rust_type(target)
            is_required = member in required
            w("    /// `%s`: %s." % (member, facts(target, is_required)))
            wire = spec.get("locationName", member)
            if wire == member:
                attrs = ['rename = "%s"' % member]
            else:
                attrs = ['rename(serialize = "%s", deserialize = "%s")' % (wire, member)]
                attrs.append('alias = "%s"' % wire)
            if not is_required:
                attrs.append("default")
                attrs.append('skip_serializing_if = "Option::is_none"')
                if kind in ("integer", "long", "boolean", "double", "timestamp"):
                    attrs.append('deserialize_with = "opt_scalar"')
                ty = "Option<%s>" % ty
            if kind == "list" and "locationName" in shapes[target]["member"]:
                attrs.append('with = "%s"' % item_module(shapes[target]["member"]["locationName"]))
            w("    #[serde(%s)]" % ", ".join(attrs))
            w("    pub %s: %s," % (snake(member), ty))
        w("}")
    sys.stdout.write("\n".join(out) + "\n")


# The Creates whose lost replies the client settles by a Describe (src/autoscaling/client.rs):
# operation -> variant of `Creates`.
CREATES = {
    "CreateLaunchConfiguration": "LaunchConfiguration",
    "CreateAutoScalingGroup": "Group",
}


def first_sentence(html):
    """The first sentence of a model documentation string, tags stripped, one line. Asides
    (`<note>`, `<important>`, a paragraph that is all bold) are skipped when prose follows them:
    they say "superseded by" or "we recommend", not what the operation does."""
    html = html or ""
    body = re.sub(r"<(note|important)>.*?</\1>", "", html, flags=re.S)
    body = re.sub(r"<p>\s*<b>.*?</b>\s*</p>", "", body, flags=re.S)
    if re.sub(r"<[^>]+>", "", body).strip():
        html = body
    text = re.sub(r"<[^>]+>", "", html)
    text = text.replace("&lt;", "<").replace("&gt;", ">").replace("&quot;", '"').replace("&amp;", "&")
    text = " ".join(text.split())
    m = re.match(r"(.+?[.])(\s|$)", text)
    return m.group(1) if m else text


def doc_text(text):
    """`text` made safe for a `///` line: brackets escaped so rustdoc sees no links."""
    return text.replace("[", "\\[").replace("]", "\\]")


def cli_name(name):
    """The AWS CLI's name of an operation (botocore's `xform_name` with `-`): a trailing run of
    two or more capitals and an `s` (`ARNs`) becomes one lower-case word, then a word starts at
    each capital followed by small letters and at each capital after a small letter or digit:
    `DescribeLoadBalancerTargetGroups` -> `describe-load-balancer-target-groups`."""
    m = re.search(r"[A-Z]{2,}s$", name)
    if m:
        name = name[: m.start()] + "-" + m.group().lower()
    name = re.sub(r"(.)([A-Z][a-z]+)", r"\1-\2", name)
    return re.sub(r"([a-z0-9])([A-Z])", r"\1-\2", name).lower()


def input_shapes(model):
    """Every shape reachable from an operation's input, in walk order: (names in order, index by
    name, the input shape of each operation or None). A recursive shape is refused: the skeleton
    and the member check walk the table to its leaves."""
    shapes = model["shapes"]
    index, order = {}, []

    def walk(name, path):
        if name in path:
            raise SystemExit("recursive input shape %s" % " -> ".join(path + [name]))
        if name not in index:
            index[name] = len(order)
            order.append(name)
        shape = shapes[name]
        if shape["type"] == "structure":
            for member in shape["members"].values():
                walk(member["shape"], path + [name])
        elif shape["type"] == "list":
            walk(shape["member"]["shape"], path + [name])

    inputs = {}
    for op in OPERATIONS:
        spec = model["operations"][op]
        if "input" in spec:
            walk(spec["input"]["shape"], [])
            inputs[op] = index[spec["input"]["shape"]]
        else:
            inputs[op] = None
    return order, index, inputs


def one(value, what):
    """A paginator's token or key: the generated code handles one name, not lists."""
    if isinstance(value, list):
        if len(value) != 1:
            raise SystemExit("paginator %s with %d names: not supported" % (what, len(value)))
        return value[0]
    return value


def write_input_shapes(w, shapes, order, index):
    """The `INPUT_SHAPES` table of `main_operations`."""
    kinds = {
        "integer": "Integer",
        "long": "Long",
        "double": "Double",
        "boolean": "Boolean",
        "timestamp": "Timestamp",
    }
    w("")
    w("/// Every shape reachable from the input of an operation, by index (the input skeletons and")
    w("/// the unknown-member check read it).")
    w("pub static INPUT_SHAPES: &[InputShape] = &[")
    for name in order:
        shape = shapes[name]
        kind = shape["type"]
        w("    InputShape {")
        w("        name: %s," % rust_str(name))
        if kind == "string":
            values = ", ".join(rust_str(v) for v in shape.get("enum", []))
            w("        kind: InputKind::String(&[%s])," % values)
        elif kind in kinds:
            w("        kind: InputKind::%s," % kinds[kind])
        elif kind == "list":
            w("        kind: InputKind::List(%d)," % index[shape["member"]["shape"]])
        elif kind == "structure":
            w("        kind: InputKind::Structure(&[")
            for member, spec in shape["members"].items():
                w("            InputMember {")
                w("                name: %s," % rust_str(member))
                w("                shape: %d," % index[spec["shape"]])
                w("            },")
            w("        ]),")
        else:
            raise SystemExit("unsupported input shape type %s for %s" % (kind, name))
        w("    },")
    w("];")


def load_paginators():
    """paginators-1.json with botocore's paginators-1.sdk-extras.json merged into it (the extras
    add `non_aggregate_keys`: the reply members a merged listing keeps from its first page)."""
    paginators = json.load(open(os.path.join(HERE, "model", "paginators-1.json")))["pagination"]
    extras = json.load(open(os.path.join(HERE, "model", "paginators-1.sdk-extras.json")))
    for op, more in extras["merge"]["pagination"].items():
        paginators[op].update(more)
    return paginators


def main_operations():
    """Writes src/autoscaling/generated_ops.rs: every operation's `Operation` impl, a
    `Paginated` impl per paginator of paginators-1.json, the registry table and one client
    method per operation."""
    model = load_model()
    shapes = model["shapes"]
    operations = model["operations"]
    paginators = load_paginators()
    out = []
    w = out.append
    w("//! Every operation of the API as data: its `Operation` impl (action and reply shape), a")
    w("//! `Paginated` impl for each paginator, the table of operations by name and one async method")
    w("//! of [`Client`] per operation.")
    w("//!")
    w("//! Generated by `tools/gen-shapes.py operations` from `tools/model/service-2.json` and")
    w("//! `tools/model/paginators-1.json`; do not edit by hand. The traits live in")
    w("//! `operations.rs`, the settling of Creates in `client.rs`.")
    w("")
    w("use super::client::Client;")
    w("use super::operations::{Creates, NoOutput, Operation, Paginated};")
    w("use super::registry::{self, InputKind, InputMember, InputShape, OperationEntry, Paginator};")
    w("use super::types::*;")
    w("use crate::error::Result;")
    for op in OPERATIONS:
        spec = operations[op]
        output = op + "Output" if "output" in spec else "NoOutput"
        w("")
        w("impl Operation for %sInput {" % op)
        w("    const NAME: &'static str = %s;" % rust_str(op))
        w("    type Output = %s;" % output)
        if op in CREATES:
            w("    fn creates(&self) -> Option<Creates<'_>> {")
            w("        Some(Creates::%s(self))" % CREATES[op])
            w("    }")
        w("}")
    for op in OPERATIONS:
        if op not in paginators:
            continue
        pag = paginators[op]
        out_shape = shapes[operations[op]["output"]["shape"]]
        in_shape = shapes[operations[op]["input"]["shape"]]
        input_token = one(pag["input_token"], "input_token")
        output_token = one(pag["output_token"], "output_token")
        key = one(pag["result_key"], "result_key")
        if input_token not in in_shape["members"] or output_token not in out_shape["members"]:
            raise SystemExit("paginator of %s names members the model lacks" % op)
        if pag.get("limit_key", input_token) not in in_shape["members"]:
            raise SystemExit("paginator of %s names a limit key the model lacks" % op)
        items = out_shape["members"][key]["shape"]
        item = shapes[items]["member"]["shape"]
        item_type = item if shapes[item]["type"] == "structure" else "String"
        w("")
        w("impl Paginated for %sInput {" % op)
        w("    type Item = %s;" % item_type)
        w("    fn set_next_token(&mut self, token: Option<String>) {")
        w("        self.%s = token;" % snake(input_token))
        w("    }")
        w("    fn next_token(output: &%sOutput) -> Option<&str> {" % op)
        w("        output.%s.as_deref().filter(|t| !t.is_empty())" % snake(output_token))
        w("    }")
        w("    fn into_items(output: %sOutput) -> Vec<%s> {" % (op, item_type))
        w("        output.%s.unwrap_or_default()" % snake(key))
        w("    }")
        w("}")
    order, index, inputs = input_shapes(model)
    write_input_shapes(w, shapes, order, index)
    w("")
    w("/// Every operation of the model, in the model's order.")
    w("pub static OPERATIONS: &[OperationEntry] = &[")
    for op in OPERATIONS:
        spec = operations[op]
        w("    OperationEntry {")
        w("        name: %s," % rust_str(op))
        w("        cli_name: %s," % rust_str(cli_name(op)))
        w("        summary: %s," % rust_str(first_sentence(spec.get("documentation")) or "Calls %s." % op))
        w("        input: %s," % ("None" if inputs[op] is None else "Some(%d)" % inputs[op]))
        if op in paginators:
            pag = paginators[op]
            limit = pag.get("limit_key")
            keys = pag["result_key"] if isinstance(pag["result_key"], list) else [pag["result_key"]]
            w("        paginator: Some(Paginator {")
            w("            input_token: %s," % rust_str(one(pag["input_token"], "input_token")))
            w("            output_token: %s," % rust_str(one(pag["output_token"], "output_token")))
            w("            limit_key: %s," % ("None" if limit is None else "Some(%s)" % rust_str(limit)))
            w("            result_keys: &[%s]," % ", ".join(rust_str(k) for k in keys))
            extra = pag.get("non_aggregate_keys", [])
            w("            non_aggregate_keys: &[%s]," % ", ".join(rust_str(k) for k in extra))
            w("        }),")
        else:
            w("        paginator: None,")
        w("        form_from_json: registry::form_from_json::<%sInput>," % op)
        w("        reply_json: registry::reply_json::<%sInput>," % op)
        w("        call_json: registry::call_json::<%sInput>," % op)
        w("    },")
    w("];")
    w("")
    w("/// One method per operation: sends the request and returns the reply shape (see")
    w("/// [`Client::send`] for the request id and the settling of Creates).")
    w("impl Client {")
    for op in OPERATIONS:
        spec = operations[op]
        summary = first_sentence(spec.get("documentation")) or "Calls `%s`." % op
        output = op + "Output" if "output" in spec else "NoOutput"
        w("    /// %s" % doc_text(summary))
        if op in paginators:
            w("    ///")
            w("    /// One page; [`Client::pages`] and [`Client::items`] follow `NextToken`.")
        w("    pub async fn %s(&self, input: &%sInput) -> Result<%s> {" % (snake(op), op, output))
        w("        self.send(input).await.map(|r| r.output)")
        w("    }")
    w("}")
    sys.stdout.write("\n".join(out) + "\n")


def java_pattern_to_rust(pattern):
    """Translates a model pattern (Java regex syntax) into the `regex-lite` syntax, anchored.

    Java's `\\uXXXX` escapes are UTF-16 code units: a high surrogate followed by a low one is one
    code point above U+FFFF (so `\\uD800\\uDC00-\\uDBFF\\uDFFF` is U+10000-U+10FFFF); other
    escapes (`\\.`, `\\-`, `\\r`, ...) mean the same in both dialects. Java's `matches()` tests the
    whole text, hence the anchors.
    """
    out, i = [], 0
    while i < len(pattern):
        c = pattern[i]
        if c != "\\":
            out.append(c)
            i += 1
            continue
        nxt = pattern[i + 1 : i + 2]
        if nxt == "u":
            unit = int(pattern[i + 2 : i + 6], 16)
            i += 6
            if 0xD800 <= unit <= 0xDBFF:
                if pattern[i : i + 2] != "\\u":
                    raise SystemExit("lone high surrogate in pattern %r" % pattern)
                low = int(pattern[i + 2 : i + 6], 16)
                if not 0xDC00 <= low <= 0xDFFF:
                    raise SystemExit("bad surrogate pair in pattern %r" % pattern)
                i += 6
                unit = 0x10000 + ((unit - 0xD800) << 10) + (low - 0xDC00)
            elif 0xDC00 <= unit <= 0xDFFF:
                raise SystemExit("lone low surrogate in pattern %r" % pattern)
            out.append("\\x{%X}" % unit)
            continue
        if nxt in ("r", "n", "t", "d", "s", "w") or (nxt and not nxt.isalnum()):
            out.append(c + nxt)
            i += 2
            continue
        raise SystemExit("unsupported escape \\%s in pattern %r" % (nxt, pattern))
    return "^(?:" + "".join(out) + ")$"


def rust_str(text):
    """A Rust string literal of `text`: printable ASCII as is, `"` and `\\` escaped, anything
    else as `\\u{...}`."""
    parts = []
    for ch in text:
        if ch in '"\\':
            parts.append("\\" + ch)
        elif 0x20 <= ord(ch) < 0x7F:
            parts.append(ch)
        else:
            parts.append("\\u{%x}" % ord(ch))
    return '"' + "".join(parts) + '"'


def main_constraints():
    """Writes src/autoscaling/constraints.rs: every shape reachable from the inputs of
    OPERATIONS, as an entry of one table, and the input shape of each operation."""
    model = load_model()
    shapes = model["shapes"]
    index, order = {}, []

    def walk(name):
        if name in index:
            return
        index[name] = len(order)
        order.append(name)
        shape = shapes[name]
        if shape["type"] == "structure":
            for member in shape["members"].values():
                walk(member["shape"])
        elif shape["type"] == "list":
            walk(shape["member"]["shape"])

    inputs = []
    for op in OPERATIONS:
        spec = model["operations"][op]
        if "input" in spec:
            walk(spec["input"]["shape"])
            inputs.append((op, spec["input"]["shape"]))
    patterns = sorted({shapes[n]["pattern"] for n in order if "pattern" in shapes[n]})

    def opt(value, conv=str):
        return "None" if value is None else "Some(%s)" % conv(value)

    def float_lit(v):
        text = repr(float(v))
        return text

    out = []
    w = out.append
    w("//! The Auto Scaling API model's input constraints, as a table for the endpoint's validator.")
    w("//!")
    w("//! Generated by `tools/gen-shapes.py constraints` from `tools/model/service-2.json`; do not")
    w("//! edit by hand. Every shape reachable from the input of any operation of the model is")
    w("//! one entry of [`SHAPES`] (structures name their members' entries by index); [`PATTERNS`]")
    w("//! holds each distinct `pattern` both as the model writes it (Java syntax, quoted in error")
    w("//! messages) and translated for `regex-lite` (UTF-16 surrogate pairs as code points, anchored).")
    w("")
    w("/// A pattern of the model.")
    w("#[derive(Debug)]")
    w("pub struct Pattern {")
    w("    /// The pattern as the model writes it (Java regular expression syntax).")
    w("    pub model: &'static str,")
    w("    /// The same pattern for `regex-lite`, anchored at both ends.")
    w("    pub regex: &'static str,")
    w("}")
    w("")
    w("/// A member of a structure shape.")
    w("#[derive(Debug)]")
    w("pub struct Member {")
    w("    /// The member's name in the model (error paths use it, first letter lowered).")
    w("    pub name: &'static str,")
    w("    /// The name of its Query parameter (the model's `locationName`, else `name`).")
    w("    pub wire: &'static str,")
    w("    /// Its shape: an index into [`SHAPES`].")
    w("    pub shape: usize,")
    w("    /// Whether the model lists it as required.")
    w("    pub required: bool,")
    w("}")
    w("")
    w("/// What a shape allows.")
    w("#[derive(Debug)]")
    w("pub enum Kind {")
    w("    /// Text: length limits (UTF-16 code units, as the model counts), a pattern (index into")
    w("    /// [`PATTERNS`]) and an enum value set (empty: any value).")
    w("    String {")
    w("        /// Shortest length.")
    w("        min: Option<u64>,")
    w("        /// Longest length.")
    w("        max: Option<u64>,")
    w("        /// The pattern the whole text must match.")
    w("        pattern: Option<usize>,")
    w("        /// The enum values (empty: any).")
    w("        values: &'static [&'static str],")
    w("    },")
    w("    /// A 32-bit integer with an optional range.")
    w("    Integer {")
    w("        /// Smallest value.")
    w("        min: Option<i64>,")
    w("        /// Largest value.")
    w("        max: Option<i64>,")
    w("    },")
    w("    /// A 64-bit integer with an optional range.")
    w("    Long {")
    w("        /// Smallest value.")
    w("        min: Option<i64>,")
    w("        /// Largest value.")
    w("        max: Option<i64>,")
    w("    },")
    w("    /// A double with an optional range.")
    w("    Double {")
    w("        /// Smallest value.")
    w("        min: Option<f64>,")
    w("        /// Largest value.")
    w("        max: Option<f64>,")
    w("    },")
    w("    /// `true` or `false`.")
    w("    Boolean,")
    w("    /// A timestamp (read by the shape's own parser).")
    w("    Timestamp,")
    w("    /// A list: its member shape, the name of its items on the wire and size limits.")
    w("    List {")
    w("        /// The member shape: an index into [`SHAPES`].")
    w("        member: usize,")
    w("        /// What each item is called in a form (`Name.ITEM.N`): `member`, or the model's")
    w("        /// `locationName` for the list's member.")
    w("        item: &'static str,")
    w("        /// Fewest members.")
    w("        min: Option<u64>,")
    w("        /// Most members.")
    w("        max: Option<u64>,")
    w("    },")
    w("    /// A structure and its members.")
    w("    Structure(&'static [Member]),")
    w("}")
    w("")
    w("/// One shape of the model.")
    w("#[derive(Debug)]")
    w("pub struct Shape {")
    w("    /// The model's shape name.")
    w("    pub name: &'static str,")
    w("    /// What it allows.")
    w("    pub kind: Kind,")
    w("}")
    w("")
    w("/// The distinct patterns of the shapes in [`SHAPES`].")
    w("pub static PATTERNS: &[Pattern] = &[")
    for p in patterns:
        w("    Pattern {")
        w("        model: %s," % rust_str(p))
        w("        regex: %s," % rust_str(java_pattern_to_rust(p)))
        w("    },")
    w("];")
    w("")
    w("/// Every shape reachable from the inputs of the model's operations.")
    w("pub static SHAPES: &[Shape] = &[")
    for name in order:
        shape = shapes[name]
        kind = shape["type"]
        w("    Shape {")
        w("        name: %s," % rust_str(name))
        if kind == "string":
            pat = shape.get("pattern")
            w("        kind: Kind::String {")
            w("            min: %s," % opt(shape.get("min")))
            w("            max: %s," % opt(shape.get("max")))
            w("            pattern: %s," % opt(None if pat is None else patterns.index(pat)))
            w("            values: &[%s]," % ", ".join(rust_str(v) for v in shape.get("enum", [])))
            w("        },")
        elif kind in ("integer", "long"):
            w("        kind: Kind::%s {" % ("Integer" if kind == "integer" else "Long"))
            w("            min: %s," % opt(shape.get("min")))
            w("            max: %s," % opt(shape.get("max")))
            w("        },")
        elif kind in ("double", "float"):
            w("        kind: Kind::Double {")
            w("            min: %s," % opt(shape.get("min"), float_lit))
            w("            max: %s," % opt(shape.get("max"), float_lit))
            w("        },")
        elif kind == "boolean":
            w("        kind: Kind::Boolean,")
        elif kind == "timestamp":
            w("        kind: Kind::Timestamp,")
        elif kind == "list":
            w("        kind: Kind::List {")
            w("            member: %d," % index[shape["member"]["shape"]])
            w("            item: %s," % rust_str(shape["member"].get("locationName", "member")))
            w("            min: %s," % opt(shape.get("min")))
            w("            max: %s," % opt(shape.get("max")))
            w("        },")
        elif kind == "structure":
            required = set(shape.get("required", []))
            w("        kind: Kind::Structure(&[")
            for member, spec in shape["members"].items():
                w("            Member {")
                w("                name: %s," % rust_str(member))
                w("                wire: %s," % rust_str(spec.get("locationName", member)))
                w("                shape: %d," % index[spec["shape"]])
                w("                required: %s," % ("true" if member in required else "false"))
                w("            },")
            w("        ]),")
        else:
            raise SystemExit("unsupported shape type %s for %s" % (kind, name))
        w("    },")
    w("];")
    w("")
    w("/// The input shape (an index into [`SHAPES`]) of an operation of the model (`None` for an")
    w("/// unknown name and for the operations without input).")
    w("pub fn input_shape(operation: &str) -> Option<usize> {")
    w("    Some(match operation {")
    for op, shape in inputs:
        w("        %s => %d," % (rust_str(op), index[shape]))
    w("        _ => return None,")
    w("    })")
    w("}")
    sys.stdout.write("\n".join(out) + "\n")


if __name__ == "__main__":
    if sys.argv[1:] == ["constraints"]:
        main_constraints()
    elif sys.argv[1:] == ["operations"]:
        main_operations()
    elif sys.argv[1:]:
        raise SystemExit("usage: gen-shapes.py [constraints|operations]")
    else:
        main()
