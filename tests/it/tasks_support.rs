//! What the task command suites share: a moto of the suite's own with a group of instances in it,
//! and running `phantom` against it (AWS dialect, test keys) or against an endpoint that is never
//! reached (for the argument errors, which must come before any call).

use serde_json::Value;

use crate::util::peers::{Moto, Run, phantom, unique};

/// An endpoint nothing listens on: a command that reached it would fail to connect.
pub const NOWHERE: &str = "http://127.0.0.1:9";

/// `phantom ARGS` against `url` with test keys.
pub fn run_at(url: &str, args: &[&str]) -> Run {
    phantom(
        args,
        &[
            ("AWS_ACCESS_KEY_ID", "testing"),
            ("AWS_SECRET_ACCESS_KEY", "testing"),
            ("AWS_ENDPOINT_URL", url),
            ("AWS_MAX_ATTEMPTS", "1"),
            // A REST token, so that `--api rest` reaches the command (and its refusal).
            ("USER_ID", "1"),
            ("TOKEN", "rest-token"),
        ],
    )
}

/// Asserts that `phantom ARGS` fails on its arguments, before any call (the endpoint is never
/// reached), with exit code 2 and `says` in its error; returns the error output.
pub fn refused(args: &[&str], says: &str) -> String {
    let r = run_at(NOWHERE, args);
    assert_eq!(r.code, 2, "phantom {args:?}: {r:?}");
    assert!(r.stdout.is_empty(), "phantom {args:?} printed {}", r.stdout);
    assert!(
        r.stderr.contains(says),
        "phantom {args:?}: expected `{says}` in {}",
        r.stderr
    );
    assert!(
        !r.stderr.contains("127.0.0.1:9"),
        "phantom {args:?} made a call: {}",
        r.stderr
    );
    r.stderr
}

/// A moto of the test's own with a launch configuration and one group of `size` instances
/// (min 0, max 10).
pub struct Fixture {
    pub moto: Moto,
    pub group: String,
    pub lc: String,
}

impl Fixture {
    pub fn new(size: usize) -> Fixture {
        let moto = Moto::start(&[]);
        let lc = unique("lc");
        let group = unique("web");
        let f = Fixture {
            moto,
            group: group.clone(),
            lc: lc.clone(),
        };
        f.ok(&["lc", "create", &lc, "ami-12345678"]);
        f.ok(&[
            "domain",
            "create",
            &group,
            &lc,
            &size.to_string(),
            "--min",
            "0",
            "--max",
            "10",
        ]);
        f
    }

    /// `phantom ARGS` against this moto.
    pub fn run(&self, args: &[&str]) -> Run {
        run_at(&self.moto.url, args)
    }

    /// `phantom ARGS`, which must succeed; its stdout.
    pub fn ok(&self, args: &[&str]) -> String {
        let r = self.run(args);
        assert_eq!(r.code, 0, "phantom {args:?} failed: {}", r.stderr);
        r.stdout
    }

    /// `phantom --output json ARGS`, which must succeed; its document.
    pub fn json(&self, args: &[&str]) -> Value {
        let mut all = vec!["--output", "json"];
        all.extend_from_slice(args);
        let out = self.ok(&all);
        serde_json::from_str(&out).unwrap_or_else(|e| panic!("{args:?}: {e}: {out}"))
    }

    /// The group as moto describes it.
    pub fn described(&self) -> Value {
        let v = self.json(&["domain", "list", &self.group]);
        v["AutoScalingGroups"][0].clone()
    }

    /// The group's instance ids, in moto's order.
    pub fn instance_ids(&self) -> Vec<String> {
        self.described()["Instances"]
            .as_array()
            .unwrap()
            .iter()
            .map(|i| i["InstanceId"].as_str().unwrap().to_string())
            .collect()
    }

    /// One instance as moto describes it.
    pub fn instance(&self, id: &str) -> Value {
        let v = self.json(&["instances", "list", id]);
        v["AutoScalingInstances"][0].clone()
    }
}
