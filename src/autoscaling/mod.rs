//! The Auto Scaling service: its shapes ([`types`]), the model's input constraints
//! ([`constraints`]), the operations by name ([`registry`]) and the [`Client`] with one async
//! method per operation. Shapes, operation impls, the registry table and the methods are
//! generated from the model by `tools/gen-shapes.py` (`generated_ops.rs` holds the impls).

pub mod client;
pub mod constraints;
mod generated_ops;
pub mod operations;
pub mod registry;
pub mod types;
pub mod waiters;

pub use client::{Client, Response};
pub use operations::{Creates, NoOutput, Operation, Paginated};
pub use waiters::{RefreshGoal, WaitFor, WaitOptions, Waited, WaiterConfig};
