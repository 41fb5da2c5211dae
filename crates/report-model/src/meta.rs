//! Who ran what, where and when: [`RunMeta`] and [`HostInfo`].

/// A UTC wall-clock timestamp, serialised as RFC 3339.
pub type Timestamp = chrono::DateTime<chrono::Utc>;
use serde::{Deserialize, Serialize};

/// The machine a run happened on.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize, schemars::JsonSchema)]
pub struct HostInfo {
    /// Host name, when known.
    pub hostname: Option<String>,
    /// Operating system name and version, e.g. `Debian GNU/Linux 12`.
    pub os: String,
    /// Kernel release, e.g. `6.1.0-18-amd64`.
    pub kernel: String,
    /// CPU model string.
    pub cpu_model: String,
    /// Logical cores (what `nproc` says).
    pub logical_cores: u32,
    /// Physical cores, when known.
    pub physical_cores: Option<u32>,
    /// Total memory in bytes.
    pub memory_total_bytes: u64,
    /// Size of the file system holding the working directory, in bytes, when known.
    pub disk_total_bytes: Option<u64>,
}

/// Metadata of one run: tool, host, target and time span.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, schemars::JsonSchema)]
pub struct RunMeta {
    /// Unique id of the run, also the suffix of its report folder.
    pub run_id: String,
    /// Version of the tool that produced the report.
    pub tool_version: String,
    /// Git commit the tool was built from, when it was built in a git checkout.
    pub git_sha: Option<String>,
    /// The machine.
    pub host: HostInfo,
    /// The target URL, credentials removed (see [`redact_url`]).
    pub target: Option<String>,
    /// Start, UTC.
    pub started_at: Timestamp,
    /// End, UTC.
    pub finished_at: Timestamp,
    /// The suite profile (`quick`, `default`, `full`), when the run was a suite: runs of
    /// different profiles are not compared.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub profile: Option<String>,
    /// The command line that started the run, with secrets and URL credentials removed.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub command_line: Option<String>,
    /// What the run measured; a baseline must match it (see [`crate::RunIdentity`]).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub identity: Option<crate::RunIdentity>,
    /// The part of a split run this report holds (`--shard`); absent for a whole run.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub segment: Option<RunSegment>,
}

/// One shard of a run split over several generators: which part, and how its start lined
/// up with the others'.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, schemars::JsonSchema)]
pub struct RunSegment {
    /// The shard, counted from 1.
    pub index: u32,
    /// How many shards the run has.
    pub total: u32,
    /// The start instant every shard waited for (`--start-at`), when one was given.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub start_at: Option<Timestamp>,
    /// This shard's start minus `start_at` by its own clock, microseconds: how late it
    /// began (clock skew between hosts included).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub start_offset_us: Option<i64>,
    /// The shards a partial merge holds (`merge --partial`), counted from 1; empty for one
    /// shard, which holds `index` alone.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub covers: Vec<u32>,
    /// The command the shard ran (`load`, `suite`, `storage`): how the merged run is judged.
    /// Absent in shards written before it was recorded, which were all `load`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub kind: Option<crate::RunKind>,
}

impl RunSegment {
    /// Shard `index` of `total` of a `kind` run started together at `start_at`, `start_offset_us`
    /// late by this machine's clock.
    pub fn of_shard(
        kind: crate::RunKind,
        index: u32,
        total: u32,
        start_at: Option<Timestamp>,
        start_offset_us: Option<i64>,
    ) -> RunSegment {
        RunSegment {
            index,
            total,
            start_at,
            start_offset_us,
            covers: Vec::new(),
            kind: Some(kind),
        }
    }

    /// The command every shard ran.
    pub fn kind(&self) -> crate::RunKind {
        self.kind.unwrap_or(crate::RunKind::Load)
    }

    /// True when this report holds the first shard, the one that runs what must run once.
    pub fn holds_first(&self) -> bool {
        self.shards().contains(&1)
    }

    /// The shards this report holds.
    pub fn shards(&self) -> Vec<u32> {
        if self.covers.is_empty() {
            vec![self.index]
        } else {
            self.covers.clone()
        }
    }
}

impl RunMeta {
    /// Metadata for a run starting now: a fresh [`RunMeta::run_id`], `finished_at` equal to
    /// `started_at` until [`RunMeta::finish`]. `target` is redacted here.
    pub fn start(tool_version: &str, host: HostInfo, target: Option<&str>) -> RunMeta {
        let started_at = chrono::Utc::now();
        RunMeta {
            run_id: new_run_id(started_at),
            tool_version: tool_version.to_owned(),
            git_sha: None,
            host,
            target: target.map(redact_url),
            started_at,
            finished_at: started_at,
            profile: None,
            command_line: None,
            identity: None,
            segment: None,
        }
    }

    /// Sets `finished_at` to now.
    pub fn finish(&mut self) {
        self.finished_at = chrono::Utc::now();
    }
}

/// A run id: the UTC start as `yyyymmddThhmmssZ`, a dash and six hex digits that differ
/// between runs started in the same second (from the clock's nanoseconds and the pid).
pub fn new_run_id(started_at: Timestamp) -> String {
    use std::hash::{BuildHasher as _, Hasher as _};
    let mut hasher = std::collections::hash_map::RandomState::new().build_hasher();
    hasher.write_u32(started_at.timestamp_subsec_nanos());
    hasher.write_u32(std::process::id());
    format!(
        "{}-{:06x}",
        started_at.format("%Y%m%dT%H%M%SZ"),
        hasher.finish() & 0xff_ffff
    )
}

/// Query parameter names whose values are replaced by `REDACTED`.
const SECRET_QUERY_KEYS: &[&str] = &[
    "password",
    "passwd",
    "secret",
    "token",
    "access_token",
    "key",
    "access_key",
    "secret_key",
    "api_key",
    "apikey",
    "signature",
    "x-amz-signature",
    "x-amz-credential",
];

/// Removes credentials from a URL: the `user:password@` part and the values of query
/// parameters that carry secrets (`token`, `password`, `secret_key`, ...).
///
/// Works on any `scheme://authority/path?query` string without a URL parser, so it also
/// accepts `s3://bucket?endpoint=...` and `vertex+http://...` forms.
///
/// ```
/// use report_model::redact_url;
/// assert_eq!(redact_url("http://admin:pw@127.0.0.1:8000/x?token=abc&n=1"),
///            "http://127.0.0.1:8000/x?token=REDACTED&n=1");
/// ```
pub fn redact_url(url: &str) -> String {
    let (before_query, query) = match url.split_once('?') {
        Some((head, query)) => (head, Some(query)),
        None => (url, None),
    };
    let mut out = String::with_capacity(url.len());
    match before_query.split_once("://") {
        Some((scheme, rest)) => {
            let (authority, path) = match rest.find('/') {
                Some(slash) => rest.split_at(slash),
                None => (rest, ""),
            };
            let host = authority
                .rsplit_once('@')
                .map_or(authority, |(_, host)| host);
            out.push_str(scheme);
            out.push_str("://");
            out.push_str(host);
            out.push_str(path);
        }
        None => out.push_str(before_query),
    }
    if let Some(query) = query {
        out.push('?');
        let redacted: Vec<String> = query
            .split('&')
            .map(|pair| match pair.split_once('=') {
                Some((key, _))
                    if SECRET_QUERY_KEYS.contains(&key.to_ascii_lowercase().as_str()) =>
                {
                    format!("{key}=REDACTED")
                }
                _ => pair.to_owned(),
            })
            .collect();
        out.push_str(&redacted.join("&"));
    }
    out
}

#[cfg(test)]
mod tests {
    use super::redact_url;

    fn check(input: &str, expected: &str) {
        assert_eq!(redact_url(input), expected, "input: {input}");
    }

    #[test]
    fn redacts_userinfo_and_secret_parameters() {
        check("http://127.0.0.1:8000", "http://127.0.0.1:8000");
        check("http://u:p@127.0.0.1:8000/a/b", "http://127.0.0.1:8000/a/b");
        check("http://u@host", "http://host");
        check(
            "s3://bucket?endpoint=http://127.0.0.1:9000&secret_key=abc",
            "s3://bucket?endpoint=http://127.0.0.1:9000&secret_key=REDACTED",
        );
        check(
            "http://h/x?Token=t&page=2",
            "http://h/x?Token=REDACTED&page=2",
        );
        check("file:///tmp/dir", "file:///tmp/dir");
        check("not a url", "not a url");
    }
}
