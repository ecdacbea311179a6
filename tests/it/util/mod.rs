//! What the suites share: running programs ([`run`]: the `phantom` command builder, bounded runs,
//! scratch directories), `phantom serve` children ([`serve`]), the in-process endpoint and its
//! Query client ([`server`]), the misbehaving server ([`fault_server`]), the replay of recorded
//! Phantom REST exchanges ([`rest`]) and the Python peers ([`peers`]); and the two usual shapes of
//! a test as macros: [`served!`] (the in-process endpoint and a Query client of it) and
//! [`phantom_test!`] (a `phantom serve` child and the binary run against it).
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

/// A test of the `phantom` binary against a `phantom serve` child:
/// `phantom_test!(name, SERVE_ARGS, |srv| { ... })` is a `#[test]` named `name` in which `srv` is
/// the `serve::Served` started with `SERVE_ARGS` (a `&[&str]`; killed when the test ends), and
/// `srv.phantom(&[...])` a clean-environment, bounded run of the binary pointed at it.
macro_rules! phantom_test {
    ($name:ident, $args:expr, |$srv:ident| $body:block) => {
        #[test]
        fn $name() {
            let $srv = $crate::util::serve::Served::start($args);
            $body
        }
    };
}
