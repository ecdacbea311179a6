//! Reading passwords and secret keys: from stdin (a pipe), or asked on the terminal without echo.
//!
//! Echo is turned off with the system's `stty -echo` run on `/dev/tty` (no extra crate and no
//! `unsafe` termios calls); a guard turns it back on whatever happens. If echo cannot be turned
//! off, the secret is not asked for at all: typing it visibly is never the fallback.

use std::io::{BufRead, IsTerminal, Read, Write};

use crate::credentials::Secret;
use crate::error::Error;

/// The longest secret accepted on stdin.
const MAX_SECRET_BYTES: u64 = 64 * 1024;

/// Reads a secret from stdin: everything up to end of input, without one trailing newline.
pub fn from_stdin(what: &str) -> Result<Secret, Error> {
    let mut bytes = Vec::new();
    std::io::stdin()
        .lock()
        .take(MAX_SECRET_BYTES + 1)
        .read_to_end(&mut bytes)
        .map_err(|e| Error::Io {
            context: format!("reading the {what} from stdin"),
            source: e,
        })?;
    if bytes.len() as u64 > MAX_SECRET_BYTES {
        return Err(Error::Config(format!("the {what} on stdin is too long")));
    }
    let text = String::from_utf8(bytes)
        .map_err(|_| Error::Config(format!("the {what} on stdin is not UTF-8")))?;
    let text = text
        .strip_suffix('\n')
        .map(|t| t.strip_suffix('\r').unwrap_or(t))
        .unwrap_or(&text);
    if text.is_empty() {
        return Err(Error::Config(format!("no {what} on stdin")));
    }
    Ok(Secret::new(text))
}

/// Whether stdin is a terminal (then secrets are asked for, else read from it).
pub fn stdin_is_terminal() -> bool {
    std::io::stdin().is_terminal()
}

/// Turns terminal echo back on when dropped.
struct EchoOff {
    tty: std::fs::File,
}

fn stty(tty: &std::fs::File, arg: &str) -> bool {
    let Ok(input) = tty.try_clone() else {
        return false;
    };
    std::process::Command::new("stty")
        .arg(arg)
        .stdin(input)
        .stdout(std::process::Stdio::null())
        .stderr(std::process::Stdio::null())
        .status()
        .map(|s| s.success())
        .unwrap_or(false)
}

impl Drop for EchoOff {
    fn drop(&mut self) {
        stty(&self.tty, "echo");
        let _ = writeln!(self.tty);
    }
}

/// Asks for a secret on the controlling terminal with echo off.
pub fn prompt(prompt: &str) -> Result<Secret, Error> {
    ask("password", prompt, "; use --password-stdin")
}

/// Asks for `what` on the controlling terminal with echo off, saying `prompt`; `otherwise`
/// ends the message when echo cannot be turned off (how else to give it).
pub fn ask(what: &str, prompt: &str, otherwise: &str) -> Result<Secret, Error> {
    let tty_error = |e: std::io::Error| Error::Io {
        context: format!("opening the terminal to ask for the {what}"),
        source: e,
    };
    let mut tty = std::fs::OpenOptions::new()
        .read(true)
        .write(true)
        .open("/dev/tty")
        .map_err(tty_error)?;
    let reader = tty.try_clone().map_err(tty_error)?;
    if !stty(&tty, "-echo") {
        return Err(Error::Config(format!(
            "cannot turn off terminal echo to ask for the {what}{otherwise}"
        )));
    }
    let guard = EchoOff {
        tty: tty.try_clone().map_err(tty_error)?,
    };
    let _ = write!(tty, "{prompt}");
    let _ = tty.flush();
    let mut line = String::new();
    let read = std::io::BufReader::new(reader)
        .take(MAX_SECRET_BYTES)
        .read_line(&mut line);
    drop(guard);
    read.map_err(|e| Error::Io {
        context: format!("reading the {what} from the terminal"),
        source: e,
    })?;
    let value = line.trim_end_matches(['\n', '\r']);
    if value.is_empty() {
        return Err(Error::Config(format!("no {what} given")));
    }
    Ok(Secret::new(value))
}
