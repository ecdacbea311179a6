//! Where the REST token lives between commands: `USER_ID` and `TOKEN` from the environment (as the
//! seed's scripts use them), else the token file `phantom login` wrote.
//!
//! The file is `$PHANTOM_TOKEN_FILE`, else `$XDG_CONFIG_HOME/phantom/token.json`, else
//! `~/.config/phantom/token.json`. It keeps one token per endpoint, `{"tokens": {"<API base URL>":
//! {"user": "<id>", "token": "<token>"}}}`, and a command only ever sends the token saved for its
//! own endpoint, so one server's token never reaches another. (A file of the older one-token form,
//! `{"user", "token"}`, says nothing of where its token came from: that token is never sent.) It
//! is created with mode 0600 from the start (a fresh file opened with that mode, then renamed over
//! the old one), so the token is never readable by others, not even for a moment.

use std::collections::BTreeMap;
use std::io::Write;
use std::path::{Path, PathBuf};

use serde::{Deserialize, Serialize};

use super::types::{Token, secret_string};
use crate::config::Environment;
use crate::credentials::Secret;
use crate::error::Error;

/// One saved token.
#[derive(Debug, Serialize, Deserialize)]
struct StoredToken {
    #[serde(deserialize_with = "id_string")]
    user: String,
    #[serde(with = "secret_string")]
    token: Secret,
}

/// The file as written: tokens by endpoint.
#[derive(Debug, Default, Serialize)]
struct TokenFileOut<'a> {
    tokens: BTreeMap<&'a str, &'a StoredToken>,
}

/// The file as read: tokens by endpoint, and whether it is of the old one-token form (whose
/// token is never read into memory).
#[derive(Debug, Default, Deserialize)]
struct TokenFileIn {
    #[serde(default)]
    tokens: BTreeMap<String, StoredToken>,
    #[serde(default)]
    user: Option<serde::de::IgnoredAny>,
    #[serde(default)]
    token: Option<serde::de::IgnoredAny>,
}

impl TokenFileIn {
    fn is_old_form(&self) -> bool {
        self.user.is_some() || self.token.is_some()
    }
}

fn id_string<'de, D: serde::Deserializer<'de>>(d: D) -> Result<String, D::Error> {
    match serde_json::Value::deserialize(d)? {
        serde_json::Value::String(s) => Ok(s),
        serde_json::Value::Number(n) => Ok(n.to_string()),
        _ => Err(serde::de::Error::custom("`user` must be a user id")),
    }
}

fn non_empty(env: &dyn Environment, name: &str) -> Option<String> {
    env.var(name).filter(|v| !v.trim().is_empty())
}

/// The token file's path, from the environment (`None` when there is no home to put it in).
pub fn token_file_path(env: &dyn Environment) -> Option<PathBuf> {
    if let Some(p) = non_empty(env, "PHANTOM_TOKEN_FILE") {
        return Some(PathBuf::from(p));
    }
    if let Some(dir) = non_empty(env, "XDG_CONFIG_HOME") {
        return Some(PathBuf::from(dir).join("phantom").join("token.json"));
    }
    env.home()
        .map(|h| h.join(".config").join("phantom").join("token.json"))
}

/// Saves `token` as the one for `endpoint` (the API's base URL) in the file at `path`, keeping
/// the tokens of other endpoints; the file is readable and writable by the owner only.
pub fn save(path: &Path, endpoint: &str, token: &Token) -> Result<(), Error> {
    let io = |what: &str, e: std::io::Error| Error::Io {
        context: format!("{what} {}", path.display()),
        source: e,
    };
    if let Some(dir) = path.parent().filter(|d| !d.as_os_str().is_empty()) {
        create_private_dir(dir).map_err(|e| io("creating the directory of", e))?;
    }
    // The other endpoints' tokens stay; an unreadable old file is replaced.
    let existing = read_file(path).ok().flatten().unwrap_or_default();
    let stored = StoredToken {
        user: token.user_id.clone(),
        token: token.token.clone(),
    };
    let mut out = TokenFileOut::default();
    for (url, t) in &existing.tokens {
        out.tokens.insert(url.as_str(), t);
    }
    out.tokens.insert(endpoint, &stored);
    let bytes = serde_json::to_vec(&out)
        .map_err(|e| Error::Config(format!("cannot encode the token: {e}")))?;
    let mut temp_name = path.as_os_str().to_owned();
    temp_name.push(format!(".{}.tmp", std::process::id()));
    let temp = PathBuf::from(temp_name);
    let _ = std::fs::remove_file(&temp);
    let written = (|| {
        let mut file = private_file(&temp)?;
        file.write_all(&bytes)?;
        file.write_all(b"\n")?;
        file.sync_all()?;
        std::fs::rename(&temp, path)
    })();
    if let Err(e) = written {
        let _ = std::fs::remove_file(&temp);
        return Err(io("writing the token file", e));
    }
    Ok(())
}

#[cfg(unix)]
fn private_file(path: &Path) -> std::io::Result<std::fs::File> {
    use std::os::unix::fs::OpenOptionsExt;
    std::fs::OpenOptions::new()
        .write(true)
        .create_new(true)
        .mode(0o600)
        .open(path)
}

#[cfg(not(unix))]
fn private_file(path: &Path) -> std::io::Result<std::fs::File> {
    std::fs::OpenOptions::new()
        .write(true)
        .create_new(true)
        .open(path)
}

#[cfg(unix)]
fn create_private_dir(dir: &Path) -> std::io::Result<()> {
    use std::os::unix::fs::DirBuilderExt;
    std::fs::DirBuilder::new()
        .recursive(true)
        .mode(0o700)
        .create(dir)
}

#[cfg(not(unix))]
fn create_private_dir(dir: &Path) -> std::io::Result<()> {
    std::fs::create_dir_all(dir)
}

/// Reads the token saved for `endpoint` in the file at `path`; `Ok(None)` when the file does
/// not exist or holds no token for that endpoint.
pub fn load(path: &Path, endpoint: &str) -> Result<Option<Token>, Error> {
    Ok(read_file(path)?
        .and_then(|mut file| file.tokens.remove(endpoint))
        .map(|stored| Token {
            user_id: stored.user,
            token: stored.token,
        }))
}

/// The endpoints the file at `path` holds tokens for (empty when there is no such file).
pub fn saved_endpoints(path: &Path) -> Result<Vec<String>, Error> {
    Ok(read_file(path)?
        .map(|file| file.tokens.into_keys().collect())
        .unwrap_or_default())
}

fn read_file(path: &Path) -> Result<Option<TokenFileIn>, Error> {
    let bytes = match std::fs::read(path) {
        Ok(b) => b,
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => return Ok(None),
        Err(e) => {
            return Err(Error::Io {
                context: format!("reading the token file {}", path.display()),
                source: e,
            });
        }
    };
    // serde_json's error names a position, never the file's content.
    let file: TokenFileIn = serde_json::from_slice(&bytes).map_err(|e| {
        Error::Config(format!(
            "the token file {} is not valid ({e}); run `phantom login` again",
            path.display()
        ))
    })?;
    Ok(Some(file))
}

/// The token to use for `endpoint` (the API's base URL) and where it came from: `USER_ID` +
/// `TOKEN` when both are set (the user's explicit choice), else the token file's token for that
/// endpoint. `None` when there is no token file; an error naming the endpoints it does hold when
/// it has none for this one.
pub fn find_token(env: &dyn Environment, endpoint: &str) -> Result<Option<(Token, String)>, Error> {
    match (non_empty(env, "USER_ID"), non_empty(env, "TOKEN")) {
        (Some(user_id), Some(token)) => {
            return Ok(Some((
                Token {
                    user_id: user_id.trim().to_string(),
                    token: Secret::new(token.trim()),
                },
                "environment (USER_ID, TOKEN)".to_string(),
            )));
        }
        (Some(_), None) | (None, Some(_)) => {
            return Err(Error::Config(
                "set both USER_ID and TOKEN, or neither (then the token file is used)".into(),
            ));
        }
        (None, None) => {}
    }
    let Some(path) = token_file_path(env) else {
        return Ok(None);
    };
    let Some(mut file) = read_file(&path)? else {
        return Ok(None);
    };
    if let Some(stored) = file.tokens.remove(endpoint) {
        let token = Token {
            user_id: stored.user,
            token: stored.token,
        };
        return Ok(Some((token, format!("token file {}", path.display()))));
    }
    let holds = if !file.tokens.is_empty() {
        let urls: Vec<String> = file.tokens.into_keys().collect();
        format!("it holds tokens for {} only", urls.join(", "))
    } else if file.is_old_form() {
        "it holds a token saved without its endpoint, which is never sent".to_string()
    } else {
        "it holds no token".to_string()
    };
    Err(Error::Config(format!(
        "no REST token for {endpoint} in the token file {} ({holds}): run `phantom login USER \
         --endpoint-url {endpoint}`, or set USER_ID and TOKEN",
        path.display()
    )))
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::config::MapEnvironment;

    fn scratch(tag: &str) -> PathBuf {
        let dir = std::env::temp_dir().join(format!(
            "phantom-token-{tag}-{}-{}",
            std::process::id(),
            fastrand::u64(..)
        ));
        std::fs::create_dir_all(&dir).unwrap();
        dir
    }

    const A: &str = "http://127.0.0.1:8445/api/dev";
    const B: &str = "https://phantom.example/api/dev";

    #[test]
    fn tokens_are_kept_per_endpoint_and_never_sent_elsewhere() {
        let dir = scratch("endpoints");
        let path = dir.join("token.json");
        save(&path, A, &token("1", "tok-for-a")).unwrap();
        save(&path, B, &token("9", "tok-for-b")).unwrap();
        assert_eq!(load(&path, A).unwrap().unwrap(), token("1", "tok-for-a"));
        assert_eq!(load(&path, B).unwrap().unwrap(), token("9", "tok-for-b"));
        assert_eq!(
            saved_endpoints(&path).unwrap(),
            vec![A.to_string(), B.to_string()]
        );
        let env = MapEnvironment::new().with("PHANTOM_TOKEN_FILE", path.to_str().unwrap());
        let other = "http://127.0.0.1:9999/api/dev";
        let e = find_token(&env, other).unwrap_err().to_string();
        assert!(
            e.contains(other) && e.contains(A) && e.contains("phantom login"),
            "{e}"
        );
        assert!(!e.contains("tok-for"), "{e}");
        // A file of the old one-token form: its token is never sent anywhere.
        std::fs::write(&path, r#"{"user": "1", "token": "old-canary-token"}"#).unwrap();
        assert!(load(&path, A).unwrap().is_none());
        let e = find_token(&env, A).unwrap_err().to_string();
        assert!(
            e.contains("without its endpoint") && !e.contains("old-canary"),
            "{e}"
        );
        // Logging in again replaces it.
        save(&path, A, &token("1", "new")).unwrap();
        assert_eq!(load(&path, A).unwrap().unwrap(), token("1", "new"));
        assert!(
            !std::fs::read_to_string(&path)
                .unwrap()
                .contains("old-canary")
        );
        let _ = std::fs::remove_dir_all(&dir);
    }

    fn token(user: &str, value: &str) -> Token {
        Token {
            user_id: user.into(),
            token: Secret::new(value),
        }
    }

    #[test]
    fn paths_follow_the_environment() {
        let env = MapEnvironment::new().with_home("/home/a");
        assert_eq!(
            token_file_path(&env).unwrap(),
            PathBuf::from("/home/a/.config/phantom/token.json")
        );
        let env = env.with("XDG_CONFIG_HOME", "/xdg");
        assert_eq!(
            token_file_path(&env).unwrap(),
            PathBuf::from("/xdg/phantom/token.json")
        );
        let env = env.with("PHANTOM_TOKEN_FILE", "/t.json");
        assert_eq!(token_file_path(&env).unwrap(), PathBuf::from("/t.json"));
    }

    #[cfg(unix)]
    #[test]
    fn saved_file_is_private_and_reads_back() {
        use std::os::unix::fs::PermissionsExt;
        let dir = scratch("save");
        let path = dir.join("sub").join("token.json");
        save(&path, A, &token("1", "tok-a")).unwrap();
        let mode = std::fs::metadata(&path).unwrap().permissions().mode() & 0o777;
        assert_eq!(mode, 0o600);
        // Overwriting keeps the mode and replaces the content.
        save(&path, A, &token("2", "tok-b")).unwrap();
        let mode = std::fs::metadata(&path).unwrap().permissions().mode() & 0o777;
        assert_eq!(mode, 0o600);
        let back = load(&path, A).unwrap().unwrap();
        assert_eq!(back, token("2", "tok-b"));
        let text = std::fs::read_to_string(&path).unwrap();
        let json: serde_json::Value = serde_json::from_str(&text).unwrap();
        assert_eq!(json["tokens"][A]["user"], "2");
        assert_eq!(json["tokens"][A]["token"], "tok-b");
        let _ = std::fs::remove_dir_all(&dir);
    }

    #[test]
    fn environment_wins_over_the_file() {
        let dir = scratch("env");
        let path = dir.join("token.json");
        save(&path, A, &token("1", "from-file")).unwrap();
        let env = MapEnvironment::new().with("PHANTOM_TOKEN_FILE", path.to_str().unwrap());
        let (t, source) = find_token(&env, A).unwrap().unwrap();
        assert_eq!(t, token("1", "from-file"));
        assert!(source.contains("token file"));
        let env = env.with("USER_ID", "7").with("TOKEN", "from-env");
        let (t, source) = find_token(&env, A).unwrap().unwrap();
        assert_eq!(t, token("7", "from-env"));
        assert!(source.contains("USER_ID"));
        let half = MapEnvironment::new().with("TOKEN", "x");
        assert!(find_token(&half, A).is_err());
        let none =
            MapEnvironment::new().with("PHANTOM_TOKEN_FILE", dir.join("no").to_str().unwrap());
        assert!(find_token(&none, A).unwrap().is_none());
        let _ = std::fs::remove_dir_all(&dir);
    }

    #[test]
    fn broken_file_error_does_not_echo_content() {
        let dir = scratch("broken");
        let path = dir.join("token.json");
        std::fs::write(&path, "canary-secret-garbage").unwrap();
        let e = load(&path, A).unwrap_err().to_string();
        assert!(!e.contains("canary"), "{e}");
        let _ = std::fs::remove_dir_all(&dir);
    }
}
