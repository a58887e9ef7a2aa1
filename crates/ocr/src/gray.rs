//! 8-bit gray page images in zeroizing memory.

use zeroize::Zeroizing;

/// A page image: 8-bit gray, 0 black, 255 white, one byte per pixel, rows
/// without padding. The pixels are wiped when dropped.
pub struct Gray {
    pub width: u32,
    pub height: u32,
    pub pixels: Zeroizing<Vec<u8>>,
    /// The resolution the file states, if it does.
    pub dpi: Option<u32>,
}

impl std::fmt::Debug for Gray {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Gray")
            .field("width", &self.width)
            .field("height", &self.height)
            .field("dpi", &self.dpi)
            .finish_non_exhaustive()
    }
}

impl Gray {
    /// A white image. The caller has checked the size against the limits.
    pub fn white(width: u32, height: u32) -> Gray {
        Gray {
            width,
            height,
            pixels: Zeroizing::new(vec![255; width as usize * height as usize]),
            dpi: None,
        }
    }

    /// The image turned by a multiple of 90 degrees clockwise.
    pub fn rotated(&self, quarter_turns: u32) -> Gray {
        let (w, h) = (self.width as usize, self.height as usize);
        match quarter_turns % 4 {
            0 => Gray {
                width: self.width,
                height: self.height,
                pixels: self.pixels.clone(),
                dpi: self.dpi,
            },
            2 => {
                let mut pixels = self.pixels.clone();
                pixels.reverse();
                Gray {
                    width: self.width,
                    height: self.height,
                    pixels,
                    dpi: self.dpi,
                }
            }
            q => {
                let mut out = Gray::white(self.height, self.width);
                out.dpi = self.dpi;
                for y in 0..h {
                    for x in 0..w {
                        // Clockwise: (x, y) goes to (h-1-y, x); anticlockwise to (y, w-1-x).
                        let (nx, ny) = if q == 1 {
                            (h - 1 - y, x)
                        } else {
                            (y, w - 1 - x)
                        };
                        out.pixels[ny * h + nx] = self.pixels[y * w + x];
                    }
                }
                out
            }
        }
    }
}
