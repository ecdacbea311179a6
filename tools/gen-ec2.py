#!/usr/bin/env python3
"""Generates the EC2 slice of the library from botocore's EC2 model (tools/model/ec2/): the
operations in OPERATIONS only, and the shapes they reach, not EC2's 800-odd.

Run from the repository root (each output then through `rustfmt --edition 2024`):
  `python3 tools/gen-ec2.py > src/ec2/types.rs`: the shapes (see `main`) and `reply_name`, the
  reply element of each member whose serde name differs (what the built-in endpoint writes) and
  `member_name`, the model's name of each member serialized under another;
  `python3 tools/gen-ec2.py operations > src/ec2/generated_ops.rs`: the `Operation` impls, a
  `Paginated` impl per paginator among OPERATIONS and one client method per operation.
`tests/it/generated.rs` checks both files are what this script writes.

The EC2 protocol differs from Auto Scaling's Query protocol in its names, so each member carries
three (see wsdl-notes/ec2.md):
- its request name: the model's `queryName`, else its `locationName` capitalized, else the member
  name (botocore's EC2 serializer); the serde name a shape reached from a request serializes as;
- its reply name: its `locationName`, else the member name (`<vpcSet>`, `<dnsName>`): a serde alias;
- the member name itself (`Vpcs`, `PublicDnsName`): the serde name read from JSON, and written
  for a shape only replies reach (so `--output json` shows botocore's names).
A list's items are elements named by the list member's `locationName` (`<item>` nearly always):
the list is marked with that name (`crate::query::form::list_layout`), so the reply reader finds
them; requests write lists as `Name.N` whatever their items are called.
Everything else follows tools/gen-shapes.py (whose helpers this script imports): `Option` for all
but a request's required members, strings for enums, doc comments from the model's facts.
"""

import gzip
import importlib.util
import json
import os
import sys

HERE = os.path.dirname(os.path.abspath(__file__))
MODEL = os.path.join(HERE, "model", "ec2")

_spec = importlib.util.spec_from_file_location("gen_shapes", os.path.join(HERE, "gen-shapes.py"))
gen_shapes = importlib.util.module_from_spec(_spec)
_spec.loader.exec_module(gen_shapes)
snake, rust_str, first_sentence, doc_text = (
    gen_shapes.snake,
    gen_shapes.rust_str,
    gen_shapes.first_sentence,
    gen_shapes.doc_text,
)

# The launch-template slice of EC2 (issue 12), in this order in the generated files.
OPERATIONS = [
    "CreateLaunchTemplate",
    "CreateLaunchTemplateVersion",
    "DescribeLaunchTemplates",
    "DescribeLaunchTemplateVersions",
    "ModifyLaunchTemplate",
    "DeleteLaunchTemplate",
    "DeleteLaunchTemplateVersions",
    "DescribeInstances",
    "TerminateInstances",
    "DescribeAvailabilityZones",
    "DescribeVpcs",
    "DescribeSubnets",
    "CreateVpc",
    "CreateSubnet",
    "DeleteSubnet",
    "DeleteVpc",
]


def load_model():
    with gzip.open(os.path.join(MODEL, "service-2.json.gz"), "rt", encoding="utf-8") as f:
        return json.load(f)


def load_paginators():
    with open(os.path.join(MODEL, "paginators-1.json"), encoding="utf-8") as f:
        return json.load(f)["pagination"]


def reach(shapes, root, into):
    """Adds `root` and every shape it reaches to `into`."""
    if root in into:
        return
    into.add(root)
    shape = shapes[root]
    if shape["type"] == "structure":
        for member in shape["members"].values():
            reach(shapes, member["shape"], into)
    elif shape["type"] == "list":
        reach(shapes, shape["member"]["shape"], into)


def request_name(member, spec):
    """The name botocore's EC2 serializer gives a member in a request."""
    if "queryName" in spec:
        return spec["queryName"]
    if "locationName" in spec:
        name = spec["locationName"]
        return name[0].upper() + name[1:]
    return member


def item_module(item):
    """The name of the generated module marking lists whose items are `<item>` elements."""
    return "items_" + snake(item).replace("r#", "")


def main():
    """Writes src/ec2/types.rs: an input and (where the model has one) an output type per
    operation of OPERATIONS, and every structure they reach under its model name."""
    model = load_model()
    shapes = model["shapes"]
    operations = model["operations"]
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
    requests = set()
    for op in OPERATIONS:
        spec = operations[op]
        for key in ("input", "output"):
            if key in spec:
                io_shapes.add(spec[key]["shape"])
        reach(shapes, spec["input"]["shape"], requests)
    for op in OPERATIONS:
        spec = operations[op]
        for key, role in (("input", "Input"), ("output", "Output")):
            if key in spec:
                structs.append((op + role, spec[key]["shape"], role, op))
                for member in shapes[spec[key]["shape"]]["members"].values():
                    walk(member["shape"])
    names = [s[0] for s in structs]
    if len(names) != len(set(names)):
        raise SystemExit("two structs named alike: %s" % sorted(n for n in names if names.count(n) > 1))

    def rust_type(name):
        shape = shapes[name]
        kind = shape["type"]
        simple = {
            "string": "String",
            "integer": "i32",
            "long": "i64",
            "boolean": "bool",
            "double": "f64",
            "timestamp": "Timestamp",
        }
        if kind in simple:
            return simple[kind]
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
        if shape["type"] == "string" and "enum" in shape:
            values = shape["enum"]
            shown = ", ".join("`%s`" % v for v in values[:12])
            parts.append("one of " + shown + (", ..." if len(values) > 12 else ""))
        elif shape["type"] in ("integer", "long", "double") and ("min" in shape or "max" in shape):
            parts.append("range %s..=%s" % (shape.get("min", ""), shape.get("max", "")))
        elif shape["type"] == "list":
            parts = ["list of `%s`" % shape["member"]["shape"]]
        if required:
            parts.append("required")
        return "; ".join(parts)

    items = set()
    renames = []
    members = []
    body = []
    w = body.append
    for rust, name, role, op in structs:
        shape = shapes[name]
        required = set(shape.get("required", [])) if role == "Input" else set()
        is_request = name in requests
        w("")
        if role:
            what = "request" if role == "Input" else "reply"
            w("/// The %s of `%s` (model shape `%s`)." % (what, op, name))
        else:
            w("/// The `%s` structure of the API." % name)
        no_default = any(shapes[shape["members"][m]["shape"]]["type"] == "timestamp" for m in required)
        derives = "Debug, Clone, PartialEq" if no_default else "Debug, Clone, Default, PartialEq"
        w("#[derive(%s, Serialize, Deserialize)]" % derives)
        w("pub struct %s {" % rust)
        for member, spec in shape["members"].items():
            target = spec["shape"]
            kind = shapes[target]["type"]
            ty = rust_type(target)
            is_required = member in required
            wire = request_name(member, spec)
            reply = spec.get("locationName", member)
            w("    /// `%s`: %s." % (member, facts(target, is_required)))
            sent = wire if is_request else member
            if sent != reply:
                renames.append((rust, sent, reply))
            if sent != member:
                members.append((rust, sent, member))
            if sent == member:
                attrs = ['rename = "%s"' % member]
            else:
                attrs = ['rename(serialize = "%s", deserialize = "%s")' % (sent, member)]
            for alias in sorted({reply} - {member}):
                attrs.append('alias = "%s"' % alias)
            if not is_required:
                attrs.append("default")
                attrs.append('skip_serializing_if = "Option::is_none"')
                if kind in ("integer", "long", "boolean", "double", "timestamp"):
                    attrs.append('deserialize_with = "opt_scalar"')
                ty = "Option<%s>" % ty
            if kind == "list":
                item = shapes[target]["member"].get("locationName", "member")
                if item != "member":
                    items.add(item)
                    attrs.append('with = "%s"' % item_module(item))
            w("    #[serde(%s)]" % ", ".join(attrs))
            w("    pub %s: %s," % (snake(member), ty))
        w("}")

    out = []
    w = out.append
    w("//! The EC2 shapes of the launch-template slice (%d operations), generated from botocore's" % len(OPERATIONS))
    w("//! EC2 model.")
    w("//!")
    w("//! Generated by `tools/gen-ec2.py` from `tools/model/ec2/service-2.json.gz`; do not edit by")
    w("//! hand. Each member serializes under its EC2 request name (`queryName`, else `locationName`")
    w("//! capitalized) in a shape requests reach, reads its reply name (`locationName`) and its")
    w("//! member name (JSON), and a list finds its items by their element name (`<item>`).")
    w("")
    w("use serde::{Deserialize, Serialize};")
    w("")
    w("use crate::query::timestamp::Timestamp;")
    w("use crate::query::tree::opt_scalar;")
    for item in sorted(items):
        marker = "\\u{1}list-item:" + item
        w("")
        w("/// Lists whose items are `<%s>` elements (`Name.%s.N` in a Query form)." % (item, item))
        w("mod %s {" % item_module(item))
        w("    const MARKER: &str = %s;" % ('"' + marker + '"'))
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
    out.extend(body)
    w = out.append
    w("")
    w("/// The reply element of a member whose serde name is not its reply name (`locationName`):")
    w("/// `reply_name(\"DescribeVpcsOutput\", \"Vpcs\")` is `vpcSet`. For the endpoint's writer")
    w("/// (`crate::query::xml::render_members_named`); `None` keeps the serde name.")
    w("pub fn reply_name(shape: &'static str, member: &'static str) -> Option<&'static str> {")
    w("    Some(match (shape, member) {")
    for rust, sent, reply in renames:
        w("        (%s, %s) => %s," % (rust_str(rust), rust_str(sent), rust_str(reply)))
    w("        _ => return None,")
    w("    })")
    w("}")
    w("")
    w("/// The model's member name of a member whose serde name is not it (a request shape's wire")
    w("/// name): `member_name(\"RequestLaunchTemplateData\", \"SecurityGroupId\")` is")
    w("/// `SecurityGroupIds`. Request and reply shapes of the same thing share member names, so")
    w("/// the endpoint turns a request's data into the reply's shape through them.")
    w("pub fn member_name(shape: &'static str, member: &'static str) -> Option<&'static str> {")
    w("    Some(match (shape, member) {")
    for rust, sent, member in members:
        w("        (%s, %s) => %s," % (rust_str(rust), rust_str(sent), rust_str(member)))
    w("        _ => return None,")
    w("    })")
    w("}")
    sys.stdout.write("\n".join(out) + "\n")


def main_operations():
    """Writes src/ec2/generated_ops.rs: each operation's `Operation` impl, a `Paginated` impl
    per paginator of OPERATIONS and one client method per operation."""
    model = load_model()
    shapes = model["shapes"]
    operations = model["operations"]
    paginators = load_paginators()
    out = []
    w = out.append
    w("//! The EC2 slice's operations as data: the `Operation` impl of each (action and reply shape),")
    w("//! a `Paginated` impl for each paginator among them and one async method of [`Client`] each.")
    w("//!")
    w("//! Generated by `tools/gen-ec2.py operations` from `tools/model/ec2/`; do not edit by hand.")
    w("//! The traits live in `operations.rs`, the sending in `client.rs`.")
    w("")
    w("use super::client::Client;")
    w("use super::operations::{NoOutput, Operation, Paginated};")
    w("use super::types::*;")
    w("use crate::error::Result;")
    for op in OPERATIONS:
        spec = operations[op]
        output = op + "Output" if "output" in spec else "NoOutput"
        w("")
        w("impl Operation for %sInput {" % op)
        w("    const NAME: &'static str = %s;" % rust_str(op))
        w("    type Output = %s;" % output)
        w("}")
    for op in OPERATIONS:
        if op not in paginators:
            continue
        pag = paginators[op]
        out_shape = shapes[operations[op]["output"]["shape"]]
        in_shape = shapes[operations[op]["input"]["shape"]]
        if pag["input_token"] not in in_shape["members"] or pag["output_token"] not in out_shape["members"]:
            raise SystemExit("paginator of %s names members the model lacks" % op)
        key = pag["result_key"]
        item = shapes[out_shape["members"][key]["shape"]]["member"]["shape"]
        item_type = item if shapes[item]["type"] == "structure" else "String"
        w("")
        w("impl Paginated for %sInput {" % op)
        w("    type Item = %s;" % item_type)
        w("    fn set_next_token(&mut self, token: Option<String>) {")
        w("        self.%s = token;" % snake(pag["input_token"]))
        w("    }")
        w("    fn next_token(output: &%sOutput) -> Option<&str> {" % op)
        w("        output.%s.as_deref().filter(|t| !t.is_empty())" % snake(pag["output_token"]))
        w("    }")
        w("    fn into_items(output: %sOutput) -> Vec<%s> {" % (op, item_type))
        w("        output.%s.unwrap_or_default()" % snake(key))
        w("    }")
        w("}")
    w("")
    w("/// One method per operation: sends the request and returns the reply shape (see")
    w("/// [`Client::send`] for the request id).")
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


if __name__ == "__main__":
    if sys.argv[1:] == ["operations"]:
        main_operations()
    elif sys.argv[1:]:
        raise SystemExit("usage: gen-ec2.py [operations]")
    else:
        main()
