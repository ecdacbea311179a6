//! Running the real `phantom` binary with a clean environment, and reaching the peers that
//! `scripts/test.sh` installs (moto, Python clients).

use std::net::TcpListener;
use std::path::PathBuf;
use std::process::{Child, Command, Output, Stdio};
use std::time::{Duration, Instant};

/// What a run of the binary gave.
pub struct Run {
    pub code: i32,
    pub stdout: String,
    pub stderr: String,
}

impl Run {
    fn from(output: Output) -> Run {
        Run {
            code: output.status.code().unwrap_or(-1),
            stdout: String::from_utf8_lossy(&output.stdout).into_owned(),
            stderr: String::from_utf8_lossy(&output.stderr).into_owned(),
        }
    }
}

/// A scratch directory, removed on drop.
pub struct TempDir(pub PathBuf);

impl TempDir {
    pub fn new(tag: &str) -> TempDir {
        let dir = std::env::temp_dir().join(format!(
            "phantom-test-{tag}-{}-{}",
            std::process::id(),
            fastrand::u64(..)
        ));
        std::fs::create_dir_all(&dir).unwrap();
        TempDir(dir)
    }
}

impl Drop for TempDir {
    fn drop(&mut self) {
        let _ = std::fs::remove_dir_all(&self.0);
    }
}

/// Runs `phantom` with only the given environment (plus PATH and a scratch HOME).
pub fn phantom(args: &[&str], env: &[(&str, &str)]) -> Run {
    let home = TempDir::new("home");
    let mut cmd = Command::new(env!("CARGO_BIN_EXE_phantom"));
    cmd.args(args)
        .env_clear()
        .env("PATH", std::env::var("PATH").unwrap_or_default())
        .env("HOME", &home.0);
    for (k, v) in env {
        cmd.env(k, v);
    }
    Run::from(cmd.stdin(Stdio::null()).output().expect("run phantom"))
}

/// A peer installed by scripts/test.sh; a missing one fails the test (peers are never skipped).
pub fn peer(var: &str) -> String {
    match std::env::var(var) {
        Ok(v) if !v.is_empty() => v,
        _ => panic!(
            "{var} is not set: run the tests with ./scripts/test.sh, which installs and starts the peers"
        ),
    }
}

/// The shared moto server started by scripts/test.sh.
pub fn moto_url() -> String {
    peer("PHANTOM_TEST_MOTO_URL")
}

/// The test venv's Python.
pub fn python() -> String {
    peer("PHANTOM_TEST_PYTHON")
}

/// A free loopback port.
pub fn free_port() -> u16 {
    TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap()
        .port()
}

/// A moto server of this test's own (for tests that change its global settings), stopped on drop.
pub struct Moto {
    pub url: String,
    child: Child,
}

impl Moto {
    pub fn start(env: &[(&str, &str)]) -> Moto {
        let python = PathBuf::from(python());
        let server = python.parent().unwrap().join("moto_server");
        let port = free_port();
        let mut cmd = Command::new(server);
        cmd.args(["-H", "127.0.0.1", "-p", &port.to_string()])
            .stdout(Stdio::null())
            .stderr(Stdio::null());
        for (k, v) in env {
            cmd.env(k, v);
        }
        let child = cmd.spawn().expect("start moto_server");
        let url = format!("http://127.0.0.1:{port}");
        let deadline = Instant::now() + Duration::from_secs(30);
        while std::net::TcpStream::connect(("127.0.0.1", port)).is_err() {
            assert!(
                Instant::now() < deadline,
                "moto did not start on port {port}"
            );
            std::thread::sleep(Duration::from_millis(100));
        }
        Moto { url, child }
    }
}

impl Drop for Moto {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

/// A name no other test uses.
pub fn unique(prefix: &str) -> String {
    format!("{prefix}-{}-{:x}", std::process::id(), fastrand::u32(..))
}
