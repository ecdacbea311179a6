//! Elastic Load Balancing v2 (Version 2015-12-01): the thirteen operations of load balancers,
//! target groups, listeners and targets a group's target groups need. Generated from botocore's
//! model by `tools/gen-elb.py elbv2`.

mod generated_ops;
pub mod types;

pub use generated_ops::OPERATIONS;
