//! `phantom serve` as a child process of a test: started on a free loopback port, its start
//! banner read (the URL, the REST line with `--users`, the generated key without keys), stopped
//! on drop. The suites that need the real binary's server (its flags, its banner, a SQLite file
//! shared with a crash) use this; the others use the in-process endpoint (`util::server`).

use std::io::{BufRead, BufReader};
use std::path::Path;
use std::process::{Child, Command, Stdio};

use super::run::{Phantom, TempDir};

/// A running `phantom serve`, killed on drop.
pub struct Served {
    child: Child,
    /// Its base URL, `http://127.0.0.1:PORT`.
    pub url: String,
    /// The lines of its start banner.
    pub banner: Vec<String>,
    _home: TempDir,
}

impl Served {
    /// Starts `phantom serve --listen 127.0.0.1:0 ARGS` (environment cleared but for `PATH`,
    /// `HOME` a scratch directory) and reads its banner: the listening line, then the REST line
    /// when `--users` is given, then the generated key when neither `--credentials` nor
    /// `--no-auth` is. Later output is drained in the background.
    pub fn start(args: &[&str]) -> Served {
        let home = TempDir::new("serve-home");
        let mut child = Command::new(env!("CARGO_BIN_EXE_phantom"))
            .args(["serve", "--listen", "127.0.0.1:0"])
            .args(args)
            .env_clear()
            .env("PATH", std::env::var("PATH").unwrap_or_default())
            .env("HOME", &home.0)
            .stdin(Stdio::null())
            .stdout(Stdio::piped())
            .stderr(Stdio::inherit())
            .spawn()
            .expect("start phantom serve");
        let has = |flag: &str| args.contains(&flag);
        let expected = 1
            + usize::from(has("--users"))
            + usize::from(!has("--credentials") && !has("--no-auth"));
        let mut reader = BufReader::new(child.stdout.take().unwrap());
        let mut banner = Vec::new();
        while banner.len() < expected {
            let mut line = String::new();
            if reader.read_line(&mut line).unwrap_or(0) == 0 {
                break;
            }
            banner.push(line.trim_end().to_string());
        }
        std::thread::spawn(move || for _ in reader.lines() {});
        let url = banner
            .first()
            .and_then(|l| l.split_whitespace().find(|w| w.starts_with("http://")))
            .map(|w| w.trim_end_matches([',', ';', ')']).to_string());
        let Some(url) = url else {
            let _ = child.kill();
            let _ = child.wait();
            panic!("no URL in the banner of phantom serve {args:?}: {banner:?}");
        };
        Served {
            child,
            url,
            banner,
            _home: home,
        }
    }

    /// The child's process id.
    pub fn pid(&self) -> u32 {
        self.child.id()
    }

    /// `phantom ARGS` pointed at this server (`PHANTOM_URL`), with a clean environment.
    pub fn phantom(&self, args: &[&str]) -> Phantom {
        Phantom::new(args).env("PHANTOM_URL", &self.url)
    }
}

/// Writes `dir/credentials`, a shared credentials file with one section per `(profile, key,
/// secret)`, for `phantom serve --credentials`; returns its path.
pub fn credentials_file(dir: &Path, keys: &[(&str, &str, &str)]) -> String {
    let text: Vec<String> = keys
        .iter()
        .map(|(profile, key, secret)| {
            format!("[{profile}]\naws_access_key_id = {key}\naws_secret_access_key = {secret}\n")
        })
        .collect();
    let path = dir.join("credentials");
    std::fs::write(&path, text.join("\n")).unwrap();
    path.to_str().unwrap().to_string()
}

impl Drop for Served {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}
