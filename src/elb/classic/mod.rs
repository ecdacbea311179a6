//! Classic Elastic Load Balancing (Version 2012-06-01): the seven operations a group's classic
//! load balancers need. Generated from botocore's model by `tools/gen-elb.py elb`.

mod generated_ops;
pub mod types;

pub use generated_ops::OPERATIONS;
