//! The two Elastic Load Balancing slices a group's load balancers need (issue 15): classic ELB
//! ([`classic`], Version 2012-06-01: load balancers, their instances and health check) and ELBv2
//! ([`v2`], Version 2015-12-01: load balancers, target groups, listeners, targets and their
//! health).
//!
//! Why one module for two APIs: both are the Query protocol exactly as Auto Scaling speaks it
//! (`Name.member.N` lists, `<OpResponse><OpResult>` replies, `<ErrorResponse>` errors), both
//! sign for the service `elasticloadbalancing` and both answer at
//! `https://elasticloadbalancing.<region>.amazonaws.com`; only the `Version`, the shapes and the
//! endpoint settings that name them (`AWS_ENDPOINT_URL_ELASTIC_LOAD_BALANCING` and `..._V2`)
//! differ. So one [`Client`] serves both, typed by its slice ([`Classic`] or [`V2`]): a request
//! of one slice cannot be sent over the other's client. Signing, transport, retries and the XML
//! reader are the shared ones of [`crate::query`]. Shapes, operation impls, client methods and
//! the table `phantom api elb|elbv2` reads are generated from botocore's models by
//! `tools/gen-elb.py` (see wsdl-notes/elb.md).

pub mod api;
pub mod classic;
pub mod client;
pub mod operations;
pub mod v2;

pub use client::{Client, Response, SERVICE};
pub use operations::{Classic, NoOutput, Operation, Paginated, Slice, V2};
