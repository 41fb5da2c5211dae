//! The watched processes of a merged run, per host. Shards on one host watch the same
//! service over nearly the same window: their views are not added or averaged (the CPU and
//! memory of one process would count once per shard), the longest one is kept. Shards on
//! different hosts watched different processes, each kept under its host.

use crate::SuiteReport;
use crate::sampler::HostSamplers;

/// Per host, in the order of the lowest shard each ran; empty when no shard watched a
/// process.
pub(super) fn merge_hosts(shards: &[SuiteReport]) -> Vec<HostSamplers> {
    let mut hosts: Vec<HostSamplers> = Vec::new();
    for entry in shards.iter().flat_map(views) {
        match hosts.iter_mut().find(|h| h.host == entry.host) {
            Some(host) => {
                host.shards.extend(&entry.shards);
                host.shards.sort_unstable();
                if sampled_longer(&entry, host) {
                    host.sampled_by = entry.sampled_by;
                    host.sampler = entry.sampler;
                    host.storage_server = entry.storage_server;
                }
            }
            None => hosts.push(entry),
        }
    }
    if hosts.iter().all(|h| h.sampled_by.is_none()) {
        return Vec::new();
    }
    hosts.sort_by_key(|h| h.shards.first().copied());
    hosts
}

/// What one shard's report saw, per host: a merged report's own list, else its sampler
/// sections under its host name.
fn views(report: &SuiteReport) -> Vec<HostSamplers> {
    if !report.hosts.is_empty() {
        return report.hosts.clone();
    }
    let shards = report
        .meta
        .segment
        .as_ref()
        .map(crate::meta::RunSegment::shards)
        .unwrap_or_default();
    let watched = report.sampler.is_some() || report.storage_server.is_some();
    vec![HostSamplers {
        host: report
            .meta
            .host
            .hostname
            .clone()
            .unwrap_or_else(|| "unknown".to_owned()),
        sampled_by: watched.then(|| shards.first().copied()).flatten(),
        shards,
        sampler: report.sampler.clone(),
        storage_server: report.storage_server.clone(),
    }]
}

/// True when `entry`'s view is kept over `host`'s: it sampled longer, or as long from a
/// lower shard.
fn sampled_longer(entry: &HostSamplers, host: &HostSamplers) -> bool {
    let length = |h: &HostSamplers| {
        h.sampler
            .as_ref()
            .or(h.storage_server.as_ref())
            .map(|s| s.duration_us)
    };
    match (entry.sampled_by, host.sampled_by) {
        (None, _) => false,
        (Some(_), None) => true,
        (Some(a), Some(b)) => {
            (length(entry), std::cmp::Reverse(a)) > (length(host), std::cmp::Reverse(b))
        }
    }
}
