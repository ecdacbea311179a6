//! Query form encoding (placeholder; filled in by the client core).
