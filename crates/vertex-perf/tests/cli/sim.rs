//! vertex-sim in process, for commands that only need its HTTP side.

use vertex_sim::{Faults, Sim, SimConfig, SimHandle};

/// vertex-sim on its own runtime, alive as long as this value.
pub struct RunningSim {
    sim: Option<SimHandle>,
    runtime: tokio::runtime::Runtime,
    _dir: tempfile::TempDir,
}

impl RunningSim {
    pub fn start(faults: Faults) -> RunningSim {
        let dir = tempfile::tempdir().unwrap();
        let runtime = tokio::runtime::Runtime::new().unwrap();
        let mut config = SimConfig::new(dir.path().join("data"));
        config.faults = faults;
        let sim = runtime.block_on(Sim::start(config)).unwrap();
        RunningSim {
            sim: Some(sim),
            runtime,
            _dir: dir,
        }
    }

    pub fn url(&self) -> String {
        self.sim.as_ref().unwrap().base_url().to_owned()
    }
}

impl Drop for RunningSim {
    fn drop(&mut self) {
        if let Some(sim) = self.sim.take() {
            self.runtime.block_on(sim.shutdown());
        }
    }
}
