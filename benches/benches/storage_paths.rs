//! Put and get of 1 MiB and 20 MiB objects on memory, a local directory and the embedded S3
//! server, and SHA-256 over 20 MiB (the integrity check's cost). `cargo bench -p
//! storage-benches`.

use std::sync::Arc;

use criterion::{BenchmarkId, Criterion, Throughput, criterion_group, criterion_main};
use object_store::path::Path as StorePath;
use object_store::{ObjectStore, ObjectStoreExt as _, PutPayload};
use sha2::Digest as _;
use storage_bench::{Backend, EmbeddedS3, payload};

const SIZES: [u64; 2] = [1 << 20, 20 << 20];

fn storage_paths(c: &mut Criterion) {
    let runtime = tokio::runtime::Runtime::new().expect("runtime");
    let dir = tempfile::tempdir().expect("temp dir");
    let embedded = runtime
        .block_on(EmbeddedS3::start(&dir.path().join("s3")))
        .expect("embedded S3");
    let local_url = format!("file://{}", dir.path().join("local").display());
    let backends: Vec<Backend> = ["memory://", local_url.as_str(), "s3+embedded://"]
        .into_iter()
        .map(|url| {
            runtime
                .block_on(Backend::open(url, Some(&embedded), None, false))
                .expect("backend")
        })
        .collect();

    for size in SIZES {
        let data = payload(size, 1, 0);
        let mut group = c.benchmark_group(format!("put_{}MiB", size >> 20));
        group.throughput(Throughput::Bytes(size)).sample_size(10);
        for backend in &backends {
            let store: Arc<dyn ObjectStore> = Arc::clone(&backend.store);
            let key = StorePath::from(format!("bench/put-{size}"));
            group.bench_with_input(
                BenchmarkId::from_parameter(&backend.name),
                &data,
                |b, data| {
                    b.to_async(&runtime).iter(|| {
                        let (store, key, data) = (Arc::clone(&store), key.clone(), data.clone());
                        async move { store.put(&key, PutPayload::from(data)).await.expect("put") }
                    });
                },
            );
        }
        group.finish();

        let mut group = c.benchmark_group(format!("get_{}MiB", size >> 20));
        group.throughput(Throughput::Bytes(size)).sample_size(10);
        for backend in &backends {
            let store: Arc<dyn ObjectStore> = Arc::clone(&backend.store);
            let key = StorePath::from(format!("bench/get-{size}"));
            runtime
                .block_on(store.put(&key, PutPayload::from(data.clone())))
                .expect("seed object");
            group.bench_function(BenchmarkId::from_parameter(&backend.name), |b| {
                b.to_async(&runtime).iter(|| {
                    let (store, key) = (Arc::clone(&store), key.clone());
                    async move {
                        store
                            .get(&key)
                            .await
                            .expect("get")
                            .bytes()
                            .await
                            .expect("body")
                    }
                });
            });
        }
        group.finish();
    }

    let data = payload(20 << 20, 1, 0);
    let mut group = c.benchmark_group("sha256");
    group
        .throughput(Throughput::Bytes(data.len() as u64))
        .sample_size(10);
    group.bench_function("20MiB", |b| b.iter(|| sha2::Sha256::digest(&data)));
    group.finish();
}

criterion_group!(benches, storage_paths);
criterion_main!(benches);
