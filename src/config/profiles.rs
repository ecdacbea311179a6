//! Which profile, and the two AWS shared files it is looked up in, loaded once per resolution.
//!
//! The profile is `--profile`, else `AWS_PROFILE`, else `default`; the files are
//! `AWS_SHARED_CREDENTIALS_FILE` / `AWS_CONFIG_FILE`, else `~/.aws/credentials` and `~/.aws/config`.
//! A named profile that neither file has is an error naming both files; the default profile may
//! be absent. Parsing the files is [`crate::profile::shared`]'s job.

use std::path::PathBuf;

use super::environment::{Environment, Var, expand_home};
use super::source::Source;
use crate::error::Error;
use crate::profile::{AwsProfile, SharedFile, SharedFileKind};
use crate::query::endpoint::shorten;

/// The selected profile and the shared files, as found.
pub(crate) struct ProfileFiles {
    /// The profile's name.
    pub name: String,
    /// Where the name came from.
    pub name_source: Source,
    /// The credentials file, when it exists.
    pub credentials: Option<SharedFile>,
    /// The config file, when it exists.
    pub config: Option<SharedFile>,
    /// Where the credentials file was looked for (`None`: no home directory and no variable).
    pub credentials_path: Option<PathBuf>,
    /// Where the config file was looked for.
    pub config_path: Option<PathBuf>,
}

impl ProfileFiles {
    /// Selects the profile and loads both files; a named profile found in neither is an error.
    pub fn load(profile_flag: Option<&str>, env: &dyn Environment) -> Result<ProfileFiles, Error> {
        let flag = profile_flag.map(str::trim).filter(|p| !p.is_empty());
        let (name, name_source) = if let Some(p) = flag {
            (p.to_string(), Source::Flag("--profile"))
        } else if let Some(p) = Var::AwsProfile.value(env) {
            (p, Source::Env(Var::AwsProfile))
        } else {
            ("default".to_string(), Source::Default)
        };
        let locate = |var: Var, file: &str| -> Option<PathBuf> {
            match var.value(env) {
                Some(p) => Some(expand_home(&p, env)),
                None => env.home().map(|h| h.join(".aws").join(file)),
            }
        };
        let load = |path: Option<PathBuf>, kind| -> Result<Option<SharedFile>, Error> {
            match path {
                Some(p) => SharedFile::load(&p, kind),
                None => Ok(None),
            }
        };
        let credentials_path = locate(Var::AwsSharedCredentialsFile, "credentials");
        let config_path = locate(Var::AwsConfigFile, "config");
        let credentials = load(credentials_path.clone(), SharedFileKind::Credentials)?;
        let config = load(config_path.clone(), SharedFileKind::Config)?;
        let files = ProfileFiles {
            name,
            name_source,
            credentials,
            config,
            credentials_path,
            config_path,
        };
        if files.name != "default"
            && files.in_credentials().is_none()
            && files.in_config().is_none()
        {
            let looked: Vec<&str> = [&files.credentials, &files.config]
                .into_iter()
                .flatten()
                .map(|f| f.origin.as_str())
                .collect();
            let looked = if looked.is_empty() {
                "no credentials or config file exists".to_string()
            } else {
                format!("looked in {}", looked.join(" and "))
            };
            return Err(Error::Config(format!(
                "profile `{}` (from {}) not found: {looked}",
                shorten(&files.name),
                files.name_source
            )));
        }
        Ok(files)
    }

    /// The profile in the credentials file, with the file's origin.
    pub fn in_credentials(&self) -> Option<(&AwsProfile, &str)> {
        let f = self.credentials.as_ref()?;
        f.profile(&self.name).map(|p| (p, f.origin.as_str()))
    }

    /// The profile in the config file, with the file's origin.
    pub fn in_config(&self) -> Option<(&AwsProfile, &str)> {
        let f = self.config.as_ref()?;
        f.profile(&self.name).map(|p| (p, f.origin.as_str()))
    }
}

/// Where a profile's value came from.
pub(crate) fn profile_source(profile: &AwsProfile, origin: &str) -> Source {
    Source::Profile {
        name: profile.name.clone(),
        file: origin.to_string(),
    }
}
