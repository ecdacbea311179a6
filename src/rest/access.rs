//! Who may use the built-in REST endpoint: the users file, the tokens `POST /token` issues, and the
//! check every other call goes through (HTTP Basic `user_id:token`, or `user` and `token`
//! parameters), as Phantom's web app does it.
//!
//! The users file holds one `username:password` a line (blank lines and `#` comments skipped);
//! user ids are given in file order from 1. An optional third field names the store owner:
//! `alice:restaurant:AKIAIOSFODNN7EXAMPLE` makes alice own what that Query API key owns, so one
//! person can drive the same domains through both APIs. Without it a REST user owns `rest:<name>`,
//! which no Query key can be, so the two APIs share objects only when the file says so. A password
//! therefore cannot contain `:`.
//!
//! Tokens are 20 random characters from `/dev/urandom`, kept in memory only, valid for a fixed
//! lifetime (Phantom's is 7 days); they are compared in constant time. Passwords and tokens are
//! [`Secret`]s: no `Debug`, error or log line shows them.

use std::collections::HashMap;
use std::path::Path;
use std::sync::Mutex;
use std::time::{Duration, Instant};

use base64::Engine;

use crate::credentials::Secret;
use crate::error::Error;

/// How long a token lasts unless configured otherwise (Phantom: 7 days).
pub const DEFAULT_TOKEN_LIFETIME: Duration = Duration::from_secs(7 * 24 * 3600);

/// One REST user.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct User {
    /// The numeric id (1 for the file's first user).
    pub id: u64,
    /// The login name.
    pub name: String,
    /// The password.
    pub password: Secret,
    /// The store owner whose objects this user sees.
    pub owner: String,
}

/// The users of the endpoint.
#[derive(Debug, Clone, Default)]
pub struct Users {
    users: Vec<User>,
}

impl Users {
    /// Parses the users file format (see the module comment).
    pub fn parse(text: &str) -> Result<Users, Error> {
        let mut users: Vec<User> = Vec::new();
        for (n, line) in text.lines().enumerate() {
            let line = line.trim();
            if line.is_empty() || line.starts_with('#') {
                continue;
            }
            let mut fields = line.splitn(3, ':');
            let name = fields.next().unwrap_or_default().trim();
            let password = fields.next();
            let owner = fields.next().map(str::trim).filter(|o| !o.is_empty());
            let Some(password) = password.filter(|p| !p.is_empty()) else {
                return Err(Error::Config(format!(
                    "users file line {}: expected username:password",
                    n + 1
                )));
            };
            if name.is_empty() || users.iter().any(|u| u.name == name) {
                return Err(Error::Config(format!(
                    "users file line {}: empty or repeated user name",
                    n + 1
                )));
            }
            users.push(User {
                id: users.len() as u64 + 1,
                name: name.to_string(),
                password: Secret::new(password),
                owner: owner
                    .map(str::to_string)
                    .unwrap_or_else(|| format!("rest:{name}")),
            });
        }
        Ok(Users { users })
    }

    /// Reads and parses a users file.
    pub fn from_file(path: &Path) -> Result<Users, Error> {
        let text = std::fs::read_to_string(path).map_err(|e| Error::Io {
            context: format!("reading the users file {}", path.display()),
            source: e,
        })?;
        Users::parse(&text)
    }

    /// The user with this name and password, if both match.
    pub fn check_password(&self, name: &str, password: &str) -> Option<&User> {
        let user = self.users.iter().find(|u| u.name == name)?;
        constant_time_eq(user.password.expose(), password).then_some(user)
    }

    /// The user with this id.
    pub fn by_id(&self, id: u64) -> Option<&User> {
        self.users.iter().find(|u| u.id == id)
    }

    /// Whether there are no users.
    pub fn is_empty(&self) -> bool {
        self.users.is_empty()
    }

    /// How many users there are.
    pub fn len(&self) -> usize {
        self.users.len()
    }
}

/// Compares two strings in time that depends only on their lengths.
fn constant_time_eq(a: &str, b: &str) -> bool {
    let (a, b) = (a.as_bytes(), b.as_bytes());
    a.len() == b.len() && a.iter().zip(b).fold(0u8, |acc, (x, y)| acc | (x ^ y)) == 0
}

/// The tokens issued so far.
#[derive(Debug)]
pub struct Tokens {
    lifetime: Duration,
    issued: Mutex<HashMap<u64, Vec<(Secret, Instant)>>>,
}

impl Tokens {
    /// An empty registry whose tokens last `lifetime`.
    pub fn new(lifetime: Duration) -> Self {
        Tokens {
            lifetime,
            issued: Mutex::new(HashMap::new()),
        }
    }

    /// Issues a new token for `user_id`; fails (and issues nothing) when the operating system's
    /// random generator does.
    pub fn issue(&self, user_id: u64) -> Result<Secret, Error> {
        let token = Secret::new(random_token()?);
        let mut issued = self.issued.lock().unwrap_or_else(|p| p.into_inner());
        let now = Instant::now();
        let list = issued.entry(user_id).or_default();
        list.retain(|(_, t)| now.duration_since(*t) < self.lifetime);
        list.push((token.clone(), now));
        Ok(token)
    }

    /// Whether `token` is a live token of `user_id`.
    pub fn check(&self, user_id: u64, token: &str) -> bool {
        let issued = self.issued.lock().unwrap_or_else(|p| p.into_inner());
        let now = Instant::now();
        issued.get(&user_id).is_some_and(|list| {
            list.iter().fold(false, |ok, (t, at)| {
                ok | (constant_time_eq(t.expose(), token)
                    && now.duration_since(*at) < self.lifetime)
            })
        })
    }
}

fn random_token() -> Result<String, Error> {
    let text = crate::server::keys::random_chars(b"abcdefghijklmnopqrstuvwxyz0123456789", 20)?;
    Ok(format!("{}-{}", &text[..3], &text[3..]))
}

/// The credentials a request presents: `Authorization: Basic`, else `user` and `token` parameters.
pub fn presented(
    authorization: Option<&str>,
    params: &[(String, String)],
) -> Option<(String, Secret)> {
    if let Some(value) = authorization
        && let Some(encoded) = value.trim().strip_prefix("Basic ")
        && let Ok(bytes) = base64::engine::general_purpose::STANDARD.decode(encoded.trim())
        && let Ok(text) = String::from_utf8(bytes)
        && let Some((user, token)) = text.split_once(':')
    {
        return Some((user.to_string(), Secret::new(token)));
    }
    let find = |k: &str| params.iter().find(|(n, _)| n == k).map(|(_, v)| v.clone());
    Some((find("user")?, Secret::new(find("token")?)))
}

/// The user a request acts as, or `None` (then the reply is 403 `Authorization Required`).
pub fn authenticate<'a>(
    users: &'a Users,
    tokens: &Tokens,
    authorization: Option<&str>,
    params: &[(String, String)],
) -> Option<&'a User> {
    let (user, token) = presented(authorization, params)?;
    let id: u64 = user.trim().parse().ok()?;
    let found = users.by_id(id)?;
    tokens.check(id, token.expose()).then_some(found)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn users() -> Users {
        Users::parse("# test users\nalice:restaurant\n\nbob:bobpassword:AKIDBOB\n").unwrap()
    }

    #[test]
    fn users_file_ids_and_owners() {
        let u = users();
        let alice = u.check_password("alice", "restaurant").unwrap();
        assert_eq!((alice.id, alice.owner.as_str()), (1, "rest:alice"));
        let bob = u.check_password("bob", "bobpassword").unwrap();
        assert_eq!((bob.id, bob.owner.as_str()), (2, "AKIDBOB"));
        assert!(u.check_password("alice", "wrong").is_none());
        assert!(u.check_password("nobody", "restaurant").is_none());
        let e = Users::parse("alice:secret-canary\nalice:x\n").unwrap_err();
        assert!(e.to_string().contains("line 2"));
        assert!(!e.to_string().contains("canary"));
        assert!(Users::parse("justaname\n").is_err());
        assert!(!format!("{u:?}").contains("restaurant"));
    }

    #[test]
    fn tokens_check_user_value_and_lifetime() {
        let u = users();
        let tokens = Tokens::new(Duration::from_secs(60));
        let t = tokens.issue(1).unwrap();
        assert_eq!(t.expose().len(), 21);
        assert!(tokens.check(1, t.expose()));
        assert!(!tokens.check(2, t.expose()));
        assert!(!tokens.check(1, "xxx-00000000000000000"));
        let basic = format!(
            "Basic {}",
            base64::engine::general_purpose::STANDARD.encode(format!("1:{}", t.expose()))
        );
        assert_eq!(authenticate(&u, &tokens, Some(&basic), &[]).unwrap().id, 1);
        let params = vec![
            ("user".to_string(), "1".to_string()),
            ("token".to_string(), t.expose().to_string()),
        ];
        assert_eq!(
            authenticate(&u, &tokens, None, &params).unwrap().name,
            "alice"
        );
        assert!(authenticate(&u, &tokens, None, &[]).is_none());
        assert!(authenticate(&u, &tokens, Some("Basic !!!"), &[]).is_none());
        let expired = Tokens::new(Duration::from_millis(0));
        let old = expired.issue(1).unwrap();
        assert!(!expired.check(1, old.expose()));
    }
}
