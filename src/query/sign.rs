//! Request signing (placeholder; filled in by the signing work).
