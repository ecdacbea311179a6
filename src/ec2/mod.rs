//! The EC2 slice the launch-template work needs (issue 12): launch templates and their versions,
//! instances, Availability Zones, VPCs and subnets, over EC2's own Query dialect (botocore's `ec2`
//! protocol: `Version=2016-11-15`, lists as `Name.N`, replies without a result element, errors in
//! `<Response><Errors>`). Signing, transport, retries and the XML reader are the shared ones of
//! [`crate::query`]; what differs is the form's list style and the shapes' names, both decided here
//! and in the generated shapes. Shapes, operation impls and client methods are generated from
//! botocore's EC2 model by `tools/gen-ec2.py` (see wsdl-notes/ec2.md).

pub mod client;
pub mod fallback;
mod generated_ops;
pub mod operations;
pub mod types;

pub use client::{API_VERSION, Client, Response, SERVICE};
pub use operations::{NoOutput, Operation, Paginated};
