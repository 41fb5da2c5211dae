//! [`EmbeddedFs`]: the embedded S3 server's store — s3s-fs, except that a GET body is read
//! in 1 MiB chunks. s3s-fs reads it in 4 KiB chunks (one blocking-pool hop each), which held
//! every client to about 110 MiB/s whatever it did (docs/benchmarks.md): the server, not the
//! client under test, was the ceiling. Everything else, and every header of a GET (ETag,
//! checksums, ranges), is s3s-fs's own.

use std::path::PathBuf;

use s3s::dto::{GetObjectInput, GetObjectOutput, StreamingBlob};
use s3s::{S3, S3Request, S3Response, S3Result};
use tokio::io::{AsyncReadExt as _, AsyncSeekExt as _};
use tokio_util::io::ReaderStream;

/// How much of an object one read of a GET takes.
const GET_CHUNK: usize = 1 << 20;

/// s3s-fs over `root`, with large reads for GET bodies.
pub(crate) struct EmbeddedFs {
    inner: s3s_fs::FileSystem,
    root: PathBuf,
}

impl EmbeddedFs {
    pub(crate) fn new(root: PathBuf) -> Result<EmbeddedFs, s3s_fs::Error> {
        Ok(EmbeddedFs {
            inner: s3s_fs::FileSystem::new(&root)?,
            root,
        })
    }
}

/// The first byte of a `Content-Range: bytes FIRST-LAST/SIZE`.
fn range_start(content_range: Option<&str>) -> u64 {
    content_range
        .and_then(|range| range.strip_prefix("bytes "))
        .and_then(|range| range.split_once('-'))
        .and_then(|(first, _)| first.parse().ok())
        .unwrap_or(0)
}

/// The `S3` impl: the methods s3s-fs implements passed on as they are, then `$own` (the
/// attribute must see the methods, so the macro writes the whole impl).
macro_rules! s3_over_s3s_fs {
    ($($method:ident: $input:ident => $output:ident;)* { $($own:tt)* }) => {
        #[async_trait::async_trait]
        impl S3 for EmbeddedFs {
            $(
                async fn $method(
                    &self,
                    req: S3Request<s3s::dto::$input>,
                ) -> S3Result<S3Response<s3s::dto::$output>> {
                    self.inner.$method(req).await
                }
            )*
            $($own)*
        }
    };
}

s3_over_s3s_fs! {
    create_bucket: CreateBucketInput => CreateBucketOutput;
    copy_object: CopyObjectInput => CopyObjectOutput;
    delete_bucket: DeleteBucketInput => DeleteBucketOutput;
    delete_object: DeleteObjectInput => DeleteObjectOutput;
    delete_objects: DeleteObjectsInput => DeleteObjectsOutput;
    get_bucket_location: GetBucketLocationInput => GetBucketLocationOutput;
    head_bucket: HeadBucketInput => HeadBucketOutput;
    head_object: HeadObjectInput => HeadObjectOutput;
    list_buckets: ListBucketsInput => ListBucketsOutput;
    list_objects: ListObjectsInput => ListObjectsOutput;
    list_objects_v2: ListObjectsV2Input => ListObjectsV2Output;
    put_object: PutObjectInput => PutObjectOutput;
    create_multipart_upload: CreateMultipartUploadInput => CreateMultipartUploadOutput;
    upload_part: UploadPartInput => UploadPartOutput;
    upload_part_copy: UploadPartCopyInput => UploadPartCopyOutput;
    list_parts: ListPartsInput => ListPartsOutput;
    complete_multipart_upload: CompleteMultipartUploadInput => CompleteMultipartUploadOutput;
    abort_multipart_upload: AbortMultipartUploadInput => AbortMultipartUploadOutput;
{
    /// s3s-fs answers (so the object exists, inside the root, and the headers are its
    /// own); the body it would stream is replaced by the same bytes read in large chunks.
    async fn get_object(
        &self,
        req: S3Request<GetObjectInput>,
    ) -> S3Result<S3Response<GetObjectOutput>> {
        let path = self.root.join(&req.input.bucket).join(&req.input.key);
        let mut response = self.inner.get_object(req).await?;
        let output = &mut response.output;
        let length = output
            .content_length
            .and_then(|length| u64::try_from(length).ok())
            .unwrap_or(0);
        let mut file = tokio::fs::File::open(&path)
            .await
            .map_err(|e| s3s::s3_error!(e, NoSuchKey))?;
        file.seek(std::io::SeekFrom::Start(range_start(
            output.content_range.as_deref(),
        )))
        .await
        .map_err(|e| s3s::s3_error!(e, InternalError))?;
        output.body = Some(StreamingBlob::wrap(ReaderStream::with_capacity(
            file.take(length),
            GET_CHUNK,
        )));
        Ok(response)
    }
}
}

#[cfg(test)]
mod tests {
    use super::range_start;

    #[test]
    fn content_ranges_give_their_first_byte() {
        assert_eq!(
            range_start(Some("bytes 8388608-16777215/20971520")),
            8_388_608
        );
        assert_eq!(range_start(None), 0);
        assert_eq!(range_start(Some("garbage")), 0);
    }
}
