//! Following `NextToken` across the pages of a Describe call, for every service's client (Auto
//! Scaling, EC2): one loop, so both refuse a listing that would never end in the same way.
//!
//! A listing ends when a reply has no token. It also ends, with an error, when the server gives
//! a token it gave before (A, B, A, ...) or still gives new tokens after the page limit: either
//! is an unreadable reply ([`Error::Parse`], exit 4) naming the pages read.

use std::collections::{HashSet, VecDeque};
use std::future::Future;

use futures_util::stream::{self, Stream, StreamExt};

use crate::error::{Error, Result};

/// How one client reads the pages of one paginated operation.
pub(crate) struct Paging<I, P> {
    /// The operation's name, for errors.
    pub operation: &'static str,
    /// The most pages one listing reads.
    pub max_pages: usize,
    /// Sets the token of the page to ask for in the request.
    pub set_next_token: fn(&mut I, Option<String>),
    /// The token of the next page a reply gives, if any.
    pub next_token: fn(&P) -> Option<&str>,
}

/// Every page of a listing that starts with `input`; `send` makes one call and returns the
/// reply with its request id.
pub(crate) fn pages<'a, I, P, F, Fut>(
    paging: Paging<I, P>,
    input: I,
    send: F,
) -> impl Stream<Item = Result<P>> + 'a
where
    I: 'a,
    P: 'a,
    F: Fn(&I) -> Fut + 'a,
    Fut: Future<Output = Result<(P, Option<String>)>> + 'a,
{
    // The loop's state is owned by each step's future and handed back: the paging facts and
    // `send` travel in it, so the stream borrows nothing but what `send` does.
    struct State<I, P, F> {
        input: I,
        paging: Paging<I, P>,
        send: F,
        seen: HashSet<String>,
        pages: usize,
        done: bool,
    }
    let start = State {
        input,
        paging,
        send,
        seen: HashSet::new(),
        pages: 0,
        done: false,
    };
    stream::unfold(start, |mut state| async move {
        if state.done {
            return None;
        }
        let (page, request_id) = match (state.send)(&state.input).await {
            Ok(reply) => reply,
            Err(e) => {
                state.done = true;
                return Some((Err(e), state));
            }
        };
        state.pages += 1;
        let endless = |message: String| Error::Parse {
            operation: state.paging.operation.to_string(),
            status: 200,
            request_id: request_id.clone(),
            message,
        };
        match (state.paging.next_token)(&page).map(str::to_string) {
            Some(token) if state.seen.contains(&token) => {
                let shown: String = token.chars().take(80).collect();
                let err = endless(format!(
                    "after {} pages the server gave a NextToken it had given before \
                     ({shown:?}): the listing would never end; stopping",
                    state.pages
                ));
                state.done = true;
                return Some((Err(err), state));
            }
            Some(_) if state.pages >= state.paging.max_pages => {
                let err = endless(format!(
                    "stopped after {} pages: the server still gives a NextToken (raise the \
                     limit with --max-pages)",
                    state.pages
                ));
                state.done = true;
                return Some((Err(err), state));
            }
            Some(token) => {
                state.seen.insert(token.clone());
                (state.paging.set_next_token)(&mut state.input, Some(token));
            }
            None => state.done = true,
        }
        Some((Ok(page), state))
    })
}

/// The items of every page of `pages`, fetched a page at a time.
pub(crate) fn items<'a, P: 'a, T: 'a>(
    pages: impl Stream<Item = Result<P>> + 'a,
    into_items: fn(P) -> Vec<T>,
) -> impl Stream<Item = Result<T>> + 'a {
    let pages = Box::pin(pages);
    stream::unfold(
        (pages, VecDeque::new()),
        move |(mut pages, mut buffer)| async move {
            loop {
                if let Some(item) = buffer.pop_front() {
                    return Some((Ok(item), (pages, buffer)));
                }
                match pages.next().await? {
                    Ok(page) => buffer.extend(into_items(page)),
                    Err(e) => return Some((Err(e), (pages, buffer))),
                }
            }
        },
    )
}
