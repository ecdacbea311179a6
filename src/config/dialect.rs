//! The dialect: every difference between AWS and Nimbus Phantom the client acts on, in one place.
//!
//! Phantom signs with SigV2 by default (and its own SigV4 variant when asked), names launch
//! configurations per site as `NAME@SITE` ([`LaunchConfigurationName`]), deletes a domain with its
//! instances, and has no `UpdateAutoScalingGroup`. Which dialect a server speaks is decided here
//! too ([`Dialect::detect`]), from the endpoint and where it came from. The built-in server's side
//! of the `NAME@SITE` rule is `server::sites`, which accepts names more liberally.

use std::fmt;

use super::environment::Var;
use super::source::Source;
use crate::error::Error;
use crate::query::endpoint::{Endpoint, shorten};
use crate::query::sign::{HmacAlgorithm, SignatureVersion};

keyword_enum! {
    /// The server's flavour of the Auto Scaling Query API.
    #[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
    pub enum Dialect("dialect") {
        /// AWS (and compatible servers: moto, Eucalyptus).
        Aws = "aws",
        /// Nimbus Phantom's clone of the API.
        Phantom = "phantom",
    }
}

impl Dialect {
    /// The dialect of an endpoint nothing names one for: Phantom for a `PHANTOM_URL` endpoint, a
    /// `nimbusproject.org` host or port 8445 (FutureGrid's Phantom), else AWS.
    pub fn detect(endpoint: &Endpoint, source: &Source) -> Dialect {
        let host = endpoint.host.as_str();
        if *source == Source::Env(Var::PhantomUrl)
            || host == "nimbusproject.org"
            || host.ends_with(".nimbusproject.org")
            || endpoint.port == Some(8445)
        {
            Dialect::Phantom
        } else {
            Dialect::Aws
        }
    }

    /// The signature used unless one is asked for: V2 for Phantom, V4 for AWS.
    pub fn default_signature(&self) -> SignatureChoice {
        match self {
            Dialect::Phantom => SignatureChoice::V2,
            Dialect::Aws => SignatureChoice::V4,
        }
    }

    /// How requests are signed: SigV2 with `hmac`, or SigV4 (Phantom's variant for Phantom).
    pub fn signature_version(
        &self,
        choice: SignatureChoice,
        hmac: HmacAlgorithm,
    ) -> SignatureVersion {
        match (choice, self) {
            (SignatureChoice::V2, _) => SignatureVersion::V2(hmac),
            (SignatureChoice::V4, Dialect::Phantom) => SignatureVersion::PhantomV4,
            (SignatureChoice::V4, Dialect::Aws) => SignatureVersion::V4,
        }
    }

    /// The launch configuration name to create or delete: Phantom names one per site,
    /// `NAME@SITE` (see [`LaunchConfigurationName::parse`] and
    /// [`LaunchConfigurationName::with_site`] for the rules). AWS names are used as given, and
    /// the site is ignored.
    pub fn launch_configuration_name(
        &self,
        name: &str,
        site: Option<&str>,
    ) -> Result<LaunchConfigurationName, Error> {
        if *self == Dialect::Aws {
            return Ok(LaunchConfigurationName {
                base: name.to_string(),
                site: None,
            });
        }
        let parsed = LaunchConfigurationName::parse(name)?;
        match site {
            Some(site) => parsed.with_site(site),
            None => Ok(parsed),
        }
    }

    /// The name to show for a launch configuration a server listed: Phantom's `NAME@SITE` shows
    /// as `NAME` (split at the first `@`, whatever follows).
    pub fn display_launch_configuration_name<'a>(&self, name: &'a str) -> &'a str {
        match self {
            Dialect::Phantom => name.split('@').next().unwrap_or(name),
            Dialect::Aws => name,
        }
    }

    /// Whether `lc create` needs a site (Phantom deploys an image per site).
    pub fn requires_site(&self) -> bool {
        matches!(self, Dialect::Phantom)
    }

    /// Whether deleting a domain also terminates its instances by default. Phantom always did; AWS
    /// refuses to delete a group with instances unless asked to force it.
    pub fn force_delete_by_default(&self) -> bool {
        matches!(self, Dialect::Phantom)
    }

    /// Whether the server has `UpdateAutoScalingGroup` (Phantom has ten actions and not this one;
    /// its SetDesiredCapacity sets the n-preserving size, min and max included).
    pub fn has_update_group(&self) -> bool {
        matches!(self, Dialect::Aws)
    }
}

/// A launch configuration's name with its optional site, parsed and validated once. Phantom
/// writes it `NAME@SITE`; an AWS name is all [`base`](Self::base) (it may contain `@`) and has no
/// site. `Display` gives the name to send.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct LaunchConfigurationName {
    base: String,
    site: Option<String>,
}

impl LaunchConfigurationName {
    /// Parses a Phantom name, `NAME` or `NAME@SITE`: an empty name or site, or a second `@`,
    /// is refused.
    pub fn parse(name: &str) -> Result<LaunchConfigurationName, Error> {
        let (base, site) = match name.split_once('@') {
            Some((base, site)) => (base, Some(site)),
            None => (name, None),
        };
        let shown = shorten(name);
        if base.trim().is_empty() {
            return Err(Error::Config(format!(
                "launch configuration name `{shown}` has no name before the @SITE"
            )));
        }
        match site {
            Some(s) if s.trim().is_empty() => Err(Error::Config(format!(
                "launch configuration name `{shown}` names an empty site: write NAME@SITE, \
                 e.g. {}@hotel",
                shorten(base)
            ))),
            Some(s) if s.contains('@') => Err(Error::Config(format!(
                "launch configuration name `{shown}` has more than one @: write NAME@SITE"
            ))),
            _ => Ok(LaunchConfigurationName {
                base: base.to_string(),
                site: site.map(str::to_string),
            }),
        }
    }

    /// The name at `site`: `site` must be a site name (not empty, no `@`), and a name that
    /// already holds `@SITE` keeps it only when it is the same site.
    pub fn with_site(self, site: &str) -> Result<LaunchConfigurationName, Error> {
        if site.trim().is_empty() || site.contains('@') {
            return Err(Error::Config(format!(
                "`{}` is not a site name",
                shorten(site)
            )));
        }
        match &self.site {
            Some(named) if named != site => Err(Error::Config(format!(
                "`{}` names site {} but the command names site {}: give one site",
                shorten(&self.to_string()),
                shorten(named),
                shorten(site)
            ))),
            Some(_) => Ok(self),
            None => Ok(LaunchConfigurationName {
                site: Some(site.to_string()),
                ..self
            }),
        }
    }

    /// The name without its site.
    pub fn base(&self) -> &str {
        &self.base
    }

    /// The site, when the name has one.
    pub fn site(&self) -> Option<&str> {
        self.site.as_deref()
    }
}

impl fmt::Display for LaunchConfigurationName {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match &self.site {
            Some(site) => write!(f, "{}@{site}", self.base),
            None => f.write_str(&self.base),
        }
    }
}

keyword_enum! {
    /// Which request signature to use.
    #[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
    pub enum SignatureChoice("signature version") {
        /// Signature Version 2 (query parameters; what Phantom accepts robustly).
        V2 = "v2",
        /// Signature Version 4 (`Authorization` header; what AWS requires).
        V4 = "v4",
    }
}
