//! Generated code is what its generator writes: `src/autoscaling/types.rs`,
//! `src/autoscaling/generated_ops.rs` and `src/autoscaling/constraints.rs` are compared with a
//! fresh run of `tools/gen-shapes.py` over `tools/model/`, and `src/ec2/types.rs` and
//! `src/ec2/generated_ops.rs` with one of `tools/gen-ec2.py` over `tools/model/ec2/` (and the ELB
//! slices' four files under `src/elb/` with `tools/gen-elb.py`), both sides
//! formatted by the same `rustfmt`. A hand edit, or a generator change without regenerating,
//! fails here.

use std::io::Write;
use std::path::Path;
use std::process::{Command, Stdio};

fn python() -> String {
    std::env::var("PHANTOM_TEST_PYTHON").unwrap_or_else(|_| "python3".to_string())
}

/// Formats Rust source with `rustfmt` (edition 2024, as `cargo fmt` does here).
fn rustfmt(source: &[u8]) -> String {
    let mut fmt = Command::new("rustfmt")
        .args(["--edition", "2024", "--emit", "stdout"])
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .expect("run rustfmt");
    fmt.stdin
        .take()
        .expect("rustfmt stdin")
        .write_all(source)
        .expect("feed rustfmt");
    let formatted = fmt.wait_with_output().expect("rustfmt output");
    assert!(
        formatted.status.success(),
        "rustfmt failed: {}",
        String::from_utf8_lossy(&formatted.stderr)
    );
    String::from_utf8(formatted.stdout).expect("UTF-8 from rustfmt")
}

/// Runs the generator `script` with `args`, formatted.
fn generate(script: &str, args: &[&str]) -> String {
    let root = Path::new(env!("CARGO_MANIFEST_DIR"));
    let out = Command::new(python())
        .arg(root.join(script))
        .args(args)
        .current_dir(root)
        .output()
        .expect("run the generator (set PHANTOM_TEST_PYTHON to a python3)");
    assert!(
        out.status.success(),
        "{script} {args:?} failed: {}",
        String::from_utf8_lossy(&out.stderr)
    );
    rustfmt(&out.stdout)
}

fn assert_fresh(file: &str, args: &[&str]) {
    assert_fresh_from("tools/gen-shapes.py", file, args);
}

fn assert_fresh_from(script: &str, file: &str, args: &[&str]) {
    let committed = std::fs::read(Path::new(env!("CARGO_MANIFEST_DIR")).join(file))
        .unwrap_or_else(|e| panic!("read {file}: {e}"));
    // Both sides through the same rustfmt, so another rustfmt version cannot fail the check.
    let committed = rustfmt(&committed);
    let fresh = generate(script, args);
    if committed != fresh {
        let line = committed
            .lines()
            .zip(fresh.lines())
            .position(|(a, b)| a != b)
            .unwrap_or_else(|| committed.lines().count().min(fresh.lines().count()));
        panic!(
            "{file} differs from what `{script} {}` writes (first at line {}): \
             regenerate it, never edit it by hand",
            args.join(" "),
            line + 1
        );
    }
}

#[test]
fn shapes_are_fresh() {
    assert_fresh("src/autoscaling/types.rs", &[]);
}

#[test]
fn constraints_are_fresh() {
    assert_fresh("src/autoscaling/constraints.rs", &["constraints"]);
}

#[test]
fn operations_are_fresh() {
    assert_fresh("src/autoscaling/generated_ops.rs", &["operations"]);
}

#[test]
fn ec2_shapes_are_fresh() {
    assert_fresh_from("tools/gen-ec2.py", "src/ec2/types.rs", &[]);
}

#[test]
fn ec2_operations_are_fresh() {
    assert_fresh_from(
        "tools/gen-ec2.py",
        "src/ec2/generated_ops.rs",
        &["operations"],
    );
}

#[test]
fn elb_slices_are_fresh() {
    for (slice, module) in [("elb", "classic"), ("elbv2", "v2")] {
        assert_fresh_from(
            "tools/gen-elb.py",
            &format!("src/elb/{module}/types.rs"),
            &[slice],
        );
        assert_fresh_from(
            "tools/gen-elb.py",
            &format!("src/elb/{module}/generated_ops.rs"),
            &[slice, "operations"],
        );
    }
}
