//! The service's JSON shapes as the contract (`vertex-ar-api.md`) defines them, and how a
//! stored file's server path maps to its public `/storage/...` URL.

use bytes::Bytes;
use serde::Deserialize;

use super::MultipartForm;

/// `ClientResponse`.
#[derive(Debug, Clone, PartialEq, Eq, Deserialize)]
pub struct ClientRecord {
    /// UUID.
    pub id: String,
    /// Phone as stored.
    pub phone: String,
    /// Name as stored.
    pub name: String,
    /// `YYYY-MM-DD HH:MM:SS`, UTC.
    pub created_at: String,
}

/// `PortraitResponse`.
#[derive(Debug, Clone, PartialEq, Eq, Deserialize)]
pub struct Portrait {
    /// UUID.
    pub id: String,
    /// Owner.
    pub client_id: String,
    /// `{BASE_URL}/portrait/{id}`.
    pub permanent_link: String,
    /// PNG QR code, base64.
    pub qr_code_base64: Option<String>,
    /// Absolute server path of the image.
    pub image_path: String,
    /// Public page views.
    pub view_count: i64,
    /// Creation time.
    pub created_at: String,
}

/// `VideoResponse`.
#[derive(Debug, Clone, PartialEq, Eq, Deserialize)]
pub struct Video {
    /// UUID.
    pub id: String,
    /// Portrait it belongs to.
    pub portrait_id: String,
    /// Absolute server path of the file.
    pub video_path: String,
    /// Whether it is the portrait's active video.
    pub is_active: bool,
    /// Creation time.
    pub created_at: String,
}

/// `OrderResponse`.
#[derive(Debug, Clone, PartialEq, Eq, Deserialize)]
pub struct Order {
    /// The (possibly reused) client.
    pub client: ClientRecord,
    /// The new portrait.
    pub portrait: Portrait,
    /// Its first, active video.
    pub video: Video,
}

/// `/portraits/{id}/details`.
#[derive(Debug, Clone, PartialEq, Eq, Deserialize)]
pub struct PortraitDetails {
    /// The portrait.
    pub portrait: Portrait,
    /// Its client.
    pub client: ClientRecord,
    /// Its videos, newest first.
    pub videos: Vec<Video>,
}

/// A file to upload: bytes, filename and content type (all three are required by the service).
#[derive(Debug, Clone)]
pub struct Upload {
    /// The bytes.
    pub bytes: Bytes,
    /// `filename=` of the part.
    pub filename: String,
    /// The part's `Content-Type`.
    pub content_type: String,
}

impl Upload {
    /// Adds this file to `form` as the part `field`, with its filename and content type.
    pub fn attach(&self, form: MultipartForm, field: &str) -> MultipartForm {
        form.file(
            field,
            &self.filename,
            &self.content_type,
            self.bytes.clone(),
        )
    }
}

/// The top-level folders of the service's storage root (its filesystem layout).
const STORAGE_FOLDERS: [&str; 4] = ["clients/", "nft_markers/", "ar_content/", "nft_cache/"];

/// The public URL path of a server file path: `/storage/` plus the path below the storage
/// root. The service reports absolute paths, and the folder it is installed in may itself
/// be called `storage` (`/srv/storage/vertex-ar/storage/clients/…`), so the root is the
/// last `/storage/` followed by one of the root's own folders, or failing that the last
/// `/storage/`.
pub fn storage_url_path(server_path: &str) -> Option<String> {
    const ROOT: &str = "/storage/";
    let roots = server_path
        .match_indices(ROOT)
        .map(|(at, _)| at + ROOT.len());
    let below_root = roots
        .clone()
        .filter(|&at| {
            STORAGE_FOLDERS
                .iter()
                .any(|folder| server_path[at..].starts_with(folder))
        })
        .last()
        .or_else(|| roots.last())?;
    Some(format!("{ROOT}{}", &server_path[below_root..]))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn storage_paths_map_to_public_urls() {
        assert_eq!(
            storage_url_path("/srv/vertex-ar/storage/clients/a/b/b.jpg").as_deref(),
            Some("/storage/clients/a/b/b.jpg")
        );
        assert_eq!(storage_url_path("/elsewhere/b.jpg"), None);
    }

    #[test]
    fn an_install_folder_named_storage_is_not_the_storage_root() {
        assert_eq!(
            storage_url_path("/storage/vertex-ar/storage/clients/a/b/b.jpg").as_deref(),
            Some("/storage/clients/a/b/b.jpg")
        );
        assert_eq!(
            storage_url_path("/srv/storage/apps/vertex-ar/storage/nft_markers/p/p.fset").as_deref(),
            Some("/storage/nft_markers/p/p.fset")
        );
        // A user called `storage` below the root does not move the root.
        assert_eq!(
            storage_url_path("/opt/storage/vertex-ar/storage/ar_content/storage/c1/c1.jpg")
                .as_deref(),
            Some("/storage/ar_content/storage/c1/c1.jpg")
        );
        // An unknown layout falls back to the last `/storage/`.
        assert_eq!(
            storage_url_path("/storage/app/storage/other/x.jpg").as_deref(),
            Some("/storage/other/x.jpg")
        );
    }
}
