//! Secrets from the environment, never from arguments or files in the repository.

use anyhow::{Context as _, Result};

/// The password held by the environment variable `var`, or the old suite's default `admin`
/// when no variable is named.
pub fn password(var: Option<&str>) -> Result<String> {
    match var {
        Some(var) => std::env::var(var).with_context(|| {
            format!("environment variable `{var}` is not set (it should hold the password)")
        }),
        None => Ok("admin".to_owned()),
    }
}
