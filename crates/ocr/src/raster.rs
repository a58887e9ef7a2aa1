//! PNG, JPEG and TIFF page images, decoded in Rust to 8-bit gray, with the
//! declared size checked before any pixel is allocated.

use std::io::Cursor;

use image::ImageDecoder;
use zeroize::{Zeroize, Zeroizing};

use crate::gray::Gray;
use crate::{Error, Limits};

/// A PNG or JPEG file (or a PDF's JPEG stream) as gray.
pub fn decode_png_jpeg(
    bytes: &[u8],
    format: image::ImageFormat,
    limits: &Limits,
) -> Result<Gray, Error> {
    let corrupt = |e: image::ImageError| match e {
        image::ImageError::Limits(_) => Error::TooLarge {
            width: 0,
            height: 0,
            reason: "the decoder's memory budget would be exceeded".into(),
        },
        image::ImageError::Unsupported(u) => Error::UnsupportedEncoding(u.to_string()),
        other => Error::Corrupt(other.to_string()),
    };
    let mut image_limits = image::Limits::default();
    image_limits.max_image_width = Some(limits.max_side);
    image_limits.max_image_height = Some(limits.max_side);
    image_limits.max_alloc = Some(limits.max_decoded_bytes);
    let image = match format {
        image::ImageFormat::Png => {
            // The header is read without limits (it allocates nothing),
            // so a refusal names the size declared; ours apply next.
            let mut decoder = image::codecs::png::PngDecoder::with_limits(
                Cursor::new(bytes),
                image::Limits::no_limits(),
            )
            .map_err(corrupt)?;
            check_declared(&mut decoder, limits, &image_limits)?;
            image::DynamicImage::from_decoder(decoder).map_err(corrupt)?
        }
        _ => {
            let mut decoder =
                image::codecs::jpeg::JpegDecoder::new(Cursor::new(bytes)).map_err(corrupt)?;
            check_declared(&mut decoder, limits, &image_limits)?;
            image::DynamicImage::from_decoder(decoder).map_err(corrupt)?
        }
    };
    let gray = to_gray(image);
    Ok(gray)
}

/// Refuses an image whose header declares more than the limits allow,
/// before its pixels are decoded.
fn check_declared(
    decoder: &mut impl ImageDecoder,
    limits: &Limits,
    image_limits: &image::Limits,
) -> Result<(), Error> {
    let (w, h) = decoder.dimensions();
    let bits = u64::from(decoder.color_type().bits_per_pixel());
    limits.check(u64::from(w), u64::from(h), bits)?;
    decoder
        .set_limits(image_limits.clone())
        .map_err(|e| Error::TooLarge {
            width: u64::from(w),
            height: u64::from(h),
            reason: e.to_string(),
        })
}

/// Converts to gray and wipes the decoded samples.
fn to_gray(mut image: image::DynamicImage) -> Gray {
    let luma = image.to_luma8();
    let (width, height) = luma.dimensions();
    let pixels = Zeroizing::new(luma.into_raw());
    wipe(&mut image);
    Gray {
        width,
        height,
        pixels,
        dpi: None,
    }
}

/// Overwrites a decoded image's samples with zeros.
pub fn wipe(image: &mut image::DynamicImage) {
    use image::DynamicImage as D;
    match image {
        D::ImageLuma8(b) => (**b).zeroize(),
        D::ImageLumaA8(b) => (**b).zeroize(),
        D::ImageRgb8(b) => (**b).zeroize(),
        D::ImageRgba8(b) => (**b).zeroize(),
        D::ImageLuma16(b) => (**b).zeroize(),
        D::ImageLumaA16(b) => (**b).zeroize(),
        D::ImageRgb16(b) => (**b).zeroize(),
        D::ImageRgba16(b) => (**b).zeroize(),
        D::ImageRgb32F(b) => (**b).zeroize(),
        D::ImageRgba32F(b) => (**b).zeroize(),
        _ => {}
    }
}

fn tiff_decoder<'a>(
    bytes: &'a [u8],
    limits: &Limits,
) -> Result<tiff::decoder::Decoder<Cursor<&'a [u8]>>, Error> {
    let mut tiff_limits = tiff::decoder::Limits::default();
    tiff_limits.decoding_buffer_size =
        usize::try_from(limits.max_decoded_bytes).unwrap_or(usize::MAX);
    tiff_limits.intermediate_buffer_size =
        usize::try_from(limits.max_decoded_bytes).unwrap_or(usize::MAX);
    tiff_limits.ifd_value_size = 1 << 20;
    Ok(tiff::decoder::Decoder::new(Cursor::new(bytes))
        .map_err(tiff_error)?
        .with_limits(tiff_limits))
}

fn tiff_error(e: tiff::TiffError) -> Error {
    match e {
        tiff::TiffError::LimitsExceeded => Error::TooLarge {
            width: 0,
            height: 0,
            reason: "the TIFF decoder's memory budget would be exceeded".into(),
        },
        tiff::TiffError::UnsupportedError(u) => Error::UnsupportedEncoding(format!("TIFF: {u}")),
        other => Error::Corrupt(format!("TIFF: {other}")),
    }
}

/// How many pages (images) a TIFF file has.
pub fn tiff_page_count(bytes: &[u8], limits: &Limits) -> Result<usize, Error> {
    let mut decoder = tiff_decoder(bytes, limits)?;
    let mut pages = 1;
    while decoder.more_images() {
        if pages >= limits.max_pages {
            return Err(Error::TooManyPages {
                max: limits.max_pages,
            });
        }
        decoder.next_image().map_err(tiff_error)?;
        pages += 1;
    }
    Ok(pages)
}

/// Page `index` of a TIFF file as gray.
pub fn decode_tiff_page(bytes: &[u8], index: usize, limits: &Limits) -> Result<Gray, Error> {
    use tiff::ColorType as C;
    let mut decoder = tiff_decoder(bytes, limits)?;
    decoder.seek_to_image(index).map_err(tiff_error)?;
    let (w, h) = decoder.dimensions().map_err(tiff_error)?;
    let color = decoder.colortype().map_err(tiff_error)?;
    let (components, bits) = match color {
        C::Gray(b) => (1, b),
        C::GrayA(b) => (2, b),
        C::RGB(b) => (3, b),
        C::RGBA(b) => (4, b),
        C::CMYK(b) => (4, b),
        other => {
            return Err(Error::UnsupportedEncoding(format!(
                "TIFF with {other:?} pixels"
            )));
        }
    };
    if !matches!(bits, 1 | 2 | 4 | 8 | 16) {
        return Err(Error::UnsupportedEncoding(format!(
            "TIFF with {bits}-bit samples"
        )));
    }
    limits.check(
        u64::from(w),
        u64::from(h),
        u64::from(components) * u64::from(bits),
    )?;
    let dpi = tiff_dpi(&mut decoder);
    let samples = match decoder.read_image().map_err(tiff_error)? {
        tiff::decoder::DecodingResult::U8(v) => Samples::U8(Zeroizing::new(v)),
        tiff::decoder::DecodingResult::U16(v) => Samples::U16(Zeroizing::new(v)),
        _ => {
            return Err(Error::UnsupportedEncoding(
                "TIFF with floating-point samples".into(),
            ));
        }
    };
    let cmyk = matches!(color, C::CMYK(_));
    let mut gray = match samples {
        Samples::U8(data) => {
            let layout = SampleLayout {
                width: w,
                height: h,
                components,
                bits,
            };
            samples_to_gray(&data, &layout, &|s: &[u16], max: u16| {
                tiff_pixel(s, max, components, cmyk)
            })?
        }
        Samples::U16(data) => {
            let mut g = Gray::white(w, h);
            let n = components as usize;
            if data.len() < g.pixels.len() * n {
                return Err(Error::Corrupt("TIFF: the image data is cut short".into()));
            }
            for (i, px) in g.pixels.iter_mut().enumerate() {
                let s: Vec<u16> = data[i * n..(i + 1) * n].to_vec();
                *px = tiff_pixel(&s, u16::MAX, components, cmyk);
            }
            g
        }
    };
    gray.dpi = dpi;
    Ok(gray)
}

enum Samples {
    U8(Zeroizing<Vec<u8>>),
    U16(Zeroizing<Vec<u16>>),
}

/// One TIFF pixel (BlackIsZero after the decoder's own WhiteIsZero
/// inversion) as gray.
fn tiff_pixel(s: &[u16], max: u16, components: u8, cmyk: bool) -> u8 {
    let scale = |v: u16| (u32::from(v) * 255 / u32::from(max.max(1))) as u8;
    match (components, cmyk) {
        (1 | 2, _) => scale(s[0]),
        (_, true) => cmyk_to_gray(scale(s[0]), scale(s[1]), scale(s[2]), scale(s[3])),
        _ => luma(scale(s[0]), scale(s[1]), scale(s[2])),
    }
}

fn tiff_dpi(decoder: &mut tiff::decoder::Decoder<Cursor<&[u8]>>) -> Option<u32> {
    let x = match decoder.find_tag(tiff::tags::Tag::XResolution).ok()?? {
        tiff::decoder::ifd::Value::Rational(n, d) if d > 0 => f64::from(n) / f64::from(d),
        other => other.into_f64().ok()?,
    };
    let unit = decoder
        .find_tag(tiff::tags::Tag::ResolutionUnit)
        .ok()
        .flatten()
        .and_then(|v| v.into_u32().ok())
        .unwrap_or(2);
    let per_inch = match unit {
        2 => x,
        3 => x * 2.54,
        _ => return None,
    };
    plausible_dpi(per_inch)
}

/// A resolution Tesseract can use, or `None` (it then estimates one).
pub fn plausible_dpi(dpi: f64) -> Option<u32> {
    (50.0..=2400.0).contains(&dpi).then(|| dpi.round() as u32)
}

/// Rec. 601 luma of an RGB pixel.
pub fn luma(r: u8, g: u8, b: u8) -> u8 {
    ((u32::from(r) * 299 + u32::from(g) * 587 + u32::from(b) * 114 + 500) / 1000) as u8
}

/// A CMYK pixel's gray (naive: ink subtracts from white).
pub fn cmyk_to_gray(c: u8, m: u8, y: u8, k: u8) -> u8 {
    let inv = |v: u8| 255 - u32::from(v);
    let r = inv(c) * inv(k) / 255;
    let g = inv(m) * inv(k) / 255;
    let b = inv(y) * inv(k) / 255;
    luma(r as u8, g as u8, b as u8)
}

/// How samples are packed: rows start on a byte boundary, components are
/// interleaved, most significant bit first (TIFF and PDF alike).
pub struct SampleLayout {
    pub width: u32,
    pub height: u32,
    pub components: u8,
    pub bits: u8,
}

impl SampleLayout {
    pub fn row_bytes(&self) -> usize {
        (self.width as usize * self.components as usize * self.bits as usize).div_ceil(8)
    }
}

/// Turns packed samples into gray, one pixel at a time through `pixel`
/// (its samples, and the largest sample value). Data shorter than the
/// image is an error; the caller pads where being lenient is right.
pub fn samples_to_gray(
    data: &[u8],
    layout: &SampleLayout,
    pixel: &dyn Fn(&[u16], u16) -> u8,
) -> Result<Gray, Error> {
    let row_bytes = layout.row_bytes();
    let (w, h) = (layout.width as usize, layout.height as usize);
    if data.len() < row_bytes * h {
        return Err(Error::Corrupt("the image data is cut short".into()));
    }
    let mut gray = Gray::white(layout.width, layout.height);
    let n = layout.components as usize;
    let bits = layout.bits as usize;
    let max = if bits == 16 {
        u16::MAX
    } else {
        (1u16 << bits) - 1
    };
    // A table for the common one-component cases (all 256 byte values, or
    // all 2^bits sample values), so most pages need one lookup per pixel.
    let mut samples = vec![0u16; n];
    for y in 0..h {
        let row = &data[y * row_bytes..(y + 1) * row_bytes];
        let out = &mut gray.pixels[y * w..(y + 1) * w];
        if n == 1 && bits == 8 {
            let table: Vec<u8> = (0..=255u16).map(|v| pixel(&[v], 255)).collect();
            for (o, &v) in out.iter_mut().zip(row) {
                *o = table[v as usize];
            }
            continue;
        }
        if n == 1 && bits < 8 {
            let table: Vec<u8> = (0..=max).map(|v| pixel(&[v], max)).collect();
            for (x, o) in out.iter_mut().enumerate() {
                let bit = x * bits;
                let v = (row[bit / 8] >> (8 - bits - bit % 8)) & (max as u8);
                *o = table[v as usize];
            }
            continue;
        }
        for (x, o) in out.iter_mut().enumerate() {
            for (c, s) in samples.iter_mut().enumerate() {
                let i = x * n + c;
                *s = match bits {
                    8 => u16::from(row[i]),
                    16 => u16::from_be_bytes([row[2 * i], row[2 * i + 1]]),
                    _ => {
                        let bit = i * bits;
                        u16::from((row[bit / 8] >> (8 - bits - bit % 8)) & (max as u8))
                    }
                };
            }
            *o = pixel(&samples, max);
        }
    }
    Ok(gray)
}
