//! Query XML: reading replies and errors of every dialect, and writing AWS-form replies. One file
//! per concern:
//! - [`node`]: the node tree every Query payload becomes, and the XML reader that builds it;
//! - [`envelope`]: the success envelope, read in one pass into an output shape;
//! - [`errors`]: the error bodies of every dialect (AWS, moto, EC2, Phantom's text and HTML);
//! - [`write`](mod@write): escaping, replies and error documents as the built-in endpoint writes them.
//!
//! Everything public is re-exported here, so callers name `query::xml::parse_typed_reply` and
//! the like.

pub mod envelope;
pub mod errors;
pub mod node;
pub mod write;

pub use envelope::{ReadError, TypedReply, parse_typed_reply};
pub use errors::{ErrorDetails, parse_error_body, snippet};
pub use node::{MAX_DEPTH, Node, parse_nodes};
pub use write::{
    ElementNames, NAMESPACE, escape, escape_into, render_members, render_members_named,
    write_error, write_rendered_reply,
};
