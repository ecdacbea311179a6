//! The `phantom` command: hands over to the CLI.
fn main() {}
