//! The page compositor: the images a PDF page draws, painted where the
//! page's content puts them onto one gray page bitmap.
//!
//! Not a renderer. It follows only what places images (`pdf.rs` walks the
//! content: `q`/`Q`, `cm`, clipping rectangles, the fill colour, `Do` of
//! images and forms) and paints them here, each through the inverse of its
//! transformation, sampled bilinearly (or averaged where an image is
//! shrunk). Vector art and text are not drawn: pages that show text have a
//! text layer, which [`crate::Mode::Auto`] reads instead of recognising.
//!
//! Bounded by construction: the page bitmap is checked against
//! [`Limits`] before it is allocated, every image is painted only over the
//! part of the page it covers, and the painted area of a page is capped
//! ([`MAX_PAINT_FACTOR`] times the page), so a hostile page costs at most a
//! few passes over one page of pixels.

use crate::gray::Gray;
use crate::{Error, Limits};

/// The resolution pages are composed at (Tesseract reads best at 300).
pub const DPI: u32 = 300;
/// The lowest resolution a large page is composed at to fit the limits;
/// a page that would not fit even then is refused.
pub const MIN_DPI: u32 = 150;
/// How many times its own area a page's images may paint in all.
pub const MAX_PAINT_FACTOR: u64 = 16;

/// An affine transformation as PDF writes it, `[a b c d e f]`: a point
/// (x, y) goes to (a·x + c·y + e, b·x + d·y + f).
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct Matrix {
    pub a: f64,
    pub b: f64,
    pub c: f64,
    pub d: f64,
    pub e: f64,
    pub f: f64,
}

impl Matrix {
    pub const IDENTITY: Matrix = Matrix::new(1.0, 0.0, 0.0, 1.0, 0.0, 0.0);

    pub const fn new(a: f64, b: f64, c: f64, d: f64, e: f64, f: f64) -> Matrix {
        Matrix { a, b, c, d, e, f }
    }

    /// This transformation followed by `next` (PDF's `cm` makes the new
    /// CTM `m.then(ctm)`).
    pub fn then(self, next: Matrix) -> Matrix {
        let n = next;
        Matrix {
            a: self.a * n.a + self.b * n.c,
            b: self.a * n.b + self.b * n.d,
            c: self.c * n.a + self.d * n.c,
            d: self.c * n.b + self.d * n.d,
            e: self.e * n.a + self.f * n.c + n.e,
            f: self.e * n.b + self.f * n.d + n.f,
        }
    }

    pub fn apply(&self, x: f64, y: f64) -> (f64, f64) {
        (
            self.a * x + self.c * y + self.e,
            self.b * x + self.d * y + self.f,
        )
    }

    pub fn is_finite(&self) -> bool {
        [self.a, self.b, self.c, self.d, self.e, self.f]
            .iter()
            .all(|v| v.is_finite())
    }

    /// The inverse, or `None` for a transformation that flattens (or one
    /// whose numbers are not finite).
    pub fn invert(&self) -> Option<Matrix> {
        let det = self.a * self.d - self.b * self.c;
        if !self.is_finite() || !det.is_finite() || det.abs() < 1e-12 {
            return None;
        }
        let m = Matrix {
            a: self.d / det,
            b: -self.b / det,
            c: -self.c / det,
            d: self.a / det,
            e: (self.c * self.f - self.d * self.e) / det,
            f: (self.b * self.e - self.a * self.f) / det,
        };
        m.is_finite().then_some(m)
    }

    /// The smallest upright rectangle holding the unit square's image.
    pub fn unit_bounds(&self) -> Rect {
        Rect::around(
            [(0.0, 0.0), (1.0, 0.0), (0.0, 1.0), (1.0, 1.0)].map(|(x, y)| self.apply(x, y)),
        )
    }
}

/// An upright rectangle (x0 ≤ x1, y0 ≤ y1).
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct Rect {
    pub x0: f64,
    pub y0: f64,
    pub x1: f64,
    pub y1: f64,
}

impl Rect {
    pub fn around<const N: usize>(points: [(f64, f64); N]) -> Rect {
        let mut r = Rect {
            x0: f64::INFINITY,
            y0: f64::INFINITY,
            x1: f64::NEG_INFINITY,
            y1: f64::NEG_INFINITY,
        };
        for (x, y) in points {
            r.add(x, y);
        }
        r
    }

    pub fn add(&mut self, x: f64, y: f64) {
        self.x0 = self.x0.min(x);
        self.y0 = self.y0.min(y);
        self.x1 = self.x1.max(x);
        self.y1 = self.y1.max(y);
    }

    pub fn intersect(&self, o: &Rect) -> Rect {
        Rect {
            x0: self.x0.max(o.x0),
            y0: self.y0.max(o.y0),
            x1: self.x1.min(o.x1),
            y1: self.y1.min(o.y1),
        }
    }

    /// This rectangle's corners through `m`, and the rectangle around them.
    pub fn transformed(&self, m: &Matrix) -> Rect {
        Rect::around(
            [
                (self.x0, self.y0),
                (self.x1, self.y0),
                (self.x0, self.y1),
                (self.x1, self.y1),
            ]
            .map(|(x, y)| m.apply(x, y)),
        )
    }
}

/// Where a page is shown: its box in default user space and its `/Rotate`
/// in quarter turns clockwise.
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct Frame {
    pub page_box: Rect,
    pub quarter_turns: u32,
}

impl Frame {
    /// The bitmap's size and the transformation from user space to its
    /// pixels (origin top left) at `dpi`.
    pub fn device(&self, dpi: u32) -> (u32, u32, Matrix) {
        let s = f64::from(dpi) / 72.0;
        let b = &self.page_box;
        let (w0, h0) = ((b.x1 - b.x0) * s, (b.y1 - b.y0) * s);
        let upright = Matrix::new(s, 0.0, 0.0, -s, -b.x0 * s, b.y1 * s);
        let (turn, w, h) = match self.quarter_turns % 4 {
            0 => (Matrix::IDENTITY, w0, h0),
            1 => (Matrix::new(0.0, 1.0, -1.0, 0.0, h0, 0.0), h0, w0),
            2 => (Matrix::new(-1.0, 0.0, 0.0, -1.0, w0, h0), w0, h0),
            _ => (Matrix::new(0.0, -1.0, 1.0, 0.0, 0.0, w0), h0, w0),
        };
        let side = |v: f64| v.round().clamp(1.0, f64::from(u32::MAX)) as u32;
        (side(w), side(h), upright.then(turn))
    }

    /// The resolution to compose at: [`DPI`], lowered (not below
    /// [`MIN_DPI`]) for a page too large for `limits` at 300 dpi. A page
    /// that does not fit even then is refused, naming its 300 dpi size.
    pub fn dpi_within(&self, limits: &Limits) -> Result<u32, Error> {
        let (w, h, _) = self.device(DPI);
        let full = limits.check(u64::from(w), u64::from(h), 8);
        if full.is_ok() {
            return Ok(DPI);
        }
        let mut dpi = DPI;
        while dpi > MIN_DPI {
            dpi = (dpi - 10).max(MIN_DPI);
            let (w, h, _) = self.device(dpi);
            if limits.check(u64::from(w), u64::from(h), 8).is_ok() {
                return Ok(dpi);
            }
        }
        match full {
            Err(Error::TooLarge { reason, .. }) => Err(Error::TooLarge {
                width: u64::from(w),
                height: u64::from(h),
                reason: format!("a page of this size ({reason} at {DPI} dpi, and at {MIN_DPI})"),
            }),
            other => other.map(|()| DPI),
        }
    }
}

/// How an image's samples reach the page.
pub enum Paint<'a> {
    /// Opaque samples, or blended by a soft mask (`/SMask`: 255 opaque) or
    /// a stencil (`/Mask`, decoded so that dark is painted), each mapped
    /// over the same unit square.
    Image { alpha: Option<Alpha<'a>> },
    /// An `/ImageMask` stencil (decoded so that dark is painted), filled
    /// with the fill colour's gray.
    Stencil { fill: u8 },
}

pub enum Alpha<'a> {
    Soft(&'a Gray),
    Stencil(&'a Gray),
}

/// The page bitmap being composed.
pub struct Canvas {
    pub gray: Gray,
    /// User space to the bitmap's pixels.
    pub device: Matrix,
    /// Pixels visited so far, against [`MAX_PAINT_FACTOR`].
    painted: u64,
}

impl Canvas {
    /// A white page of `frame` at `dpi`; the caller has checked the size
    /// (see [`Frame::dpi_within`]).
    pub fn new(frame: &Frame, dpi: u32) -> Canvas {
        let (w, h, device) = frame.device(dpi);
        let mut gray = Gray::white(w, h);
        gray.dpi = Some(dpi);
        Canvas {
            gray,
            device,
            painted: 0,
        }
    }

    /// Paints `src`, whose unit square the CTM `ctm` places in user space
    /// (row 0 at the top, as PDF images are), within `clip` (user space).
    /// Returns whether any pixel was painted.
    pub fn paint(
        &mut self,
        src: &Gray,
        paint: &Paint<'_>,
        ctm: &Matrix,
        clip: Option<&Rect>,
    ) -> Result<bool, Error> {
        // Image rows run down; the unit square's y runs up.
        let to_device = Matrix::new(1.0, 0.0, 0.0, -1.0, 0.0, 1.0)
            .then(*ctm)
            .then(self.device);
        let Some(back) = to_device.invert() else {
            return Ok(false);
        };
        let (w, h) = (self.gray.width, self.gray.height);
        let mut area = to_device.unit_bounds().intersect(&Rect {
            x0: 0.0,
            y0: 0.0,
            x1: f64::from(w),
            y1: f64::from(h),
        });
        if let Some(c) = clip {
            area = area.intersect(&c.transformed(&self.device));
        }
        if !(area.x0 < area.x1 && area.y0 < area.y1) {
            return Ok(false);
        }
        // Within 0..w and 0..h after the intersection above.
        let (x0, x1) = (area.x0.floor() as u32, (area.x1.ceil() as u32).min(w));
        let (y0, y1) = (area.y0.floor() as u32, (area.y1.ceil() as u32).min(h));
        let visited = u64::from(x1 - x0) * u64::from(y1 - y0);
        self.painted += visited;
        let page = u64::from(w) * u64::from(h);
        if self.painted > page.saturating_mul(MAX_PAINT_FACTOR) {
            return Err(Error::TooLarge {
                width: u64::from(w),
                height: u64::from(h),
                reason: format!(
                    "its images would paint more than {MAX_PAINT_FACTOR} times the page's area"
                ),
            });
        }
        // How many source pixels one page pixel spans: above 1 the image
        // is shrunk, and each page pixel averages a k × k grid.
        let (sw, sh) = (f64::from(src.width), f64::from(src.height));
        let span = (back.a * sw)
            .hypot(back.b * sh)
            .max((back.c * sw).hypot(back.d * sh));
        // (A span a hair over 1 is rounding, not shrinking.)
        let k = (span - 0.01).ceil().clamp(1.0, 4.0) as u32;
        // A sample's colour, premultiplied by how much it covers.
        let sample = |u: f64, v: f64| -> (f32, f32) {
            let s = bilinear(src, u, v);
            match paint {
                Paint::Image { alpha: None } => (s, 1.0),
                Paint::Image { alpha: Some(a) } => {
                    let a = match a {
                        Alpha::Soft(m) => bilinear(m, u, v) / 255.0,
                        Alpha::Stencil(m) => 1.0 - bilinear(m, u, v) / 255.0,
                    };
                    (s * a, a)
                }
                Paint::Stencil { fill } => {
                    let a = 1.0 - s / 255.0;
                    (f32::from(*fill) * a, a)
                }
            }
        };
        let inside = |u: f64, v: f64| (0.0..1.0).contains(&u) && (0.0..1.0).contains(&v);
        let mut any = false;
        let row_len = w as usize;
        let n = (k * k) as f32;
        let step = 1.0 / f64::from(k);
        for py in y0..y1 {
            let row = py as usize * row_len;
            // Walked along the row: one step right is (back.a, back.b).
            let (mut u, mut v) = back.apply(f64::from(x0) + 0.5 * step, f64::from(py) + 0.5 * step);
            for px in x0..x1 {
                let (mut sum, mut cover, mut hits) = (0.0f32, 0.0f32, 0u32);
                if k == 1 {
                    if inside(u, v) {
                        (sum, cover) = sample(u, v);
                        hits = 1;
                    }
                } else {
                    for sy in 0..k {
                        for sx in 0..k {
                            let (du, dv) = (f64::from(sx) * step, f64::from(sy) * step);
                            let (su, sv) =
                                (u + back.a * du + back.c * dv, v + back.b * du + back.d * dv);
                            if inside(su, sv) {
                                let (s, c) = sample(su, sv);
                                sum += s;
                                cover += c;
                                hits += 1;
                            }
                        }
                    }
                    sum /= n;
                    cover /= n;
                }
                u += back.a;
                v += back.b;
                if hits == 0 {
                    continue;
                }
                any = true;
                let cover = cover.clamp(0.0, 1.0);
                let i = row + px as usize;
                let dst = f32::from(self.gray.pixels[i]);
                // sum is the premultiplied colour: dst × (1 − cover) + sum.
                self.gray.pixels[i] = (dst * (1.0 - cover) + sum).round().clamp(0.0, 255.0) as u8;
            }
        }
        Ok(any)
    }
}

/// `g`'s value at (u, v) of its unit square (row 0 at v = 0), bilinear
/// between pixel centres.
fn bilinear(g: &Gray, u: f64, v: f64) -> f32 {
    let (w, h) = (g.width as usize, g.height as usize);
    if w == 0 || h == 0 || g.pixels.len() < w * h {
        return 255.0;
    }
    let x = (u * w as f64 - 0.5).clamp(0.0, (w - 1) as f64);
    let y = (v * h as f64 - 0.5).clamp(0.0, (h - 1) as f64);
    let (x0, y0) = (x as usize, y as usize);
    let (x1, y1) = ((x0 + 1).min(w - 1), (y0 + 1).min(h - 1));
    let (tx, ty) = ((x - x0 as f64) as f32, (y - y0 as f64) as f32);
    let p = |x: usize, y: usize| f32::from(g.pixels[y * w + x]);
    let top = p(x0, y0) + (p(x1, y0) - p(x0, y0)) * tx;
    let bottom = p(x0, y1) + (p(x1, y1) - p(x0, y1)) * tx;
    top + (bottom - top) * ty
}

#[cfg(test)]
mod tests;
