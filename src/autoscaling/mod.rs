//! The Auto Scaling service: its shapes ([`types`]), the model's input constraints
//! ([`constraints`]) and the [`Client`] with one async method per
//! operation.

pub mod client;
pub mod constraints;
pub mod operations;
pub mod types;

pub use client::{Client, Response};
pub use operations::{Creates, NoOutput, Operation, Paginated};
