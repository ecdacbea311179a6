//! Where a setting came from: a flag, an environment variable, a profile in a shared file,
//! a `hotel.conf`, or the built-in default.
//!
//! Resolution records a [`Source`] beside each value it picks, so that messages say where a bad
//! value was found and rules that depend on the source (a `PHANTOM_URL` endpoint means Phantom)
//! compare typed values. `Display` gives the wording messages use: `--region`, `AWS_REGION`,
//! `profile dev in /home/u/.aws/config`, `ec2 in [services s] in /home/u/.aws/config`,
//! `hotel.conf /path`, `default`.

use std::fmt;
use std::path::PathBuf;

use super::environment::Var;

/// Where a setting came from.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Source {
    /// A command-line flag, by its name as written (e.g. `--region`).
    Flag(&'static str),
    /// An environment variable.
    Env(Var),
    /// A profile of an AWS shared file.
    Profile {
        /// The profile's name.
        name: String,
        /// The file it is in (its path, as shown in messages).
        file: String,
    },
    /// A service's `endpoint_url` in a `[services NAME]` section of the config file.
    Services {
        /// The section's name.
        section: String,
        /// The service's key in it (`ec2`, `auto_scaling`).
        service: String,
        /// The file it is in.
        file: String,
    },
    /// A FutureGrid `hotel.conf` / `cloud.properties`.
    HotelConf(PathBuf),
    /// Nothing said otherwise: the built-in default.
    Default,
}

impl fmt::Display for Source {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Source::Flag(flag) => f.write_str(flag),
            Source::Env(var) => f.write_str(var.name()),
            Source::Profile { name, file } => write!(f, "profile {name} in {file}"),
            Source::Services {
                section,
                service,
                file,
            } => write!(f, "{service} in [services {section}] in {file}"),
            Source::HotelConf(path) => write!(f, "hotel.conf {}", path.display()),
            Source::Default => f.write_str("default"),
        }
    }
}
