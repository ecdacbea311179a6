//! The `phantom` command: hands over to the CLI.

fn main() {
    std::process::exit(phantom_autoscale::cli::main());
}
