#!/usr/bin/env python3
"""Generates src/autoscaling/types.rs from the Auto Scaling API model (tools/model/service-2.json).

Run from the repository root:
  `python3 tools/gen-shapes.py > src/autoscaling/types.rs` (then `rustfmt`), and
  `python3 tools/gen-shapes.py constraints > src/autoscaling/constraints.rs` (then `rustfmt`):
the second writes the model's input constraints (required members, lengths, ranges, patterns, enums,
list sizes) as a table for the endpoint's validator (`src/server/ops/validate.rs`); see
`main_constraints`. `tests/it/generated.rs` checks both files are what this script writes.

Conventions of the generated Rust (see wsdl-notes/shapes.md):
- one struct per structure shape reachable from the operations in OPERATIONS; an operation's input
  shape is named `<Op>Input`, its output `<Op>Output`;
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
OPERATIONS = [
    "CreateLaunchConfiguration",
    "DeleteLaunchConfiguration",
    "DescribeLaunchConfigurations",
    "CreateAutoScalingGroup",
    "UpdateAutoScalingGroup",
    "DeleteAutoScalingGroup",
    "DescribeAutoScalingGroups",
    "SetDesiredCapacity",
    "DescribeAutoScalingInstances",
    "TerminateInstanceInAutoScalingGroup",
    "CreateOrUpdateTags",
    "DeleteTags",
    "DescribeTags",
    "DescribeScalingActivities",
]

RUST_KEYWORDS = {"type", "match", "ref", "self", "mod", "use", "fn", "impl", "struct", "enum"}


def snake(name):
    name = name.replace("ARNs", "Arns").replace("IDs", "Ids")
    s = re.sub(r"([A-Z]+)([A-Z][a-z])", r"\1_\2", name)
    s = re.sub(r"([a-z0-9])([A-Z])", r"\1_\2", s).lower()
    return "r#" + s if s in RUST_KEYWORDS else s


def main():
    model = json.load(open(os.path.join(HERE, "model", "service-2.json")))
    shapes = model["shapes"]
    renames, inputs = {}, set()
    for op in OPERATIONS:
        spec = model["operations"][op]
        if "input" in spec:
            renames[spec["input"]["shape"]] = op + "Input"
            inputs.add(spec["input"]["shape"])
        if "output" in spec:
            renames[spec["output"]["shape"]] = op + "Output"

    order, seen = [], set()

    def walk(name):
        if name in seen:
            return
        seen.add(name)
        shape = shapes[name]
        if shape["type"] == "structure":
            order.append(name)
            for member in shape["members"].values():
                walk(member["shape"])
        elif shape["type"] == "list":
            walk(shape["member"]["shape"])

    for op in OPERATIONS:
        spec = model["operations"][op]
        for key in ("input", "output"):
            if key in spec:
                walk(spec[key]["shape"])

    def rust_name(name):
        return renames.get(name, name)

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
            return rust_name(name)
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
    w("//! The Auto Scaling shapes used by phantom-autoscale's operations, generated from the API model.")
    w("//!")
    w("//! Generated by `tools/gen-shapes.py` from `tools/model/service-2.json`; do not edit by hand.")
    w("//! One definition serves the client (form encoding of requests, XML decoding of replies), the")
    w("//! built-in endpoint (form decoding, XML encoding) and `--output json`.")
    w("")
    w("use serde::{Deserialize, Serialize};")
    w("")
    w("use crate::query::timestamp::Timestamp;")
    w("use crate::query::tree::opt_scalar;")
    for name in order:
        shape = shapes[name]
        required = set(shape.get("required", [])) if name in inputs else set()
        w("")
        if name in renames:
            op = renames[name][: -len("Input") if name in inputs else -len("Output")]
            role = "request" if name in inputs else "reply"
            w("/// The %s of `%s` (model shape `%s`)." % (role, op, name))
        else:
            w("/// The `%s` structure of the API." % name)
        w("#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]")
        w("pub struct %s {" % rust_name(name))
        for member, spec in shape["members"].items():
            target = spec["shape"]
            kind = shapes[target]["type"]
            ty = rust_type(target)
            is_required = member in required
            w("    /// `%s`: %s." % (member, facts(target, is_required)))
            attrs = ['rename = "%s"' % member]
            if not is_required:
                attrs.append("default")
                attrs.append('skip_serializing_if = "Option::is_none"')
                if kind in ("integer", "long", "boolean", "double", "timestamp"):
                    attrs.append('deserialize_with = "opt_scalar"')
                ty = "Option<%s>" % ty
            w("    #[serde(%s)]" % ", ".join(attrs))
            w("    pub %s: %s," % (snake(member), ty))
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
    model = json.load(open(os.path.join(HERE, "model", "service-2.json")))
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
    w("//! edit by hand. Every shape reachable from the input of an operation the endpoint serves is")
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
    w("    /// A list: its member shape and size limits.")
    w("    List {")
    w("        /// The member shape: an index into [`SHAPES`].")
    w("        member: usize,")
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
    w("/// Every shape reachable from the inputs of the operations the endpoint serves.")
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
    w("/// The input shape (an index into [`SHAPES`]) of an operation the endpoint serves.")
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
    elif sys.argv[1:]:
        raise SystemExit("usage: gen-shapes.py [constraints]")
    else:
        main()
