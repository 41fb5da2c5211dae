//! What a running suite tells its caller: the phases as they start, lines worth showing a
//! person, and the live progress of the load and storage runs. The suite never prints; a
//! frontend draws these however it likes (the CLI: notes on stderr and a progress line).

use std::fmt;

/// A phase of the suite, in the order they run.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum Phase {
    /// One large order upload, concurrent uploads and DB-backed reads.
    Comprehensive,
    /// The ten-step portrait workflow.
    Workflow,
    /// Order creation, the read mix and the stress run.
    Load,
    /// Local disk vs S3 vs through the service.
    Storage,
    /// Identical workload cycles and their leak verdict.
    Memory,
}

impl Phase {
    /// Every phase, in the order the suite runs them.
    pub const ALL: [Phase; 5] = [
        Phase::Comprehensive,
        Phase::Workflow,
        Phase::Load,
        Phase::Storage,
        Phase::Memory,
    ];

    /// True for the phases a split run runs once, on its first shard: the workflow (one walk
    /// through the service, not a load) and the memory cycles (the leak protocol compares
    /// cycles of one workload from one client).
    pub fn runs_once(self) -> bool {
        matches!(self, Phase::Workflow | Phase::Memory)
    }

    /// The phase's name in progress lines and snapshot labels (`before_<name>`).
    pub fn name(self) -> &'static str {
        match self {
            Phase::Comprehensive => "comprehensive",
            Phase::Workflow => "workflow",
            Phase::Load => "load",
            Phase::Storage => "storage",
            Phase::Memory => "memory",
        }
    }
}

impl fmt::Display for Phase {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.name())
    }
}

/// One thing the suite reports while it runs.
#[derive(Debug, Clone)]
#[non_exhaustive]
pub enum SuiteEvent {
    /// A phase begins.
    PhaseStarted(Phase),
    /// A line for a person: a scenario's figures, a part skipped and why.
    Note(String),
    /// About once a second while a load scenario runs.
    LoadProgress {
        /// The scenario's name.
        scenario: String,
        /// Where it is.
        progress: load_engine::Progress,
    },
    /// About once a sample interval: the latest reading of a watched process.
    ProcessSample {
        /// What the process is to the run: `server` or `storage_server`.
        role: &'static str,
        /// The reading.
        sample: perf_sampler::LiveSample,
    },
    /// While the storage phase moves bytes.
    StorageProgress(storage_bench::StorageProgress),
    /// The load or storage run that sent progress ended.
    ProgressEnded,
}
