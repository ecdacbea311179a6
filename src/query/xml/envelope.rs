//! The success envelope: `<OpResponse>` (or Phantom's bare `<Op>`), the `<Op>Result` element
//! wherever it stands (before or after `ResponseMetadata`) or the root's other children when there
//! is none (EC2's replies, Phantom's DescribeAutoScalingInstances), the request id
//! (`ResponseMetadata/RequestId`, or EC2's `requestId`); read in one pass into the operation's
//! output shape.

use serde::de::DeserializeOwned;

use super::errors::{ErrorDetails, error_from_node};
use super::node::{Node, parse_nodes};
use crate::query::tree;

/// Refuses a reply whose root is neither `<OpResponse>` nor `<Op>`.
fn check_root(operation: &str, root: &str) -> Result<(), String> {
    let expected = format!("{operation}Response");
    if root != expected && root != operation {
        return Err(format!(
            "expected <{expected}>, found <{root}>{}",
            if root == "ListAllMyBucketsResult" {
                " (an S3 answer: the server routed this request to S3; moto does so for requests \
                 not signed with SigV4)"
            } else {
                ""
            }
        ));
    }
    Ok(())
}

/// A reply read straight into the operation's output shape by [`parse_typed_reply`].
#[derive(Debug, Clone, PartialEq)]
pub enum TypedReply<T> {
    /// A success: the output (its `Default` when the reply has no result) and request id.
    Success {
        /// The filled output shape.
        output: T,
        /// `ResponseMetadata/RequestId`, when present.
        request_id: Option<String>,
    },
    /// An error document, even if it came with HTTP 200.
    Error(ErrorDetails),
}

/// Why [`parse_typed_reply`] could not read a reply.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum ReadError {
    /// The body is not a reply of the operation (bad XML, wrong root).
    Xml(String),
    /// The result does not fit the output shape: as [`crate::query::tree::from_node`] says.
    Shape(String),
}

/// Reads a reply of `operation` in one pass: the node tree, then the output shape straight from
/// it. The `<Op>Result` element is found wherever it stands (before or after
/// `ResponseMetadata`), or the root's other children are the result when there is none
/// (Phantom's DescribeAutoScalingInstances); no result is the shape's `Default`. An error
/// document in place of the reply (any dialect's, even with HTTP 200) is a [`TypedReply::Error`].
pub fn parse_typed_reply<T: DeserializeOwned + Default>(
    operation: &str,
    body: &[u8],
) -> Result<TypedReply<T>, ReadError> {
    let text =
        std::str::from_utf8(body).map_err(|_| ReadError::Xml("reply is not valid UTF-8".into()))?;
    let (root, node) = parse_nodes(text).map_err(ReadError::Xml)?;
    if let Some(e) = error_from_node(&root, &node) {
        return Ok(TypedReply::Error(e));
    }
    check_root(operation, &root).map_err(ReadError::Xml)?;
    let text_of = |n: Option<&Node<'_>>| match n {
        Some(Node::Text(t)) => Some(t.to_string()),
        _ => None,
    };
    let request_id = text_of(
        node.get("ResponseMetadata")
            .and_then(|m| m.get("RequestId")),
    )
    .or_else(|| text_of(node.get("RequestId")))
    // EC2's replies: `<OpResponse><requestId>..</requestId>` and the members, no result element.
    .or_else(|| text_of(node.get("requestId")));
    let result_name = format!("{operation}Result");
    let output = match node {
        Node::Map(mut children) => match children.iter().position(|(n, _)| *n == result_name) {
            Some(i) => tree::from_node(&children[i].1),
            None => {
                children.retain(|(n, _)| n != "ResponseMetadata");
                if children.is_empty() {
                    Ok(T::default())
                } else {
                    tree::from_node(&Node::Map(children))
                }
            }
        },
        _ => Ok(T::default()),
    }
    .map_err(|e| ReadError::Shape(e.0))?;
    Ok(TypedReply::Success { output, request_id })
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::{Value, json};

    fn read(operation: &str, body: &[u8]) -> Result<TypedReply<Value>, ReadError> {
        parse_typed_reply::<Value>(operation, body)
    }

    #[test]
    fn result_after_or_before_metadata() {
        let aws = br#"<?xml version="1.0"?><XResponse xmlns="a"><XResult><Items><member><N>1</N></member></Items><Next/></XResult><ResponseMetadata><RequestId>r1</RequestId></ResponseMetadata></XResponse>"#;
        let phantom = br#"<XResponse xmlns="b"><ResponseMetadata><RequestId>r1</RequestId></ResponseMetadata><XResult><Items><member><N>1</N></member></Items><Next/></XResult></XResponse>"#;
        for body in [&aws[..], &phantom[..]] {
            let reply = read("X", body).unwrap();
            assert_eq!(
                reply,
                TypedReply::Success {
                    output: json!({"Items": [{"N": "1"}], "Next": ""}),
                    request_id: Some("r1".into())
                }
            );
        }
    }

    #[test]
    fn no_result_wrapper() {
        let body = b"<X xmlns=\"b\"><ResponseMetadata><RequestId>r</RequestId></ResponseMetadata><Items><member>a</member></Items></X>";
        let TypedReply::Success { output, .. } = read("X", body).unwrap() else {
            panic!()
        };
        assert_eq!(output, json!({"Items": ["a"]}));
    }

    #[test]
    fn ec2_reply_without_result() {
        let body = br#"<?xml version="1.0" encoding="UTF-8"?>
<DescribeVpcsResponse xmlns="http://ec2.amazonaws.com/doc/2016-11-15/"><requestId>r-9</requestId><vpcSet><item><vpcId>vpc-1</vpcId></item></vpcSet></DescribeVpcsResponse>"#;
        let TypedReply::Success { output, request_id } = read("DescribeVpcs", body).unwrap() else {
            panic!()
        };
        assert_eq!(request_id.as_deref(), Some("r-9"));
        assert_eq!(output["vpcSet"], json!({"item": {"vpcId": "vpc-1"}}));
        let error = b"<Response><Errors><Error><Code>InvalidVpcID.NotFound</Code><Message>The vpc ID 'vpc-x' does not exist</Message></Error></Errors><RequestID>r-10</RequestID></Response>";
        let TypedReply::Error(e) = read("DescribeVpcs", error).unwrap() else {
            panic!()
        };
        assert_eq!(
            (e.code.as_str(), e.request_id.as_deref()),
            ("InvalidVpcID.NotFound", Some("r-10"))
        );
    }

    #[test]
    fn error_document_in_a_200() {
        let body = b"<ErrorResponse><Errors><Error><Code>SignatureDoesNotMatch</Code><Message>m</Message></Error></Errors></ErrorResponse>";
        let TypedReply::Error(e) = read("X", body).unwrap() else {
            panic!()
        };
        assert_eq!(e.code, "SignatureDoesNotMatch");
        assert_eq!(e.message, "m");
    }

    #[test]
    fn hostile_documents_are_refused() {
        let deep = "<a>".repeat(10_000);
        assert!(parse_nodes(&deep).unwrap_err().contains("deeper"));
        assert!(
            parse_nodes("<a><b>x</b>")
                .unwrap_err()
                .contains("truncated")
        );
        assert!(
            parse_nodes("<a>&bogus;</a>")
                .unwrap_err()
                .contains("entity")
        );
        assert!(read("X", b"\xff\xfe").is_err());
        assert!(parse_nodes("").is_err());
        assert!(parse_nodes("hello").is_err());
        let Err(ReadError::Xml(e)) = read("X", b"<ListAllMyBucketsResult/>") else {
            panic!()
        };
        assert!(e.contains("S3"), "{e}");
    }
}
