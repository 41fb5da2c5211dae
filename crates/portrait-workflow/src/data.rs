//! Test data: valid JPEG portraits (800×600 by default, distinct per order), video payloads
//! (tiny or sized, reproducible from a seed), and names and phones unique per run so
//! concurrent runs never collide or reuse another run's clients.

use std::io::Cursor;
use std::sync::atomic::{AtomicU64, Ordering};

use bytes::Bytes;
use image::{Rgb, RgbImage};

use crate::client::Upload;

/// Per-run test data.
#[derive(Debug)]
pub struct TestData {
    run_tag: u64,
    counter: AtomicU64,
}

impl TestData {
    /// Data unique to a run; `run_id` is hashed into every phone and name.
    pub fn new(run_id: &str) -> TestData {
        use std::hash::{BuildHasher as _, Hasher as _};
        let mut hasher = std::collections::hash_map::RandomState::new().build_hasher();
        hasher.write(run_id.as_bytes());
        TestData {
            run_tag: hasher.finish() % 1_000_000,
            counter: AtomicU64::new(0),
        }
    }

    fn next(&self) -> u64 {
        self.counter.fetch_add(1, Ordering::Relaxed)
    }

    /// A phone no other run uses: [`TestData::phone_tag`] + 4 digits of a counter.
    pub fn phone(&self) -> String {
        format!("{}{:04}", self.phone_tag(), self.next() % 10_000)
    }

    /// The start every phone of this data shares: `+7999` + 6 digits of the run.
    pub fn phone_tag(&self) -> String {
        format!("+7999{:06}", self.run_tag)
    }

    /// A client name tagged with the run.
    pub fn name(&self, index: usize) -> String {
        format!("Тестовый Клиент {:06}-{index}", self.run_tag)
    }

    /// A valid 800×600 JPEG, different for each call.
    pub fn portrait(&self) -> Upload {
        self.portrait_sized(800, 600)
    }

    /// A valid JPEG of the given size (the service accepts 480–4096 px per side).
    pub fn portrait_sized(&self, width: u32, height: u32) -> Upload {
        let seed = self.next();
        Upload {
            bytes: Bytes::from(jpeg(width, height, seed)),
            filename: format!("portrait_{seed}.jpg"),
            content_type: "image/jpeg".to_owned(),
        }
    }

    /// A valid 800×600 JPEG of about `size_bytes` (never less than the bare image): the
    /// image followed by comment (COM) segments of pseudo-random bytes, which every decoder
    /// skips. It stands in for a high-resolution photo in upload-size tests.
    pub fn portrait_of_size(&self, size_bytes: usize) -> Upload {
        let seed = self.next();
        Upload {
            bytes: Bytes::from(padded_jpeg(&jpeg(800, 600, seed), size_bytes, seed)),
            filename: format!("portrait_{seed}_{size_bytes}.jpg"),
            content_type: "image/jpeg".to_owned(),
        }
    }

    /// A tiny "video" (the service never decodes videos).
    pub fn small_video(&self) -> Upload {
        let seed = self.next();
        Upload {
            bytes: Bytes::from(format!("vertex-perf test video {:06}-{seed}", self.run_tag)),
            filename: format!("video_{seed}.mp4"),
            content_type: "video/mp4".to_owned(),
        }
    }

    /// A video payload of `size_bytes` pseudo-random bytes, reproducible from `seed`.
    pub fn sized_video(size_bytes: usize, seed: u64) -> Upload {
        Upload {
            bytes: Bytes::from(pseudo_random(size_bytes, seed)),
            filename: format!("video_{size_bytes}_{seed}.mp4"),
            content_type: "video/mp4".to_owned(),
        }
    }
}

/// A JPEG with a seed-coloured gradient and a simple face, so each order's image differs.
pub fn jpeg(width: u32, height: u32, seed: u64) -> Vec<u8> {
    let tint = [
        (seed * 67 % 200) as u8 + 30,
        (seed * 131 % 200) as u8 + 30,
        (seed * 197 % 200) as u8 + 30,
    ];
    let (cx, cy, radius) = (
        f64::from(width) / 2.0,
        f64::from(height) / 2.0,
        f64::from(width.min(height)) / 3.0,
    );
    let image = RgbImage::from_fn(width, height, |x, y| {
        let (dx, dy) = (f64::from(x) - cx, f64::from(y) - cy);
        if dx * dx + dy * dy < radius * radius {
            Rgb(tint)
        } else {
            Rgb([
                (x * 255 / width) as u8,
                (y * 255 / height) as u8,
                255 - tint[0],
            ])
        }
    });
    let mut out = Vec::new();
    image::DynamicImage::ImageRgb8(image)
        .write_to(&mut Cursor::new(&mut out), image::ImageFormat::Jpeg)
        .expect("encoding to memory cannot fail");
    out
}

/// Inserts COM segments right after the SOI marker until the file reaches `size_bytes`.
fn padded_jpeg(image: &[u8], size_bytes: usize, seed: u64) -> Vec<u8> {
    const MAX_SEGMENT_PAYLOAD: usize = 65_533;
    let mut missing = size_bytes.saturating_sub(image.len());
    let mut out = Vec::with_capacity(size_bytes.max(image.len()));
    out.extend_from_slice(&image[..2]);
    let filler = pseudo_random(missing, seed);
    let mut offset = 0;
    while missing > 4 {
        let payload = (missing - 4).min(MAX_SEGMENT_PAYLOAD);
        out.extend_from_slice(&[0xFF, 0xFE]);
        out.extend_from_slice(&u16::try_from(payload + 2).expect("bounded").to_be_bytes());
        out.extend_from_slice(&filler[offset..offset + payload]);
        offset += payload;
        missing -= payload + 4;
    }
    out.extend_from_slice(&image[2..]);
    out
}

/// `len` bytes from a xorshift generator seeded with `seed` (fast, reproducible, and not
/// compressible, like video).
pub fn pseudo_random(len: usize, seed: u64) -> Vec<u8> {
    let mut state = seed.wrapping_mul(0x9E37_79B9_7F4A_7C15) | 1;
    let mut out = Vec::with_capacity(len + 8);
    while out.len() < len {
        state ^= state << 13;
        state ^= state >> 7;
        state ^= state << 17;
        out.extend_from_slice(&state.to_le_bytes());
    }
    out.truncate(len);
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn padded_portrait_has_the_size_and_still_decodes() {
        let data = TestData::new("padded");
        let upload = data.portrait_of_size(3 * 1024 * 1024);
        let size = upload.bytes.len();
        assert!(
            (3 * 1024 * 1024 - 4..=3 * 1024 * 1024).contains(&size),
            "{size}"
        );
        let image = image::load_from_memory(&upload.bytes).expect("decodes");
        assert_eq!((image.width(), image.height()), (800, 600));
    }

    #[test]
    fn phones_are_unique_and_images_valid() {
        let data = TestData::new("run-a");
        let phones: std::collections::HashSet<String> = (0..100).map(|_| data.phone()).collect();
        assert_eq!(phones.len(), 100);
        assert!(
            phones
                .iter()
                .all(|p| p.starts_with("+7999") && p.len() == 15)
        );
        let portrait = data.portrait();
        let decoded = image::load_from_memory(&portrait.bytes).unwrap();
        assert_eq!((decoded.width(), decoded.height()), (800, 600));
        assert_ne!(data.portrait().bytes, portrait.bytes, "distinct per order");
        assert_eq!(pseudo_random(1000, 7), pseudo_random(1000, 7));
        assert_eq!(TestData::sized_video(1 << 20, 1).bytes.len(), 1 << 20);
    }
}
