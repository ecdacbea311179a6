//! The integration tests, as one test binary: each file beside this one is a suite (a module), and
//! `util` holds what they share (running the `phantom` binary, `phantom serve` children, the
//! in-process endpoint with a Query client, the misbehaving and replaying servers, the Python
//! peers). One binary links once, instead of once per suite. Run one suite with
//! `cargo test --test it SUITE::` (e.g. `cargo test --test it faults::`).

#[macro_use]
mod util;

mod api_cmd;
mod cli_config;
mod cli_help;
mod cli_local;
mod cli_output;
mod client_defects;
mod credentials_sources;
mod ec2_moto;
mod elb_moto;
mod examples;
mod faults;
mod fuzz_regressions;
mod generated;
mod lt_cli;
mod moto_all;
mod moto_session;
mod parsing;
mod rest_captures;
mod rest_cli;
mod rest_client;
mod rest_endpoint;
mod rest_serve;
mod rest_server_codes;
mod secrets;
mod serve_flags;
mod server_activities;
mod server_all;
mod server_auth;
mod server_cli_families;
mod server_ec2;
mod server_elb;
mod server_hooks;
mod server_instances;
mod server_interop;
mod server_lb;
mod server_limits;
mod server_misc;
mod server_pages;
mod server_phantom;
mod server_policies;
mod server_processes;
mod server_refresh;
mod server_rules;
mod server_schedules;
mod server_state;
mod server_stats;
mod server_stress;
mod server_validation;
mod server_warm;
mod signing;
mod tasks;
mod tasks_domain;
mod tasks_hook;
mod tasks_instances;
mod tasks_policy;
mod tasks_schedule;
mod tasks_support;
mod waiters;
