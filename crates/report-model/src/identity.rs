//! [`RunIdentity`]: what a run measured, so a baseline is only ever compared with a run of
//! the same thing — the same target, the same workload, the same class of machine.

use serde::{Deserialize, Serialize};

use crate::HostInfo;

/// What a run measured. Two runs are comparable only when every field matches
/// ([`RunIdentity::differences`]); a baseline of another target, workload or machine class
/// is refused rather than compared.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, schemars::JsonSchema)]
pub struct RunIdentity {
    /// The target: `vertex-sim (embedded)` for the stand-in the main job starts, otherwise
    /// the name the user gave or the URL's `host:port`.
    pub target: String,
    /// The service's own version string (`GET /version`), when it reports one.
    #[serde(default)]
    pub service_version: Option<String>,
    /// The workload: the command, profile and every size that shapes the traffic, as one
    /// canonical string (two runs with different sizes are not comparable).
    pub workload: String,
    /// The machine class: logical cores, memory rounded to GiB and the CPU model.
    pub host_class: String,
}

impl RunIdentity {
    /// The identity of a run of `workload` against `target` on `host`.
    pub fn new(target: &str, workload: &str, host: &HostInfo) -> RunIdentity {
        RunIdentity {
            target: target.to_owned(),
            service_version: None,
            workload: workload.to_owned(),
            host_class: host_class(host),
        }
    }

    /// The fields in which `other` differs from `self`, one phrase each (empty when the
    /// runs are comparable).
    pub fn differences(&self, other: &RunIdentity) -> Vec<String> {
        let mut differences = Vec::new();
        let mut check = |what: &str, mine: &str, theirs: &str| {
            if mine != theirs {
                differences.push(format!("{what} `{theirs}` vs `{mine}`"));
            }
        };
        check("target", &self.target, &other.target);
        check(
            "service version",
            self.service_version.as_deref().unwrap_or("unknown"),
            other.service_version.as_deref().unwrap_or("unknown"),
        );
        check("workload", &self.workload, &other.workload);
        check("host class", &self.host_class, &other.host_class);
        differences
    }
}

/// The machine class of `host`: `2 cores, 24 GiB, <cpu model>`.
pub fn host_class(host: &HostInfo) -> String {
    let gib = (host.memory_total_bytes as f64 / (1024.0 * 1024.0 * 1024.0)).round();
    format!(
        "{} cores, {gib:.0} GiB, {}",
        host.logical_cores,
        host.cpu_model.trim()
    )
}

/// The target name for a URL when the user gave none: its `host:port`, credentials and path
/// removed.
pub fn target_name_of_url(url: &str) -> String {
    let redacted = crate::redact_url(url);
    let rest = redacted
        .split_once("://")
        .map_or(redacted.as_str(), |(_, rest)| rest);
    rest.split(['/', '?']).next().unwrap_or(rest).to_owned()
}

/// True when `url`'s host is this machine: `localhost` or a loopback address (127.0.0.0/8,
/// `[::1]`). The suite watches such a target's listener; `load` leaves it half the cores.
pub fn is_local_url(url: &str) -> bool {
    let rest = url.split_once("://").map_or(url, |(_, rest)| rest);
    let authority = rest.split(['/', '?']).next().unwrap_or(rest);
    let host_port = authority
        .rsplit_once('@')
        .map_or(authority, |(_, host)| host);
    let host = match host_port.strip_prefix('[') {
        Some(bracketed) => bracketed.split(']').next().unwrap_or_default(),
        None => host_port.split(':').next().unwrap_or_default(),
    };
    host.eq_ignore_ascii_case("localhost")
        || host
            .parse::<std::net::IpAddr>()
            .is_ok_and(|ip| ip.is_loopback())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn host(cores: u32) -> HostInfo {
        HostInfo {
            cpu_model: "Example CPU".to_owned(),
            logical_cores: cores,
            memory_total_bytes: 24 * 1024 * 1024 * 1024 - 3_000_000,
            ..HostInfo::default()
        }
    }

    #[test]
    fn local_urls_are_localhost_and_loopback_addresses() {
        for url in [
            "http://127.0.0.1:8000/",
            "http://127.1.2.3",
            "http://localhost/x",
            "https://user:secret@LOCALHOST:9/",
            "http://[::1]:9/health",
        ] {
            assert!(is_local_url(url), "{url}");
        }
        for url in [
            "http://example.invalid:8000/",
            "http://10.0.0.1/",
            "http://[2001:db8::1]:80/",
            "http://127.example/",
        ] {
            assert!(!is_local_url(url), "{url}");
        }
    }

    #[test]
    fn identical_runs_are_comparable_and_every_difference_is_named() {
        let a = RunIdentity::new("vertex-sim (embedded)", "suite quick {}", &host(2));
        assert!(a.differences(&a.clone()).is_empty());
        assert_eq!(a.host_class, "2 cores, 24 GiB, Example CPU");

        let mut b = RunIdentity::new("127.0.0.1:8000", "suite quick {}", &host(8));
        b.service_version = Some("1.2.0".to_owned());
        let differences = a.differences(&b);
        assert_eq!(differences.len(), 3, "{differences:?}");
        assert!(differences[0].starts_with("target `127.0.0.1:8000`"));
        assert!(differences[1].contains("`1.2.0` vs `unknown`"));
        assert!(differences[2].starts_with("host class"));
    }

    #[test]
    fn target_names_drop_credentials_and_paths() {
        assert_eq!(
            target_name_of_url("http://admin:secret@127.0.0.1:8000/api?token=x"),
            "127.0.0.1:8000"
        );
        assert_eq!(target_name_of_url("localhost:9"), "localhost:9");
    }
}
