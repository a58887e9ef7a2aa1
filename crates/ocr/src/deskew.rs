//! Straightening pages scanned askew.
//!
//! Tesseract 5.3 reads a page tilted by 1–2 degrees, but a page of a few
//! lines tilted by 3 degrees or more can come out as an empty page, so the
//! skew is measured and corrected here (Leptonica's `pixDeskew` is not
//! reachable without `unsafe`, which the workspace forbids). The method is
//! Leptonica's: on a reduced, thresholded copy, the angle whose projection
//! profile has the largest differential square sum (text lines make sharp
//! peaks when the projection runs along them). Lines that run vertically
//! (a page turned by 90 degrees, whose orientation Tesseract corrects) are
//! measured with the column profile, so they are straightened too.

use crate::gray::Gray;

/// The largest skew looked for, in degrees.
const MAX_DEGREES: f32 = 10.0;
/// Skews below this are left alone (resampling costs more than it helps).
const MIN_DEGREES: f32 = 0.2;
/// The reduced copy's longest side.
const REDUCED: u32 = 1000;

/// The image straightened, and the angle it was turned by in degrees
/// (clockwise on screen positive).
pub fn deskew(gray: Gray) -> (Gray, f32) {
    let angle = measure(&gray);
    if angle.abs() < MIN_DEGREES {
        return (gray, 0.0);
    }
    (rotate(&gray, angle), angle)
}

/// The skew of the text on the page, in degrees: the image is to be turned
/// by this much (clockwise on screen positive) to straighten it. 0 when no
/// clear angle stands out.
pub fn measure(gray: &Gray) -> f32 {
    let factor = gray.width.max(gray.height).div_ceil(REDUCED).max(1) as usize;
    let (w, h) = (gray.width as usize, gray.height as usize);
    let (sw, sh) = (w / factor, h / factor);
    if sw < 20 || sh < 20 {
        return 0.0;
    }
    // Dark points of the reduced copy (the darkest pixel of each cell, so
    // thin strokes survive the reduction).
    let mut points: Vec<(f32, f32)> = Vec::new();
    for sy in 0..sh {
        for sx in 0..sw {
            let mut darkest = 255u8;
            for y in sy * factor..(sy + 1) * factor {
                let row = &gray.pixels[y * w + sx * factor..y * w + (sx + 1) * factor];
                darkest = darkest.min(row.iter().copied().min().unwrap_or(255));
            }
            if darkest < 128 {
                points.push((sx as f32 - sw as f32 / 2.0, sy as f32 - sh as f32 / 2.0));
            }
        }
    }
    // Nothing to measure on an empty page; a page that is mostly dark is a
    // photograph or an inverted scan, where profiles mean little.
    if points.len() < 50 || points.len() > sw * sh / 2 {
        return 0.0;
    }
    let bins = sw + sh + 2;
    let score = |degrees: f32, vertical: bool| -> f64 {
        let (s, c) = degrees.to_radians().sin_cos();
        let mut profile = vec![0u32; 2 * bins];
        for &(x, y) in &points {
            // The coordinate across the lines once the image is turned by
            // `degrees`: rows for horizontal lines, columns for vertical.
            let v = if vertical {
                x * c - y * s
            } else {
                y * c + x * s
            };
            let i = (v + bins as f32) as usize;
            if let Some(b) = profile.get_mut(i) {
                *b += 1;
            }
        }
        profile
            .windows(2)
            .map(|p| (f64::from(p[1]) - f64::from(p[0])).powi(2))
            .sum()
    };
    let mut best = (0.0f32, 0.0f64, false);
    let mut at_zero = 0.0f64;
    for vertical in [false, true] {
        let mut step = -MAX_DEGREES;
        while step <= MAX_DEGREES + 1e-3 {
            let sc = score(step, vertical);
            if step.abs() < 1e-3 {
                at_zero = at_zero.max(sc);
            }
            if sc > best.1 {
                best = (step, sc, vertical);
            }
            step += 0.5;
        }
    }
    // Refine around the best coarse angle.
    let (coarse, _, vertical) = best;
    let mut fine = best;
    let mut a = coarse - 0.5;
    while a <= coarse + 0.5 + 1e-3 {
        let sc = score(a, vertical);
        if sc > fine.1 {
            fine = (a, sc, vertical);
        }
        a += 0.05;
    }
    // A clear angle: its profile is sharper than the unturned one.
    if fine.1 < at_zero * 1.05 {
        return 0.0;
    }
    fine.0
}

/// The image turned by `degrees` clockwise (as seen on screen, y pointing
/// down) about its centre, on a canvas large enough to keep
/// every pixel, with white where nothing was; bilinear sampling.
pub fn rotate(gray: &Gray, degrees: f32) -> Gray {
    let (s, c) = degrees.to_radians().sin_cos();
    let (w, h) = (gray.width as f32, gray.height as f32);
    let nw = (w * c.abs() + h * s.abs()).ceil() as u32;
    let nh = (w * s.abs() + h * c.abs()).ceil() as u32;
    let mut out = Gray::white(nw, nh);
    out.dpi = gray.dpi;
    let (cx, cy) = (w / 2.0, h / 2.0);
    let (ncx, ncy) = (nw as f32 / 2.0, nh as f32 / 2.0);
    let src = &gray.pixels;
    let stride = gray.width as usize;
    for oy in 0..nh as usize {
        let dy = oy as f32 - ncy;
        for ox in 0..nw as usize {
            let dx = ox as f32 - ncx;
            // Inverse of the turn: where this output pixel comes from.
            let x = dx * c + dy * s + cx;
            let y = -dx * s + dy * c + cy;
            if x < 0.0 || y < 0.0 || x > w - 1.0 || y > h - 1.0 {
                continue;
            }
            let (x0, y0) = (x as usize, y as usize);
            let (x1, y1) = (
                (x0 + 1).min(stride - 1),
                (y0 + 1).min(gray.height as usize - 1),
            );
            let (fx, fy) = (x - x0 as f32, y - y0 as f32);
            let p = |xx: usize, yy: usize| f32::from(src[yy * stride + xx]);
            let top = p(x0, y0) * (1.0 - fx) + p(x1, y0) * fx;
            let bottom = p(x0, y1) * (1.0 - fx) + p(x1, y1) * fx;
            out.pixels[oy * nw as usize + ox] = (top * (1.0 - fy) + bottom * fy).round() as u8;
        }
    }
    out
}
