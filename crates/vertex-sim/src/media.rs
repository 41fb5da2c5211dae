//! The real work of an upload: decoding the image, the 200×200 preview, the QR code and the
//! NFT marker files. It costs real CPU, as in the service, so the stand-in is a realistic
//! load.

use std::io::Cursor;

use base64::Engine as _;
use image::{
    DynamicImage, GenericImageView as _, ImageFormat, Rgb, RgbImage, imageops::FilterType,
};

/// Size limits of the marker generator.
pub const MIN_SIDE: u32 = 480;
pub const MAX_SIDE: u32 = 4096;

/// Decodes an image, whatever its format.
pub fn decode(bytes: &[u8]) -> Option<DynamicImage> {
    image::ImageReader::new(Cursor::new(bytes))
        .with_guessed_format()
        .ok()?
        .decode()
        .ok()
}

/// Whether the marker generator accepts these dimensions.
pub fn acceptable(image: &DynamicImage) -> bool {
    let (width, height) = image.dimensions();
    (MIN_SIDE..=MAX_SIDE).contains(&width) && (MIN_SIDE..=MAX_SIDE).contains(&height)
}

/// A 200×200 JPEG: the image scaled to fit, centred on white.
pub fn preview_jpeg(image: &DynamicImage) -> Vec<u8> {
    let thumbnail = image.resize(200, 200, FilterType::Triangle).to_rgb8();
    let mut canvas = RgbImage::from_pixel(200, 200, Rgb([255, 255, 255]));
    let x = i64::from((200 - thumbnail.width()) / 2);
    let y = i64::from((200 - thumbnail.height()) / 2);
    image::imageops::overlay(&mut canvas, &thumbnail, x, y);
    let mut out = Vec::new();
    DynamicImage::ImageRgb8(canvas)
        .write_to(&mut Cursor::new(&mut out), ImageFormat::Jpeg)
        .expect("encoding to memory cannot fail");
    out
}

/// Base64 (standard, no data-URI prefix) of a PNG QR code encoding `text`.
pub fn qr_png_base64(text: &str) -> String {
    let code = qrcode::QrCode::new(text.as_bytes()).expect("a URL fits a QR code");
    let picture = code
        .render::<image::Luma<u8>>()
        .quiet_zone(true)
        .module_dimensions(4, 4)
        .build();
    let mut png = Vec::new();
    DynamicImage::ImageLuma8(picture)
        .write_to(&mut Cursor::new(&mut png), ImageFormat::Png)
        .expect("encoding to memory cannot fail");
    base64::engine::general_purpose::STANDARD.encode(png)
}

/// The three marker files (`.fset`, `.fset3`, `.iset`). `.fset` starts with `ARJS` like the
/// service's. The content is a grey-level pyramid with gradient energy per 8×8 cell; with
/// `extra_cost` the feature pass repeats per pixel like the service's pure-Python generator.
pub fn markers(image: &DynamicImage, extra_cost: bool) -> [Vec<u8>; 3] {
    let grey = image.to_luma8();
    let (width, height) = grey.dimensions();
    let passes = if extra_cost { 8 } else { 1 };
    let mut cells = Vec::new();
    for pass in 0..passes {
        cells.clear();
        for cy in (0..height.saturating_sub(1)).step_by(8) {
            for cx in (0..width.saturating_sub(1)).step_by(8) {
                let mut energy = 0u64;
                for y in cy..(cy + 8).min(height - 1) {
                    for x in cx..(cx + 8).min(width - 1) {
                        let here = i64::from(grey.get_pixel(x, y)[0]);
                        let dx = i64::from(grey.get_pixel(x + 1, y)[0]) - here;
                        let dy = i64::from(grey.get_pixel(x, y + 1)[0]) - here;
                        energy += (dx * dx + dy * dy) as u64;
                    }
                }
                cells.push(((energy >> 4) as u32).wrapping_add(pass));
            }
        }
    }
    let mut fset = b"ARJS".to_vec();
    fset.extend_from_slice(&width.to_le_bytes());
    fset.extend_from_slice(&height.to_le_bytes());
    fset.extend(cells.iter().flat_map(|c| c.to_le_bytes()));
    let fset3: Vec<u8> = cells.iter().map(|c| (c % 251) as u8).collect();
    let small = image::imageops::resize(
        &grey,
        (width / 4).max(1),
        (height / 4).max(1),
        FilterType::Triangle,
    );
    let mut iset = Vec::with_capacity(small.len() + 8);
    iset.extend_from_slice(&small.width().to_le_bytes());
    iset.extend_from_slice(&small.height().to_le_bytes());
    iset.extend_from_slice(small.as_raw());
    [fset, fset3, iset]
}
