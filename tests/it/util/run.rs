//! Running the real `phantom` binary (and other programs) from a test: one [`Run`] for what a run
//! gave, one [`Phantom`] command builder (environment cleared but for `PATH`, `HOME` a scratch
//! directory, standard input given or empty, and a bounded run that is killed after [`LIFETIME`]),
//! and scratch directories. Every suite runs the binary through these, so that a clean
//! environment and a bound on the run are the same everywhere.

use std::ffi::OsStr;
use std::io::{Read, Write};
use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};
use std::sync::atomic::{AtomicUsize, Ordering};
use std::thread;
use std::time::{Duration, Instant};

/// The longest a child process (or a misbehaving server's connection) may live.
pub const LIFETIME: Duration = Duration::from_secs(60);

/// What a run of a program produced.
#[derive(Debug)]
pub struct Run {
    /// Exit code (-1 when killed by a signal or by the watchdog).
    pub code: i32,
    /// Standard output.
    pub stdout: String,
    /// Standard error.
    pub stderr: String,
    /// Wall time.
    pub elapsed: Duration,
}

/// A fresh, empty directory under the system's temp dir (kept: the caller removes it, or not).
pub fn scratch_dir(tag: &str) -> PathBuf {
    static NEXT: AtomicUsize = AtomicUsize::new(0);
    let dir = std::env::temp_dir().join(format!(
        "phantom-{tag}-{}-{}-{}",
        std::process::id(),
        NEXT.fetch_add(1, Ordering::SeqCst),
        fastrand::u32(..)
    ));
    let _ = std::fs::remove_dir_all(&dir);
    std::fs::create_dir_all(&dir).unwrap();
    dir
}

/// A scratch directory, removed on drop.
pub struct TempDir(pub PathBuf);

impl TempDir {
    /// A fresh, empty directory named after `tag`.
    pub fn new(tag: &str) -> TempDir {
        TempDir(scratch_dir(tag))
    }
}

impl Drop for TempDir {
    fn drop(&mut self) {
        let _ = std::fs::remove_dir_all(&self.0);
    }
}

/// `phantom ARGS`, with a cleared environment: only `PATH` is kept, `HOME` is a scratch directory
/// (removed after the run) unless [`Phantom::home`] names one, standard input is empty unless
/// [`Phantom::stdin`] gives some. [`Phantom::run`] waits at most [`LIFETIME`].
pub struct Phantom {
    command: Command,
    stdin: Option<Vec<u8>>,
    home: Option<TempDir>,
}

impl Phantom {
    /// The binary with these arguments and a clean environment.
    pub fn new<S: AsRef<OsStr>>(args: &[S]) -> Phantom {
        let home = TempDir::new("home");
        let mut command = Command::new(env!("CARGO_BIN_EXE_phantom"));
        command
            .args(args)
            .env_clear()
            .env("PATH", std::env::var("PATH").unwrap_or_default())
            .env("HOME", &home.0)
            .stdin(Stdio::null());
        Phantom {
            command,
            stdin: None,
            home: Some(home),
        }
    }

    /// Sets one environment variable.
    pub fn env(mut self, key: impl AsRef<OsStr>, value: impl AsRef<OsStr>) -> Phantom {
        self.command.env(key, value);
        self
    }

    /// Sets these environment variables (after any set before, so they win).
    pub fn envs<K: AsRef<OsStr>, V: AsRef<OsStr>>(mut self, vars: &[(K, V)]) -> Phantom {
        for (k, v) in vars {
            self.command.env(k, v);
        }
        self
    }

    /// Uses `dir` as `HOME` (the caller's directory, kept after the run).
    pub fn home(mut self, dir: &Path) -> Phantom {
        self.command.env("HOME", dir);
        self.home = None;
        self
    }

    /// Runs in `HOME` as the working directory.
    pub fn in_home(mut self) -> Phantom {
        let home = self
            .home
            .as_ref()
            .map(|h| h.0.clone())
            .or_else(|| {
                self.command
                    .get_envs()
                    .find(|(k, _)| *k == "HOME")
                    .and_then(|(_, v)| v.map(PathBuf::from))
            })
            .expect("HOME is set");
        self.command.current_dir(home);
        self
    }

    /// Feeds these bytes on standard input (then closes it).
    pub fn stdin(mut self, bytes: impl Into<Vec<u8>>) -> Phantom {
        self.stdin = Some(bytes.into());
        self
    }

    /// Runs it to the end, or kills it after [`LIFETIME`] (then `code` is -1).
    pub fn run(mut self) -> Run {
        let run = run_bounded_with(self.command, self.stdin.take(), LIFETIME);
        drop(self.home);
        run
    }
}

/// Runs a prepared command (standard input as the command has it), killing it after [`LIFETIME`].
pub fn run_bounded(command: Command) -> Run {
    run_bounded_with(command, None, LIFETIME)
}

/// Runs a prepared command, feeding it `stdin` when given (otherwise its input is as the command
/// has it), reading its output, and killing it after `limit` (then `code` is -1).
pub fn run_bounded_with(mut command: Command, stdin: Option<Vec<u8>>, limit: Duration) -> Run {
    let started = Instant::now();
    if stdin.is_some() {
        command.stdin(Stdio::piped());
    }
    command.stdout(Stdio::piped()).stderr(Stdio::piped());
    let mut child = command.spawn().expect("spawn the child process");
    let writer = stdin.map(|bytes| {
        let mut input = child.stdin.take().unwrap();
        thread::spawn(move || {
            let _ = input.write_all(&bytes);
        })
    });
    let mut stdout = child.stdout.take().unwrap();
    let mut stderr = child.stderr.take().unwrap();
    let out = thread::spawn(move || {
        let mut s = Vec::new();
        let _ = stdout.read_to_end(&mut s);
        String::from_utf8_lossy(&s).into_owned()
    });
    let err = thread::spawn(move || {
        let mut s = Vec::new();
        let _ = stderr.read_to_end(&mut s);
        String::from_utf8_lossy(&s).into_owned()
    });
    let status = loop {
        if let Some(status) = child.try_wait().unwrap() {
            break Some(status);
        }
        if started.elapsed() > limit {
            let _ = child.kill();
            let _ = child.wait();
            break None;
        }
        thread::sleep(Duration::from_millis(20));
    };
    if let Some(writer) = writer {
        let _ = writer.join();
    }
    Run {
        code: status.and_then(|s| s.code()).unwrap_or(-1),
        stdout: out.join().unwrap(),
        stderr: err.join().unwrap(),
        elapsed: started.elapsed(),
    }
}
