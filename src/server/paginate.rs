//! Pagination of Describe replies: `MaxRecords` checking and opaque `NextToken`s.
//!
//! Pages are cut by key, not by offset: a token holds the operation it belongs to and the sort key
//! of the last item shown, so a deletion between two pages neither repeats nor skips an item. The
//! token is base64url of that text: opaque to callers (they must not build one), checked on the
//! way back (a token from another operation, or one that does not decode, is `InvalidNextToken`,
//! the model's error for it).

use base64::Engine as _;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;

use crate::server::fault::ApiError;

/// The largest `MaxRecords` accepted.
pub const MAX_RECORDS: i32 = 100;

/// The largest number of names (groups, launch configurations, instance ids) one call may list.
pub const MAX_NAMES: usize = 50;

/// One page request: how many items, and after which key.
#[derive(Debug, Clone)]
pub struct PageRequest {
    operation: &'static str,
    max: usize,
    after: Option<String>,
}

impl PageRequest {
    /// Checks `MaxRecords` (1..=100, `default` when absent) and decodes `NextToken`.
    pub fn new(
        operation: &'static str,
        max_records: Option<i32>,
        next_token: Option<&str>,
        default: usize,
    ) -> Result<Self, ApiError> {
        let max = match max_records {
            None => default,
            Some(n) if (1..=MAX_RECORDS).contains(&n) => n as usize,
            Some(n) => {
                let constraint = if n < 1 {
                    "greater than or equal to 1".to_string()
                } else {
                    format!("less than or equal to {MAX_RECORDS}")
                };
                return Err(ApiError::validation(format!(
                    "1 validation error detected: Value '{n}' at 'maxRecords' failed to satisfy \
                     constraint: Member must have value {constraint}"
                )));
            }
        };
        let after = match next_token {
            None => None,
            Some(token) => Some(decode(operation, token)?),
        };
        Ok(PageRequest {
            operation,
            max,
            after,
        })
    }

    /// The key after which this page starts (decoded from `NextToken`), if any.
    pub fn after(&self) -> Option<&str> {
        self.after.as_deref()
    }

    /// The most items on this page.
    pub fn max(&self) -> usize {
        self.max
    }

    /// Takes this page from `items` (sorted by their unique key, ascending); returns the page and
    /// the token of the next one, if more remain.
    pub fn take<T>(&self, items: Vec<(String, T)>) -> (Vec<T>, Option<String>) {
        let mut page = Vec::new();
        let mut last_key = None;
        let mut more = false;
        for (key, item) in items {
            if self
                .after
                .as_ref()
                .is_some_and(|after| key.as_str() <= after.as_str())
            {
                continue;
            }
            if page.len() == self.max {
                more = true;
                break;
            }
            last_key = Some(key);
            page.push(item);
        }
        let token = match (more, last_key) {
            (true, Some(key)) => Some(encode(self.operation, &key)),
            _ => None,
        };
        (page, token)
    }
}

/// The error for a `NextToken` that decodes but whose key the operation cannot use (a key is
/// only ever written by this server, so such a token was forged or damaged).
pub fn invalid_token() -> ApiError {
    ApiError::with_status(400, "InvalidNextToken", "The NextToken value is invalid.")
}

/// Refuses a list of more than [`MAX_NAMES`] names.
pub fn check_names(member: &str, names: Option<&Vec<String>>) -> Result<(), ApiError> {
    match names {
        Some(list) if list.len() > MAX_NAMES => Err(ApiError::validation(format!(
            "The number of {member} ({}) exceeds the limit of {MAX_NAMES}.",
            list.len()
        ))),
        _ => Ok(()),
    }
}

fn encode(operation: &str, key: &str) -> String {
    URL_SAFE_NO_PAD.encode(format!("{operation}\n{key}"))
}

fn decode(operation: &str, token: &str) -> Result<String, ApiError> {
    let bad = invalid_token;
    let bytes = URL_SAFE_NO_PAD.decode(token.trim()).map_err(|_| bad())?;
    let text = String::from_utf8(bytes).map_err(|_| bad())?;
    let (op, key) = text.split_once('\n').ok_or_else(bad)?;
    if op != operation || key.is_empty() {
        return Err(bad());
    }
    Ok(key.to_string())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn pages_by_key_and_refuses_foreign_tokens() {
        let items: Vec<(String, u32)> = (0..5).map(|i| (format!("k{i}"), i)).collect();
        let first = PageRequest::new("Op", Some(2), None, 50).unwrap();
        let (page, token) = first.take(items.clone());
        assert_eq!(page, vec![0, 1]);
        let token = token.unwrap();
        let second = PageRequest::new("Op", Some(3), Some(&token), 50).unwrap();
        let (page, token) = second.take(items.clone());
        assert_eq!((page, token), (vec![2, 3, 4], None));
        assert!(PageRequest::new("Other", None, Some(&encode("Op", "k1")), 50).is_err());
        assert!(PageRequest::new("Op", None, Some("!!"), 50).is_err());
        assert!(PageRequest::new("Op", None, Some(""), 50).is_err());
        let e = PageRequest::new("Op", None, Some("bm90LWEtdG9rZW4"), 50).unwrap_err();
        assert_eq!((e.status, e.code), (400, "InvalidNextToken"));
        assert!(PageRequest::new("Op", Some(0), None, 50).is_err());
        assert!(PageRequest::new("Op", Some(101), None, 50).is_err());
    }
}
