//! [`AppState`]: what every handler shares — config, database, sessions, object store,
//! faults and metrics.

use std::path::PathBuf;
use std::sync::{Arc, Mutex, MutexGuard};

use bytes::Bytes;
use futures::TryStreamExt as _;
use object_store::path::Path as StorePath;
use object_store::{ObjectStore, ObjectStoreExt as _, PutPayload};

use crate::SimConfig;
use crate::auth::AuthState;
use crate::db::Db;
use crate::faults::FaultState;
use crate::metrics::Metrics;
use crate::problems::Problem;

/// Shared server state.
#[derive(Clone)]
pub struct AppState {
    pub config: Arc<SimConfig>,
    db: Arc<Mutex<Db>>,
    pub auth: Arc<AuthState>,
    pub store: Arc<dyn ObjectStore>,
    /// The absolute directory shown as the storage root in `image_path` and `video_path`.
    pub storage_root: PathBuf,
    pub base_url: String,
    pub faults: Arc<FaultState>,
    pub metrics: Arc<Metrics>,
}

impl AppState {
    pub fn new(
        config: SimConfig,
        db: Db,
        store: Arc<dyn ObjectStore>,
        storage_root: PathBuf,
        base_url: String,
    ) -> AppState {
        let faults = Arc::new(FaultState::new(config.faults.clone()));
        AppState {
            config: Arc::new(config),
            db: Arc::new(Mutex::new(db)),
            auth: Arc::new(AuthState::default()),
            store,
            storage_root,
            base_url,
            faults,
            metrics: Arc::new(Metrics::default()),
        }
    }

    /// The database; one statement at a time, like the service's global lock.
    pub fn db(&self) -> MutexGuard<'_, Db> {
        self.db
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner)
    }

    /// The absolute "filesystem" path the service reports for a storage key.
    pub fn path_of(&self, key: &str) -> String {
        self.storage_root.join(key).to_string_lossy().into_owned()
    }

    /// The storage key of a reported path (the part after `/storage/`).
    pub fn key_of(&self, path: &str) -> Option<String> {
        path.strip_prefix(&*self.storage_root.to_string_lossy())
            .map(|rest| rest.trim_start_matches('/').to_owned())
    }

    pub async fn put(&self, key: &str, bytes: Bytes) -> Result<(), Problem> {
        self.store
            .put(&StorePath::from(key), PutPayload::from(bytes))
            .await
            .map(|_| ())
            .map_err(|_| Problem::Internal)
    }

    pub async fn get(&self, key: &str) -> Option<Bytes> {
        let result = self.store.get(&StorePath::parse(key).ok()?).await.ok()?;
        result.bytes().await.ok()
    }

    /// Every object under `prefix` (all objects for `None`): `(key, size)`.
    pub async fn list(&self, prefix: Option<&str>) -> Vec<(String, u64)> {
        let prefix = prefix.map(StorePath::from);
        self.store
            .list(prefix.as_ref())
            .map_ok(|meta| (meta.location.to_string(), meta.size))
            .try_collect()
            .await
            .unwrap_or_default()
    }

    pub async fn delete_prefix(&self, prefix: &str) -> Result<(), Problem> {
        for (key, _) in self.list(Some(prefix)).await {
            self.store
                .delete(&StorePath::from(key))
                .await
                .map_err(|_| Problem::Internal)?;
        }
        Ok(())
    }
}
