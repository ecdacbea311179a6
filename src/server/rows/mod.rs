//! The row model: how groups, instances, launch configurations, tags, scaling policies, scheduled
//! actions, lifecycle hooks, load balancer attachments, instance refreshes and warm pools are
//! stored and read back, shared by every operation.
//!
//! Why a module of its own: an operation acts on several kinds of row (terminating an instance
//! reconciles its group; describing a group lists its instances and tags), and with the rows kept
//! beside the operations, the operation modules imported each other (`groups` <-> `instances`).
//! Here each kind of row has its loading, its not-found error and the rules every writer shares;
//! the operations (`crate::server::ops`) import only this model, never each other. Scaling
//! activities are written by [`crate::server::lifecycle`] and read by their one Describe.

pub mod account;
pub mod attachments;
pub mod groups;
pub mod hooks;
pub mod instances;
pub mod launch_configurations;
pub mod policies;
pub mod refreshes;
pub mod scheduled_actions;
pub mod tags;
pub mod warm_pools;
