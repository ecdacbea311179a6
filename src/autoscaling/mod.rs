//! The Auto Scaling service: its shapes ([`types`]) and the [`Client`] with one async method per
//! operation.

pub mod client;
pub mod operations;
pub mod types;

pub use client::{Client, Response};
pub use operations::{Creates, NoOutput, Operation, Paginated};
