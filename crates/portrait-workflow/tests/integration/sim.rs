//! A vertex-sim per test, and a look at its database to prove what is left behind.

use vertex_sim::{Sim, SimConfig, SimHandle};

pub struct TestSim {
    pub sim: SimHandle,
    pub dir: tempfile::TempDir,
    data_dir: std::path::PathBuf,
}

impl TestSim {
    pub async fn start(configure: impl FnOnce(&mut SimConfig)) -> TestSim {
        let dir = tempfile::tempdir().unwrap();
        let mut config = SimConfig::new(dir.path().join("data"));
        // `configure` may move the data folder below the temporary directory.
        config.admin = Some(("admin".to_owned(), "admin".to_owned()));
        configure(&mut config);
        let data_dir = config.data_dir.clone();
        TestSim {
            sim: Sim::start(config).await.unwrap(),
            dir,
            data_dir,
        }
    }

    pub fn url(&self) -> String {
        self.sim.base_url().to_owned()
    }

    /// A target logged in as the built-in admin.
    pub async fn logged_in(&self) -> portrait_workflow::ServiceTarget {
        let options = load_engine::LoadOptions::default();
        portrait_workflow::log_in(&self.url(), "admin", "admin", false, &options)
            .await
            .unwrap()
    }

    /// Rows in `clients`, `portraits`, `videos`.
    pub fn rows(&self) -> (i64, i64, i64) {
        let db = rusqlite::Connection::open(self.data_dir.join("app_data.db")).unwrap();
        let count = |table: &str| {
            db.query_row(&format!("SELECT COUNT(*) FROM {table}"), [], |row| {
                row.get(0)
            })
            .unwrap()
        };
        (count("clients"), count("portraits"), count("videos"))
    }
}
