//! [`ServiceStore`]: the service as an object store, round trip against vertex-sim.

use bytes::Bytes;
use futures::TryStreamExt as _;
use load_engine::LoadOptions;
use object_store::path::Path;
use object_store::{ObjectStore as _, ObjectStoreExt as _};
use portrait_workflow::{ServiceStore, pseudo_random};

use crate::sim::TestSim;

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn put_get_head_list_delete_through_the_service() {
    let sim = TestSim::start(|_| {}).await;
    let store = ServiceStore::new(sim.logged_in().await, LoadOptions::default(), "store-test");
    let payload = Bytes::from(pseudo_random(300_000, 42));
    let key = Path::from("run/object-1");
    store.put(&key, payload.clone().into()).await.unwrap();
    assert_eq!(sim.rows(), (1, 1, 1), "one order per object");

    let body = store.get(&key).await.unwrap().bytes().await.unwrap();
    assert_eq!(body, payload, "the stored video comes back byte for byte");
    assert_eq!(store.head(&key).await.unwrap().size, 300_000);
    let listed: Vec<_> = store
        .list(Some(&Path::from("run")))
        .try_collect()
        .await
        .unwrap();
    assert_eq!(listed.len(), 1);
    assert!(
        store
            .list(Some(&Path::from("other")))
            .try_collect::<Vec<_>>()
            .await
            .unwrap()
            .is_empty()
    );

    let missing = store.get(&Path::from("run/never-put")).await.unwrap_err();
    assert!(
        matches!(missing, object_store::Error::NotFound { .. }),
        "{missing}"
    );
    assert!(store.copy(&key, &Path::from("run/copy")).await.is_err());

    store.delete(&key).await.unwrap();
    assert_eq!(sim.rows(), (0, 0, 0), "delete removes the order");
    assert!(
        store
            .list(None)
            .try_collect::<Vec<_>>()
            .await
            .unwrap()
            .is_empty()
    );
}
