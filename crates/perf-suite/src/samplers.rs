//! The processes the suite watches for the whole run: the server (resources, then its
//! memory snapshots) and, when named, the storage server.

use std::sync::mpsc::Receiver;
use std::sync::{Mutex, PoisonError};
use std::time::Duration;

use perf_sampler::{LiveSample, MemoryProbe, ProcessTarget, Sampler, SamplerConfig, SamplerHandle};
use report_model::SuiteReport;

use crate::SuiteEvent;

use crate::config::PhaseSizes;

/// The server process when the target is on this machine: the listener on its port.
pub fn local_server(base_url: &str) -> Option<ProcessTarget> {
    let rest = base_url.split_once("://").map_or(base_url, |(_, r)| r);
    let authority = rest.split('/').next().unwrap_or_default();
    let (_, port) = authority.rsplit_once(':')?;
    let port = port.parse().ok()?;
    report_model::is_local_url(base_url).then_some(ProcessTarget::Port(port))
}

/// The running samplers; notes say why one could not start.
pub(crate) struct Samplers {
    server: Option<(SamplerHandle, u32)>,
    storage: Option<SamplerHandle>,
    /// The samplers' live readings, by role, for [`Samplers::publish`].
    live: Vec<(&'static str, Mutex<Receiver<LiveSample>>)>,
}

impl Samplers {
    /// Starts a sampler on each target that resolves.
    pub(crate) fn start(
        server: Option<&ProcessTarget>,
        storage: Option<&ProcessTarget>,
        phases: &PhaseSizes,
        note: &dyn Fn(String),
    ) -> Samplers {
        let start = |target: &ProcessTarget, what: &str| -> Option<(SamplerHandle, u32)> {
            let pid = perf_sampler::resolve_target(target)
                .map_err(|e| note(format!("not watching the {what}: {e}")))
                .ok()?;
            let mut sampler = SamplerConfig::new(ProcessTarget::Pid(pid));
            sampler.include_children = true;
            sampler.collect_uss = true;
            sampler.interval = Duration::from_millis(phases.sample_interval_ms);
            // A bound, like every loop here: far beyond any profile's length.
            sampler.duration = Some(Duration::from_hours(2));
            // The whole run spans phases of different work: its trend is shown, and the
            // memory phase's identical cycles judge leaks.
            sampler.leak = phases.leak_thresholds(perf_sampler::Workload::Varying(
                "the suite's phases run different work (uploads, reads, storage, idle); the memory cycles judge leaks",
            ));
            Sampler::start(sampler)
                .map_err(|e| note(format!("not watching the {what}: {e}")))
                .ok()
                .map(|handle| (handle, pid))
        };
        let mut server = server.and_then(|t| start(t, "server"));
        let mut storage = storage
            .and_then(|t| start(t, "storage server"))
            .map(|(handle, _)| handle);
        let live = [
            ("server", server.as_mut().map(|(handle, _)| handle)),
            ("storage_server", storage.as_mut()),
        ]
        .into_iter()
        .filter_map(|(role, handle)| Some((role, Mutex::new(handle?.live()?))))
        .collect();
        Samplers {
            server,
            storage,
            live,
        }
    }

    /// Hands on the latest reading of each watched process taken since the last call.
    pub(crate) fn publish(&self, events: &dyn Fn(SuiteEvent)) {
        for (role, receiver) in &self.live {
            let latest = receiver
                .lock()
                .unwrap_or_else(PoisonError::into_inner)
                .try_iter()
                .last();
            if let Some(sample) = latest {
                events(SuiteEvent::ProcessSample { role, sample });
            }
        }
    }

    /// The memory probe on the watched server, for the labelled snapshots.
    pub(crate) fn server_probe(&self, note: &dyn Fn(String)) -> Option<MemoryProbe> {
        let (_, pid) = self.server.as_ref()?;
        MemoryProbe::new(*pid, true)
            .map_err(|e| note(format!("no memory snapshots: {e}")))
            .ok()
    }

    /// Stops both and puts their reports in `report`.
    pub(crate) fn stop_into(self, report: &mut SuiteReport, note: &dyn Fn(String)) {
        if let Some((handle, _)) = self.server {
            match handle.stop() {
                Ok(sampler) => report.sampler = Some(sampler),
                Err(e) => note(format!("server sampler: {e}")),
            }
        }
        if let Some(handle) = self.storage {
            match handle.stop() {
                Ok(sampler) => report.storage_server = Some(sampler),
                Err(e) => note(format!("storage server sampler: {e}")),
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn only_a_loopback_target_names_a_local_server() {
        assert_eq!(
            local_server("http://127.0.0.1:8000"),
            Some(ProcessTarget::Port(8000))
        );
        assert_eq!(
            local_server("http://localhost:9/api"),
            Some(ProcessTarget::Port(9))
        );
        assert_eq!(
            local_server("http://[::1]:81"),
            Some(ProcessTarget::Port(81))
        );
        assert_eq!(local_server("http://example.com:8000"), None);
        assert_eq!(local_server("http://127.0.0.1"), None);
    }
}
