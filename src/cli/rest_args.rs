//! The grammar of the REST-only commands (`login`, `sites`, `credentials`); the `--api` choice
//! itself is [`crate::config::ApiChoice`].

use clap::{Args, Subcommand};

/// Arguments of `login`.
#[derive(Debug, Args)]
pub struct LoginArgs {
    /// Phantom user name.
    pub user: String,
    /// Read the password from stdin (else it is asked on the terminal, without echo).
    #[arg(long)]
    pub password_stdin: bool,
}

/// Arguments of `sites`.
#[derive(Debug, Args)]
pub struct SitesArgs {
    /// Also show each site's type and images.
    #[arg(long)]
    pub details: bool,
}

/// `phantom credentials ...`
#[derive(Debug, Subcommand)]
pub enum CredentialsCommand {
    /// List your credentials for every site (secret keys are never shown).
    #[command(after_help = "Example:\n  phantom credentials list")]
    List(CredentialsListArgs),
    /// Show your credentials for one site (the secret key is never shown).
    #[command(after_help = "Example:\n  phantom credentials show hotel")]
    Show(SiteArg),
    /// Add credentials for a site; the secret key comes from PHANTOM_SITE_SECRET_KEY or stdin.
    #[command(
        after_help = "Example:\n  printf '%s' \"$SECRET\" | phantom credentials add sierra --access-key AKID --key-name phantomkey"
    )]
    Add(CredentialsSetArgs),
    /// Replace your credentials for a site; the secret key comes from PHANTOM_SITE_SECRET_KEY or stdin.
    #[command(
        after_help = "Example:\n  printf '%s' \"$SECRET\" | phantom credentials update sierra --access-key AKID2 --key-name phantomkey"
    )]
    Update(CredentialsSetArgs),
    /// Remove your credentials for a site.
    #[command(after_help = "Example:\n  phantom credentials remove sierra")]
    Remove(SiteArg),
}

/// Arguments of `credentials list`.
#[derive(Debug, Args)]
pub struct CredentialsListArgs {
    /// Also show the key pair names available on each site.
    #[arg(long)]
    pub details: bool,
}

/// One site.
#[derive(Debug, Args)]
pub struct SiteArg {
    /// Site name, e.g. hotel.
    pub site: String,
}

/// Arguments of `credentials add` and `credentials update` (never the secret key: it is read
/// from PHANTOM_SITE_SECRET_KEY or stdin, so it stays out of shell history and `ps`).
#[derive(Debug, Args)]
pub struct CredentialsSetArgs {
    /// Site name, e.g. sierra.
    pub site: String,
    /// The site's access key.
    #[arg(long)]
    pub access_key: String,
    /// The SSH key pair name to give VMs on the site.
    #[arg(long)]
    pub key_name: String,
}
