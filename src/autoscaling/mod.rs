//! The Auto Scaling service: its shapes ([`types`]) and the [`Client`] with one async method per
//! operation.

pub mod types;
