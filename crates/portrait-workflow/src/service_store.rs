//! [`ServiceStore`]: the Vertex AR service seen as an object store, so storage-bench can
//! measure "through the service" next to local disk and S3 without depending on this crate.
//!
//! - put: `POST /orders/create` with a small valid portrait and the object as the video;
//! - get: `GET /storage/...` of the stored video (the whole body: the service has no ranges);
//! - head: `GET /portraits/{id}/details` (the service's metadata of the object);
//! - delete: the order's video, portrait and client, as the workflow's cleanup does;
//! - list: the objects this store created and has not deleted (the service cannot list by
//!   key, and nothing else may be deleted by a benchmark).
//!
//! Multipart uploads, copies and delimiter listings are not supported.

use std::collections::BTreeMap;
use std::fmt;
use std::sync::{Arc, Mutex};

use bytes::Bytes;
use futures::StreamExt as _;
use futures::stream::BoxStream;
use load_engine::LoadOptions;
use object_store::path::Path;
use object_store::{
    CopyOptions, GetOptions, GetResult, GetResultPayload, ListResult, MultipartUpload, ObjectMeta,
    ObjectStore, PutMultipartOptions, PutOptions, PutPayload, PutResult, Result,
};

use crate::ServiceTarget;
use crate::workflow::delete_created;
use crate::{ApiError, Order, TestData, Upload, VertexClient};

const STORE: &str = "vertex";

/// The service as an [`ObjectStore`] (see the module documentation for the mapping).
pub struct ServiceStore {
    service: Service,
    data: Arc<TestData>,
}

/// The target, the options and the objects created, shared with delete streams (which
/// outlive any borrow of the store).
#[derive(Clone)]
struct Service {
    target: ServiceTarget,
    options: LoadOptions,
    objects: Arc<Mutex<BTreeMap<Path, Stored>>>,
}

#[derive(Clone)]
struct Stored {
    order: Order,
    size: u64,
    last_modified: chrono::DateTime<chrono::Utc>,
}

impl ServiceStore {
    /// A store writing through `target` (logged in) with `options` for every request.
    pub fn new(target: ServiceTarget, options: LoadOptions, run_id: &str) -> ServiceStore {
        let data = Arc::new(TestData::new(run_id));
        target.ledger.watch(&data);
        ServiceStore {
            service: Service {
                target,
                options,
                objects: Arc::new(Mutex::new(BTreeMap::new())),
            },
            data,
        }
    }
}

impl Service {
    fn stored(&self, location: &Path) -> Result<Stored> {
        self.objects
            .lock()
            .expect("not poisoned")
            .get(location)
            .cloned()
            .ok_or_else(|| object_store::Error::NotFound {
                path: location.to_string(),
                source: "not created through this store".into(),
            })
    }

    /// Runs one API call through a fresh instrumented client.
    async fn call<T, F>(&self, call: F) -> Result<T>
    where
        T: Send + 'static,
        F: for<'c> Fn(VertexClient<'c>) -> load_engine::BoxFuture<'c, Result<T, ApiError>>
            + Send
            + Sync
            + 'static,
    {
        let mut client = load_engine::Client::standalone(&self.options).map_err(generic)?;
        call(self.target.api(&mut client)).await.map_err(generic)
    }
}

fn generic(error: impl std::error::Error + Send + Sync + 'static) -> object_store::Error {
    object_store::Error::Generic {
        store: STORE,
        source: Box::new(error),
    }
}

fn unsupported(what: &str) -> object_store::Error {
    object_store::Error::NotImplemented {
        operation: format!("{what} through the Vertex AR service"),
        implementer: STORE.to_owned(),
    }
}

impl fmt::Debug for ServiceStore {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("ServiceStore")
            .field(
                "base_url",
                &report_model::redact_url(&self.service.target.base_url),
            )
            .finish_non_exhaustive()
    }
}

impl fmt::Display for ServiceStore {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(
            f,
            "ServiceStore({})",
            report_model::redact_url(&self.service.target.base_url)
        )
    }
}

#[async_trait::async_trait]
impl ObjectStore for ServiceStore {
    async fn put_opts(
        &self,
        location: &Path,
        payload: PutPayload,
        _opts: PutOptions,
    ) -> Result<PutResult> {
        let video = Upload {
            bytes: Bytes::from(payload),
            filename: "object.mp4".to_owned(),
            content_type: "video/mp4".to_owned(),
        };
        let size = video.bytes.len() as u64;
        let (phone, name, portrait) = (self.data.phone(), self.data.name(0), self.data.portrait());
        let order = self
            .service
            .call(move |mut api| {
                let (phone, name, portrait, video) =
                    (phone.clone(), name.clone(), portrait.clone(), video.clone());
                Box::pin(async move { api.create_order(&phone, &name, &portrait, &video).await })
            })
            .await?;
        self.service.objects.lock().expect("not poisoned").insert(
            location.clone(),
            Stored {
                order,
                size,
                last_modified: chrono::Utc::now(),
            },
        );
        Ok(PutResult {
            e_tag: None,
            version: None,
            extensions: http::Extensions::default(),
        })
    }

    async fn put_multipart_opts(
        &self,
        _location: &Path,
        _opts: PutMultipartOptions,
    ) -> Result<Box<dyn MultipartUpload>> {
        Err(unsupported("multipart upload"))
    }

    async fn get_opts(&self, location: &Path, options: GetOptions) -> Result<GetResult> {
        let stored = self.service.stored(location)?;
        let meta = ObjectMeta {
            location: location.clone(),
            last_modified: stored.last_modified,
            size: stored.size,
            e_tag: None,
            version: None,
        };
        let body = if options.head {
            let portrait_id = stored.order.portrait.id.clone();
            self.service
                .call(move |mut api| {
                    let portrait_id = portrait_id.clone();
                    Box::pin(async move { api.portrait_details(&portrait_id).await.map(|_| ()) })
                })
                .await?;
            Bytes::new()
        } else {
            let video_path = stored.order.video.video_path.clone();
            self.service
                .call(move |mut api| {
                    let video_path = video_path.clone();
                    Box::pin(async move { api.download(&video_path).await })
                })
                .await?
        };
        if options.range.is_some() {
            return Err(unsupported("a ranged read"));
        }
        let range = 0..body.len() as u64;
        Ok(GetResult {
            payload: GetResultPayload::Stream(
                futures::stream::once(async move { Ok(body) }).boxed(),
            ),
            meta,
            range,
            attributes: object_store::Attributes::default(),
            extensions: http::Extensions::default(),
        })
    }

    fn delete_stream(
        &self,
        locations: BoxStream<'static, Result<Path>>,
    ) -> BoxStream<'static, Result<Path>> {
        let service = self.service.clone();
        locations
            .then(move |location| {
                let service = service.clone();
                async move { service.delete(location?).await }
            })
            .boxed()
    }

    fn list(&self, prefix: Option<&Path>) -> BoxStream<'static, Result<ObjectMeta>> {
        let metas: Vec<Result<ObjectMeta>> = self
            .service
            .objects
            .lock()
            .expect("not poisoned")
            .iter()
            .filter(|(location, _)| prefix.is_none_or(|p| location.prefix_matches(p)))
            .map(|(location, stored)| {
                Ok(ObjectMeta {
                    location: location.clone(),
                    last_modified: stored.last_modified,
                    size: stored.size,
                    e_tag: None,
                    version: None,
                })
            })
            .collect();
        futures::stream::iter(metas).boxed()
    }

    async fn list_with_delimiter(&self, _prefix: Option<&Path>) -> Result<ListResult> {
        Err(unsupported("a delimiter listing"))
    }

    async fn copy_opts(&self, _from: &Path, _to: &Path, _options: CopyOptions) -> Result<()> {
        Err(unsupported("copy"))
    }
}

impl Service {
    async fn delete(&self, location: Path) -> Result<Path> {
        let Some(stored) = self
            .objects
            .lock()
            .expect("not poisoned")
            .get(&location)
            .cloned()
        else {
            return Ok(location);
        };
        let mut client = load_engine::Client::standalone(&self.options).map_err(generic)?;
        let mut api = self.target.api(&mut client);
        let summary =
            delete_created(&mut api, &[stored.order], &TestData::new("storage-cleanup")).await;
        if let Some(leftover) = summary.leftovers.first() {
            return Err(object_store::Error::Generic {
                store: STORE,
                source: leftover.clone().into(),
            });
        }
        self.objects.lock().expect("not poisoned").remove(&location);
        Ok(location)
    }
}
