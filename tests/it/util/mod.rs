//! What the suites share: running programs ([`run`]: the `phantom` command builder, bounded runs,
//! scratch directories), `phantom serve` children ([`serve`]), the in-process endpoint and its
//! Query client ([`server`]), the misbehaving server ([`fault_server`]), the replay of recorded
//! Phantom REST exchanges ([`rest`]) and the Python peers ([`peers`]); and [`served!`], the usual
//! shape of a test against the in-process endpoint. A test of the binary against a `phantom serve`
//! child is `serve::Served::start(ARGS)` and `served.phantom(&[...]).run()`.
#![allow(dead_code)]

pub mod fault_server;
pub mod peers;
pub mod rest;
pub mod run;
pub mod serve;
pub mod server;

/// A test against a fresh in-process endpoint (no auth, short delays: `server::start_open`):
/// `served!(name, |server, c| { ... })` is a `#[tokio::test]` named `name` in which `server` is
/// the `RunningServer` and `c` an unsigned Query `server::Client` of it.
macro_rules! served {
    ($name:ident, |$server:ident, $client:ident| $body:block) => {
        #[tokio::test]
        async fn $name() {
            let $server = $crate::util::server::start_open().await;
            let $client = $crate::util::server::Client::new(&$server);
            $body
        }
    };
}
