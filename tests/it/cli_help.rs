//! Every command and subcommand of `phantom` explains itself with an example in `--help`.

use clap::CommandFactory;
use phantom_autoscale::cli::Cli;

fn walk(cmd: &mut clap::Command, path: String, missing: &mut Vec<String>, seen: &mut usize) {
    let help = cmd.render_long_help().to_string();
    *seen += 1;
    if !help.contains("Example") || cmd.get_about().is_none() && path != "phantom" {
        missing.push(path.clone());
    }
    for sub in cmd.get_subcommands_mut() {
        if sub.get_name() == "help" {
            continue;
        }
        let name = format!("{path} {}", sub.get_name());
        walk(sub, name, missing, seen);
    }
}

#[test]
fn every_command_has_an_example() {
    let mut cmd = Cli::command();
    cmd.build();
    let mut missing = Vec::new();
    let mut seen = 0;
    walk(&mut cmd, "phantom".into(), &mut missing, &mut seen);
    assert!(
        missing.is_empty(),
        "no example or description in --help of: {missing:?}"
    );
    assert!(seen >= 25, "only {seen} commands walked");
}

#[test]
fn help_runs_from_the_binary() {
    let out = std::process::Command::new(env!("CARGO_BIN_EXE_phantom"))
        .args(["domain", "create", "--help"])
        .output()
        .unwrap();
    assert!(out.status.success());
    let text = String::from_utf8(out.stdout).unwrap();
    assert!(
        text.contains("phantom domain create testDomain1 testlc1 1"),
        "{text}"
    );
}
