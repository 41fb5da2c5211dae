//! What every report says about the run that made it: tool version, commit, host and the
//! command line, with anything secret taken out.

use report_model::{RunMeta, redact_url};

/// Metadata for a run starting now against `target` (redacted), with the tool's commit
/// and this process's command line.
pub fn run_meta(target: Option<&str>) -> RunMeta {
    let mut meta = RunMeta::start(env!("CARGO_PKG_VERSION"), perf_sampler::host_info(), target);
    meta.git_sha = option_env!("VERTEX_PERF_GIT_SHA").map(str::to_owned);
    meta.command_line = Some(redacted_command_line(std::env::args()));
    meta
}

/// Flags whose value is never written down, whatever it is.
fn is_secret_flag(flag: &str) -> bool {
    let name = flag.trim_start_matches('-').to_ascii_lowercase();
    ["password", "token", "secret", "key", "credential"]
        .iter()
        .any(|word| name.contains(word) && !name.ends_with("-env"))
}

/// True when the previous argument was `-H`/`--header`.
fn header_follows(shown: &[String]) -> bool {
    shown
        .last()
        .is_some_and(|prev| prev == "-H" || prev == "--header")
}

/// `Name: value` with the value hidden for the headers that carry credentials.
fn redact_header(header: &str) -> String {
    match header.split_once(':') {
        Some((name, _))
            if [
                "authorization",
                "cookie",
                "x-api-key",
                "proxy-authorization",
            ]
            .contains(&name.trim().to_ascii_lowercase().as_str()) =>
        {
            format!("{name}: ***")
        }
        _ => header.to_owned(),
    }
}

/// The arguments joined by spaces: URLs lose their user info, the value of a flag naming
/// a secret (`--password x`, `--token=x`) becomes `***`. Secrets are read from the
/// environment, never from arguments, but a user may still type one.
pub fn redacted_command_line(args: impl IntoIterator<Item = String>) -> String {
    let mut out: Vec<String> = Vec::new();
    let mut hide_next = false;
    for (index, arg) in args.into_iter().enumerate() {
        let shown = if index == 0 {
            std::path::Path::new(&arg)
                .file_name()
                .map_or_else(|| arg.clone(), |name| name.to_string_lossy().into_owned())
        } else if hide_next {
            "***".to_owned()
        } else if header_follows(&out) {
            redact_header(&arg)
        } else if let Some((flag, _)) = arg.split_once('=')
            && flag.starts_with('-')
            && is_secret_flag(flag)
        {
            format!("{flag}=***")
        } else if arg.contains("://") {
            redact_url(&arg)
        } else {
            arg.clone()
        };
        hide_next = index > 0 && arg.starts_with('-') && !arg.contains('=') && is_secret_flag(&arg);
        out.push(shown);
    }
    out.join(" ")
}

#[cfg(test)]
mod tests {
    use super::*;

    fn line(args: &[&str]) -> String {
        redacted_command_line(args.iter().map(|a| (*a).to_owned()))
    }

    #[test]
    fn secrets_and_url_credentials_are_left_out() {
        assert_eq!(
            line(&[
                "/usr/bin/vertex-perf",
                "load",
                "http://admin:hunter2@127.0.0.1:8000/x",
                "--token",
                "abc",
                "--s3-secret=xyz",
                "-c",
                "4"
            ]),
            "vertex-perf load http://127.0.0.1:8000/x --token *** --s3-secret=*** -c 4"
        );
        assert_eq!(
            line(&[
                "vertex-perf",
                "load",
                "-H",
                "Authorization: Bearer abc",
                "-H",
                "Accept: */*"
            ]),
            "vertex-perf load -H Authorization: *** -H Accept: */*"
        );
        assert_eq!(
            line(&["vertex-perf", "suite", "--password-env", "VERTEX_PASS"]),
            "vertex-perf suite --password-env VERTEX_PASS",
            "naming the variable is no secret"
        );
    }
}
