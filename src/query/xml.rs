//! Query XML replies (placeholder; filled in by the client core).
