//! vertex-sim in process, for commands that only need its HTTP side, and a direct look at
//! its database to see what a run really left behind.

use std::collections::BTreeSet;
use std::path::PathBuf;

use vertex_sim::{Faults, Sim, SimConfig, SimHandle};

/// vertex-sim on its own runtime, alive as long as this value.
pub struct RunningSim {
    sim: Option<SimHandle>,
    runtime: tokio::runtime::Runtime,
    data_dir: PathBuf,
    _dir: tempfile::TempDir,
}

impl RunningSim {
    /// A fresh sim without users, with `faults`.
    pub fn start(faults: Faults) -> RunningSim {
        RunningSim::start_with(|config| config.faults = faults)
    }

    /// A fresh sim with `admin`/`admin`, configured by `configure`.
    pub fn with_admin(configure: impl FnOnce(&mut SimConfig)) -> RunningSim {
        RunningSim::start_with(|config| {
            config.admin = Some(("admin".to_owned(), "admin".to_owned()));
            configure(config);
        })
    }

    /// A fresh sim configured by `configure`.
    pub fn start_with(configure: impl FnOnce(&mut SimConfig)) -> RunningSim {
        let dir = tempfile::tempdir().unwrap();
        let runtime = tokio::runtime::Runtime::new().unwrap();
        let mut config = SimConfig::new(dir.path().join("data"));
        configure(&mut config);
        let data_dir = config.data_dir.clone();
        let sim = runtime.block_on(Sim::start(config)).unwrap();
        RunningSim {
            sim: Some(sim),
            runtime,
            data_dir,
            _dir: dir,
        }
    }

    pub fn url(&self) -> String {
        self.sim.as_ref().unwrap().base_url().to_owned()
    }

    /// Stops the server (in-flight requests finish); the database stays readable.
    pub fn shut_down(&mut self) {
        if let Some(sim) = self.sim.take() {
            self.runtime.block_on(sim.shutdown());
        }
    }

    /// Every client, portrait and video row, as `(kind, id)` with the kinds of
    /// `suite.json`'s leftovers, read from the database file directly.
    pub fn rows(&self) -> BTreeSet<(String, String)> {
        let db = rusqlite::Connection::open(self.data_dir.join("app_data.db")).unwrap();
        let mut rows = BTreeSet::new();
        for (kind, table) in [
            ("client", "clients"),
            ("portrait", "portraits"),
            ("video", "videos"),
        ] {
            let mut query = db.prepare(&format!("SELECT id FROM {table}")).unwrap();
            let ids = query
                .query_map([], |row| row.get::<_, String>(0))
                .unwrap()
                .map(Result::unwrap);
            rows.extend(ids.map(|id| (kind.to_owned(), id)));
        }
        rows
    }
}

impl Drop for RunningSim {
    fn drop(&mut self) {
        self.shut_down();
    }
}
