//! The page images of scanner PDFs, taken out without rendering: the one
//! image a page draws, or the page composed from the images it draws
//! (`compose.rs`), found by following its content's graphics state.

use std::io::Read;

use lopdf::{Dictionary, Object, ObjectId};
use zeroize::Zeroizing;

use crate::compose::{Alpha, Canvas, Frame, Matrix, Paint, Rect};
use crate::gray::Gray;
use crate::raster::{self, SampleLayout};
use crate::{Error, Limits, Mode, PageImage, Source};

/// The most bytes of a page's content streams (and forms) read to find its
/// text and images.
const MAX_CONTENT: usize = 32 << 20;
/// How deep forms may nest inside a page before the rest is ignored.
const MAX_FORM_DEPTH: usize = 8;

pub struct Pdf {
    doc: lopdf::Document,
    pages: Vec<ObjectId>,
}

impl Pdf {
    pub fn open(bytes: &[u8], limits: &Limits) -> Result<Pdf, Error> {
        let max = usize::try_from(limits.max_decoded_bytes).unwrap_or(usize::MAX);
        let options = lopdf::LoadOptions::with_max_decompressed_size(max);
        let doc = lopdf::Document::load_mem_with_options(bytes, options).map_err(|e| match e {
            lopdf::Error::Decryption(_) | lopdf::Error::InvalidPassword => Error::Encrypted,
            other => Error::Corrupt(format!("PDF: {}", short(&other.to_string()))),
        })?;
        let mut pages = Vec::new();
        for id in doc.page_iter() {
            if pages.len() >= limits.max_pages {
                return Err(Error::TooManyPages {
                    max: limits.max_pages,
                });
            }
            pages.push(id);
        }
        if pages.is_empty() {
            return Err(Error::Corrupt("PDF: no pages".into()));
        }
        Ok(Pdf { doc, pages })
    }

    pub fn page_count(&self) -> usize {
        self.pages.len()
    }

    pub fn has_text_layer(&self, index: usize, _limits: &Limits) -> Result<bool, Error> {
        Ok(self.plan(self.pages[index])?.shows_text)
    }

    /// Page `index` as it is shown (its CropBox, turned by its `/Rotate`)
    /// when `shown`, or over its MediaBox as stored (no `/Rotate`), the
    /// frame of a text layer's coordinates.
    pub fn page(
        &self,
        index: usize,
        mode: Mode,
        limits: &Limits,
        shown: bool,
    ) -> Result<PageImage, Error> {
        let page_id = self.pages[index];
        let plan = self.plan(page_id)?;
        if mode == Mode::Auto && plan.shows_text {
            return Ok(PageImage::HasTextLayer);
        }
        if plan.truncated {
            return Err(Error::Corrupt(format!(
                "PDF: the page's drawing goes beyond what is followed ({MAX_OPERATIONS} operations, {MAX_DRAWS} images, forms nested {MAX_FORM_DEPTH} deep)"
            )));
        }
        if plan.draws.is_empty() {
            return Err(Error::NeedsRendering(
                if plan.inline_skipped > 0 {
                    "the page's image is an inline image with a filter, which is not decoded"
                } else if plan.forms_seen == 0 {
                    "the page has no image"
                } else {
                    "the page is drawn, with no image"
                }
                .into(),
            ));
        }
        let frame = self.frame(page_id, shown);
        if let Some((id, turns)) = self.single_image(&plan, &frame, shown) {
            let Ok(Object::Stream(stream)) = self.doc.get_object(id) else {
                return Err(Error::Corrupt(
                    "PDF: the page's image is not a stream".into(),
                ));
            };
            let (gray, source) = self.decode_image(stream, limits)?;
            let mut gray = if turns == 0 {
                gray
            } else {
                gray.rotated(turns)
            };
            gray.dpi = placed_dpi(&plan.draws[0].ctm, &gray);
            return Ok(PageImage::Image { gray, source });
        }
        let gray = self.compose(&plan, &frame, limits)?;
        Ok(PageImage::Image {
            gray,
            source: Source::PdfComposed,
        })
    }

    /// The one image a page draws, when it can be taken out as it is (no
    /// mask to apply, no colour to fill it with) and turned by quarter
    /// turns to the page's frame: the fast path, with no page bitmap. For
    /// a text layer's frame it must also fill the page.
    fn single_image(&self, plan: &Plan, frame: &Frame, shown: bool) -> Option<(ObjectId, u32)> {
        let [draw] = plan.draws.as_slice() else {
            return None;
        };
        let ImageRef::Object(id) = draw.image else {
            return None;
        };
        let dict = &self.doc.get_object(id).ok()?.as_stream().ok()?.dict;
        let flag = |key: &[u8]| {
            dict.get(key)
                .map(|o| self.resolve(o))
                .and_then(Object::as_bool)
                .unwrap_or(false)
        };
        let stencil_mask = matches!(
            dict.get(b"Mask").map(|o| self.resolve(o)),
            Ok(Object::Stream(_))
        );
        if dict.has(b"SMask") || stencil_mask || (flag(b"ImageMask") && draw.fill > 32) {
            return None;
        }
        let (_, _, device) = frame.device(72);
        let t = Matrix::new(1.0, 0.0, 0.0, -1.0, 0.0, 1.0)
            .then(draw.ctm)
            .then(device);
        if !t.is_finite() {
            return None;
        }
        let eps = 1e-6 * (t.a.abs() + t.b.abs() + t.c.abs() + t.d.abs());
        let turns = if t.b.abs() <= eps && t.c.abs() <= eps {
            match (t.a > 0.0, t.d > 0.0) {
                (true, true) => 0,
                (false, false) => 2,
                _ => return None,
            }
        } else if t.a.abs() <= eps && t.d.abs() <= eps {
            match (t.b > 0.0, t.c < 0.0) {
                (true, true) => 1,
                (false, false) => 3,
                _ => return None,
            }
        } else {
            return None;
        };
        if !shown {
            // The layer's words are placed over the whole MediaBox.
            let placed = t.unit_bounds();
            let (w, h, _) = frame.device(72);
            let near = |a: f64, b: f64| (a - b).abs() <= 0.01 * f64::from(w.max(h));
            if turns != 0
                || !(near(placed.x0, 0.0)
                    && near(placed.y0, 0.0)
                    && near(placed.x1, f64::from(w))
                    && near(placed.y1, f64::from(h)))
            {
                return None;
            }
        }
        Some((id, turns))
    }

    /// Paints every image the page draws onto one page bitmap (see
    /// `compose.rs`). Each image is decoded within the limits, and all of
    /// them together within twice the pixel limit.
    fn compose(&self, plan: &Plan, frame: &Frame, limits: &Limits) -> Result<Gray, Error> {
        let dpi = frame.dpi_within(limits)?;
        let mut canvas = Canvas::new(frame, dpi);
        let budget = limits.max_pixels.saturating_mul(2);
        let mut decoded = 0u64;
        let mut decode = |stream: &lopdf::Stream| -> Result<Gray, Error> {
            let (gray, _) = self.decode_image(stream, limits)?;
            decoded += u64::from(gray.width) * u64::from(gray.height);
            if decoded > budget {
                return Err(Error::TooLarge {
                    width: u64::from(gray.width),
                    height: u64::from(gray.height),
                    reason: format!(
                        "the page's images come to more than {} megapixels",
                        budget / 1_000_000
                    ),
                });
            }
            Ok(gray)
        };
        // The last image decoded, for a page that draws one image often.
        let mut last: Option<(ObjectId, Gray)> = None;
        let mut painted = 0usize;
        for draw in &plan.draws {
            let stream = match &draw.image {
                ImageRef::Inline(s) => s.as_ref(),
                ImageRef::Object(id) => match self.doc.get_object(*id) {
                    Ok(Object::Stream(s)) => s,
                    _ => continue,
                },
            };
            let dict = &stream.dict;
            let image_mask = dict
                .get(b"ImageMask")
                .map(|o| self.resolve(o))
                .and_then(Object::as_bool)
                .unwrap_or(false);
            let gray = match (&draw.image, last.take()) {
                (ImageRef::Object(id), Some((kept, gray))) if kept == *id => gray,
                _ => decode(stream)?,
            };
            let soft;
            let stencil;
            let paint = if image_mask {
                Paint::Stencil { fill: draw.fill }
            } else if let Ok(Object::Stream(s)) = dict.get(b"SMask").map(|o| self.resolve(o)) {
                soft = decode(s)?;
                Paint::Image {
                    alpha: Some(Alpha::Soft(&soft)),
                }
            } else if let Ok(Object::Stream(s)) = dict.get(b"Mask").map(|o| self.resolve(o)) {
                stencil = decode(s)?;
                Paint::Image {
                    alpha: Some(Alpha::Stencil(&stencil)),
                }
            } else {
                // A colour-key /Mask (an array of ranges) is not applied:
                // the image is painted whole.
                Paint::Image { alpha: None }
            };
            if canvas.paint(&gray, &paint, &draw.ctm, draw.clip.as_ref())? {
                painted += 1;
            }
            if let ImageRef::Object(id) = draw.image {
                last = Some((id, gray));
            }
        }
        if painted == 0 {
            return Err(Error::NeedsRendering(
                "none of the page's images falls within the page".into(),
            ));
        }
        Ok(canvas.gray)
    }

    /// Where the page is shown: CropBox (within the MediaBox) and
    /// `/Rotate`, or the MediaBox alone.
    fn frame(&self, page_id: ObjectId, shown: bool) -> Frame {
        let rect = |key: &[u8]| {
            let n: Vec<f64> = self
                .inherited(page_id, key)?
                .as_array()
                .ok()?
                .iter()
                .filter_map(|o| number(self.resolve(o)))
                .collect();
            let [a, b, c, d] = n.as_slice() else {
                return None;
            };
            let r = Rect {
                x0: a.min(*c),
                y0: b.min(*d),
                x1: a.max(*c),
                y1: b.max(*d),
            };
            (r.x1 - r.x0 >= 1.0
                && r.y1 - r.y0 >= 1.0
                && r.x0.is_finite()
                && r.x1.is_finite()
                && r.y0.is_finite()
                && r.y1.is_finite())
            .then_some(r)
        };
        // US Letter where the page gives no usable box.
        let media = rect(b"MediaBox").unwrap_or(Rect {
            x0: 0.0,
            y0: 0.0,
            x1: 612.0,
            y1: 792.0,
        });
        if !shown {
            return Frame {
                page_box: media,
                quarter_turns: 0,
            };
        }
        let page_box = rect(b"CropBox")
            .map(|c| c.intersect(&media))
            .filter(|c| c.x1 - c.x0 >= 1.0 && c.y1 - c.y0 >= 1.0)
            .unwrap_or(media);
        let rotate = self
            .inherited(page_id, b"Rotate")
            .and_then(|o| o.as_i64().ok())
            .unwrap_or(0);
        Frame {
            page_box,
            // Only multiples of 90 are allowed; anything else is ignored.
            quarter_turns: if rotate % 90 == 0 {
                (rotate.rem_euclid(360) / 90) as u32
            } else {
                0
            },
        }
    }

    /// A page attribute, inherited from the page tree where the page has
    /// none.
    fn inherited(&self, page_id: ObjectId, key: &[u8]) -> Option<&Object> {
        let mut node = self.doc.get_dictionary(page_id).ok()?;
        for _ in 0..32 {
            if let Ok(v) = node.get(key) {
                return Some(self.resolve(v));
            }
            let parent = node.get(b"Parent").ok()?.as_reference().ok()?;
            node = self.doc.get_dictionary(parent).ok()?;
        }
        None
    }

    /// Walks a page's content (and the forms it draws) for text-showing
    /// operators and the images it draws, with where each goes.
    fn plan(&self, page_id: ObjectId) -> Result<Plan, Error> {
        let content = self
            .doc
            .get_page_content_with_limit(page_id, MAX_CONTENT)
            .map_err(|e| Error::Corrupt(format!("PDF page content: {}", short(&e.to_string()))))?;
        let page = self.doc.get_dictionary(page_id).map_err(pdf_error)?;
        let resources = self.page_resources(page);
        let mut walk = Walk {
            pdf: self,
            plan: Plan::default(),
            budget: MAX_CONTENT,
            operations: 0,
            forms: Vec::new(),
        };
        let damaged = walk.run(&content, resources, GState::default(), 0);
        let plan = walk.plan;
        match damaged {
            Some(e) if plan.draws.is_empty() && !plan.shows_text => Err(Error::Corrupt(format!(
                "PDF content: {}",
                short(&e.to_string())
            ))),
            // Content damaged after what it drew: what it drew is kept.
            _ => Ok(plan),
        }
    }

    /// The page's resources, inherited from its parents where it has none.
    fn page_resources<'a>(&'a self, mut node: &'a Dictionary) -> Option<&'a Dictionary> {
        for _ in 0..32 {
            if let Ok(r) = node.get(b"Resources")
                && let Ok((_, Object::Dictionary(d))) = self.doc.dereference(r)
            {
                return Some(d);
            }
            let parent = node.get(b"Parent").ok()?.as_reference().ok()?;
            node = self.doc.get_dictionary(parent).ok()?;
        }
        None
    }

    /// A named resource of `kind` (`XObject`, `ColorSpace`).
    fn resource<'a>(
        &'a self,
        resources: Option<&'a Dictionary>,
        kind: &[u8],
        name: &[u8],
    ) -> Option<&'a Object> {
        let dict = resources
            .and_then(|r| r.get(kind).ok())
            .map(|x| self.resolve(x))
            .and_then(|x| x.as_dict().ok())?;
        dict.get(name).ok()
    }
}

/// The most operators followed on one page (forms included).
const MAX_OPERATIONS: usize = 2_000_000;
/// What entering a form costs against [`MAX_OPERATIONS`], so that forms
/// drawing forms many times stop early even when empty.
const FORM_COST: usize = 1_000;
/// The most images one page may draw.
const MAX_DRAWS: usize = 1_000;
/// How deep `q` may nest; deeper saves are counted, not kept.
const MAX_SAVED_STATES: usize = 64;

/// What a page's content draws.
#[derive(Default)]
struct Plan {
    shows_text: bool,
    draws: Vec<Draw>,
    /// Inline images lopdf does not take apart (those with a filter).
    inline_skipped: usize,
    forms_seen: usize,
    /// The walk stopped at one of its bounds.
    truncated: bool,
}

/// One image drawn: which, where (its unit square through `ctm` into
/// default user space), within which clip, with which fill colour (for
/// stencil masks).
struct Draw {
    image: ImageRef,
    ctm: Matrix,
    clip: Option<Rect>,
    fill: u8,
}

enum ImageRef {
    Object(ObjectId),
    Inline(Box<lopdf::Stream>),
}

/// The part of the graphics state that places and colours images.
#[derive(Clone)]
struct GState {
    ctm: Matrix,
    /// The clip, as the rectangle around the clipping paths, in default
    /// user space (a path's shape beyond its box is not followed).
    clip: Option<Rect>,
    /// The fill colour's gray (stencil masks are painted with it).
    fill: u8,
    space: FillSpace,
}

impl Default for GState {
    fn default() -> Self {
        GState {
            ctm: Matrix::IDENTITY,
            clip: None,
            fill: 0,
            space: FillSpace::Gray,
        }
    }
}

/// The fill colour space, as far as a gray needs it.
#[derive(Clone, Copy)]
enum FillSpace {
    Gray,
    Rgb,
    Cmyk,
    /// Separation and one-ink DeviceN: a tint of 1 is full ink.
    Ink,
    /// Patterns, palettes and the rest: taken as black.
    Other,
}

impl FillSpace {
    fn gray(self, n: &[f64]) -> u8 {
        let unit = |v: f64| (v.clamp(0.0, 1.0) * 255.0).round() as u8;
        match (self, n) {
            (FillSpace::Gray, [g, ..]) => unit(*g),
            (FillSpace::Rgb, [r, g, b, ..]) => raster::luma(unit(*r), unit(*g), unit(*b)),
            (FillSpace::Cmyk, [c, m, y, k, ..]) => {
                raster::cmyk_to_gray(unit(*c), unit(*m), unit(*y), unit(*k))
            }
            (FillSpace::Ink, [t, ..]) => 255 - unit(*t),
            _ => 0,
        }
    }
}

/// A walk over a page's content and its forms, within one budget.
struct Walk<'a> {
    pdf: &'a Pdf,
    plan: Plan,
    /// Content bytes (of forms) still allowed.
    budget: usize,
    operations: usize,
    /// The forms being walked (a form that draws itself is not entered
    /// again).
    forms: Vec<ObjectId>,
}

impl<'a> Walk<'a> {
    /// Follows `content`, starting in `state`. Returns the parse error
    /// that stopped it early, if one did; bounds stop it silently, marking
    /// the plan truncated.
    fn run(
        &mut self,
        content: &[u8],
        resources: Option<&'a Dictionary>,
        state: GState,
        depth: usize,
    ) -> Option<lopdf::Error> {
        let pdf = self.pdf;
        let mut gs = state;
        let mut saved: Vec<GState> = Vec::new();
        let mut unsaved = 0usize;
        let mut path: Option<Rect> = None;
        let mut clipping = false;
        for op in lopdf::content::Content::decode_iter(content) {
            let op = match op {
                Ok(op) => op,
                Err(e) => return Some(e),
            };
            self.operations += 1;
            if self.operations > MAX_OPERATIONS {
                self.plan.truncated = true;
                return None;
            }
            let numbers = || -> Vec<f64> { op.operands.iter().filter_map(number).collect() };
            match op.operator.as_str() {
                "q" if saved.len() < MAX_SAVED_STATES => saved.push(gs.clone()),
                "q" => unsaved += 1,
                "Q" if unsaved > 0 => unsaved -= 1,
                "Q" => {
                    if let Some(s) = saved.pop() {
                        gs = s;
                    }
                }
                "cm" => {
                    if let [a, b, c, d, e, f] = numbers()[..] {
                        let ctm = Matrix::new(a, b, c, d, e, f).then(gs.ctm);
                        if ctm.is_finite() {
                            gs.ctm = ctm;
                        }
                    }
                }
                "m" | "l" | "c" | "v" | "y" => {
                    for p in numbers().chunks_exact(2) {
                        let (x, y) = gs.ctm.apply(p[0], p[1]);
                        path.get_or_insert(Rect::around([(x, y)])).add(x, y);
                    }
                }
                "re" => {
                    if let [x, y, w, h] = numbers()[..] {
                        let r = Rect::around([(x, y), (x + w, y + h)]).transformed(&gs.ctm);
                        let p = path.get_or_insert(r);
                        p.add(r.x0, r.y0);
                        p.add(r.x1, r.y1);
                    }
                }
                "W" | "W*" => clipping = true,
                "n" | "f" | "F" | "f*" | "S" | "s" | "B" | "B*" | "b" | "b*" => {
                    if clipping && let Some(p) = path {
                        gs.clip = Some(gs.clip.map_or(p, |c| c.intersect(&p)));
                    }
                    clipping = false;
                    path = None;
                }
                "g" => {
                    gs.space = FillSpace::Gray;
                    gs.fill = gs.space.gray(&numbers());
                }
                "rg" => {
                    gs.space = FillSpace::Rgb;
                    gs.fill = gs.space.gray(&numbers());
                }
                "k" => {
                    gs.space = FillSpace::Cmyk;
                    gs.fill = gs.space.gray(&numbers());
                }
                "cs" => {
                    gs.space = op
                        .operands
                        .first()
                        .and_then(|o| o.as_name().ok())
                        .map_or(FillSpace::Other, |n| pdf.fill_space(resources, n));
                    // Every space's initial colour is black (full ink).
                    gs.fill = 0;
                }
                "sc" | "scn" => gs.fill = gs.space.gray(&numbers()),
                // Text is not drawn: a page that shows text has a text
                // layer, which Mode::Auto reads instead.
                "Tj" | "'" | "\"" => {
                    self.plan.shows_text |= op.operands.iter().any(non_empty_string);
                }
                "TJ" => {
                    self.plan.shows_text |= op
                        .operands
                        .iter()
                        .any(|o| o.as_array().is_ok_and(|a| a.iter().any(non_empty_string)));
                }
                "BI" => match op.operands.first() {
                    Some(Object::Stream(s)) => {
                        self.draw(ImageRef::Inline(Box::new(inline_image(s))), &gs)
                    }
                    _ => self.plan.inline_skipped += 1,
                },
                "Do" => {
                    let Some(name) = op.operands.first().and_then(|o| o.as_name().ok()) else {
                        continue;
                    };
                    let Some(Ok(id)) = pdf
                        .resource(resources, b"XObject", name)
                        .map(Object::as_reference)
                    else {
                        continue;
                    };
                    let Ok(Object::Stream(stream)) = pdf.doc.get_object(id) else {
                        continue;
                    };
                    match stream.dict.get(b"Subtype").and_then(Object::as_name) {
                        Ok(b"Image") => self.draw(ImageRef::Object(id), &gs),
                        Ok(b"Form") => {
                            self.plan.forms_seen += 1;
                            self.operations += FORM_COST;
                            if depth >= MAX_FORM_DEPTH || self.forms.contains(&id) {
                                self.plan.truncated |= depth >= MAX_FORM_DEPTH;
                                continue;
                            }
                            let Ok(inner) = stream.decompressed_content_with_limit(self.budget)
                            else {
                                continue;
                            };
                            self.budget = self.budget.saturating_sub(inner.len());
                            let form_resources = stream
                                .dict
                                .get(b"Resources")
                                .ok()
                                .map(|r| pdf.resolve(r))
                                .and_then(|r| r.as_dict().ok())
                                .or(resources);
                            let nums = |key: &[u8]| -> Vec<f64> {
                                stream
                                    .dict
                                    .get(key)
                                    .map(|o| pdf.resolve(o))
                                    .and_then(Object::as_array)
                                    .map(|a| {
                                        a.iter().filter_map(|o| number(pdf.resolve(o))).collect()
                                    })
                                    .unwrap_or_default()
                            };
                            let mut inner_state = gs.clone();
                            if let [a, b, c, d, e, f] = nums(b"Matrix")[..] {
                                let ctm = Matrix::new(a, b, c, d, e, f).then(gs.ctm);
                                if ctm.is_finite() {
                                    inner_state.ctm = ctm;
                                }
                            }
                            if let [x0, y0, x1, y1] = nums(b"BBox")[..] {
                                let b = Rect::around([(x0, y0), (x1, y1)])
                                    .transformed(&inner_state.ctm);
                                inner_state.clip =
                                    Some(inner_state.clip.map_or(b, |c| c.intersect(&b)));
                            }
                            self.forms.push(id);
                            // A form's damaged content ends the form only.
                            let _ = self.run(&inner, form_resources, inner_state, depth + 1);
                            self.forms.pop();
                        }
                        _ => {}
                    }
                }
                _ => {}
            }
            if self.plan.truncated {
                return None;
            }
        }
        None
    }

    fn draw(&mut self, image: ImageRef, gs: &GState) {
        if self.plan.draws.len() >= MAX_DRAWS {
            self.plan.truncated = true;
            return;
        }
        self.plan.draws.push(Draw {
            image,
            ctm: gs.ctm,
            clip: gs.clip,
            fill: gs.fill,
        });
    }
}

impl Pdf {
    /// The fill colour space a `cs` operand names.
    fn fill_space(&self, resources: Option<&Dictionary>, name: &[u8]) -> FillSpace {
        match name {
            b"DeviceGray" | b"CalGray" | b"G" => return FillSpace::Gray,
            b"DeviceRGB" | b"CalRGB" | b"RGB" => return FillSpace::Rgb,
            b"DeviceCMYK" | b"CMYK" => return FillSpace::Cmyk,
            _ => {}
        }
        let Some(space) = self.resource(resources, b"ColorSpace", name) else {
            return FillSpace::Other;
        };
        match self.color(self.resolve(space), 0) {
            Ok(Color::Gray) => FillSpace::Gray,
            Ok(Color::Rgb) => FillSpace::Rgb,
            Ok(Color::Cmyk) => FillSpace::Cmyk,
            Ok(Color::Ink) => FillSpace::Ink,
            _ => FillSpace::Other,
        }
    }

    fn decode_image(
        &self,
        stream: &lopdf::Stream,
        limits: &Limits,
    ) -> Result<(Gray, Source), Error> {
        let dict = &stream.dict;
        let width = self.int(dict, b"Width")?;
        let height = self.int(dict, b"Height")?;
        let (Ok(width), Ok(height)) = (u32::try_from(width), u32::try_from(height)) else {
            return Err(Error::Corrupt(
                "PDF: the image has a negative or huge size".into(),
            ));
        };
        let image_mask = dict
            .get(b"ImageMask")
            .and_then(Object::as_bool)
            .unwrap_or(false);
        let filters = self.names(dict, b"Filter")?;
        let parms = self.decode_parms(dict);
        let inverted = self.decode_inverted(dict);
        // The two encodings that carry their own size and colours.
        match filters.iter().map(Vec::as_slice).collect::<Vec<_>>()[..] {
            [b"JBIG2Decode"] => {
                limits.check(u64::from(width), u64::from(height), 8)?;
                let parms = parms.first().cloned().flatten();
                return self.jbig2(
                    &stream.content,
                    (width, height),
                    parms.as_ref(),
                    inverted,
                    limits,
                );
            }
            [b"JPXDecode"] => return jpeg2000(&stream.content, limits, inverted),
            _ => {}
        }
        let bits = if image_mask {
            1
        } else {
            match dict.get(b"BitsPerComponent").map(|o| self.resolve(o)) {
                Ok(o) => o.as_i64().unwrap_or(8),
                Err(_) => 8,
            }
        };
        let bits = u8::try_from(bits)
            .ok()
            .filter(|b| matches!(b, 1 | 2 | 4 | 8 | 16))
            .ok_or_else(|| Error::Corrupt(format!("PDF: {bits} bits per component")))?;
        let color = if image_mask {
            Color::Gray
        } else {
            self.color_space(dict)?
        };
        let components = color.components();
        match filters
            .iter()
            .map(Vec::as_slice)
            .collect::<Vec<_>>()
            .as_slice()
        {
            [b"DCTDecode" | b"DCT"] => {
                limits.check(u64::from(width), u64::from(height), 32)?;
                let mut gray =
                    raster::decode_png_jpeg(&stream.content, image::ImageFormat::Jpeg, limits)?;
                if inverted {
                    gray.pixels.iter_mut().for_each(|p| *p = 255 - *p);
                }
                Ok((gray, Source::PdfJpeg))
            }
            [b"CCITTFaxDecode" | b"CCF"] => {
                limits.check(u64::from(width), u64::from(height), 8)?;
                let parms = parms.first().cloned().flatten();
                self.ccitt(&stream.content, width, height, parms.as_ref(), inverted)
            }
            [b"FlateDecode" | b"Fl"] => {
                let layout = SampleLayout {
                    width,
                    height,
                    components,
                    bits,
                };
                limits.check(
                    u64::from(width),
                    u64::from(height),
                    u64::from(components) * u64::from(bits),
                )?;
                let parms = parms.first().cloned().flatten();
                let data = self.inflate(&stream.content, &layout, parms.as_ref())?;
                let gray = to_gray(&data, &layout, &color, inverted)?;
                Ok((gray, Source::PdfFlate))
            }
            [] => {
                let layout = SampleLayout {
                    width,
                    height,
                    components,
                    bits,
                };
                limits.check(
                    u64::from(width),
                    u64::from(height),
                    u64::from(components) * u64::from(bits),
                )?;
                let mut data = Zeroizing::new(stream.content.clone());
                data.resize(layout.row_bytes() * height as usize, 0xFF);
                let gray = to_gray(&data, &layout, &color, inverted)?;
                Ok((gray, Source::PdfUncompressed))
            }
            other => Err(Error::UnsupportedEncoding(format!(
                "PDF image filter {}",
                other
                    .iter()
                    .map(|f| String::from_utf8_lossy(f).into_owned())
                    .collect::<Vec<_>>()
                    .join(" + ")
            ))),
        }
    }

    fn resolve<'a>(&'a self, o: &'a Object) -> &'a Object {
        self.doc.dereference(o).map(|(_, o)| o).unwrap_or(o)
    }

    fn int(&self, dict: &Dictionary, key: &[u8]) -> Result<i64, Error> {
        dict.get(key)
            .map(|o| self.resolve(o))
            .and_then(Object::as_i64)
            .map_err(|_| {
                Error::Corrupt(format!(
                    "PDF: the image has no {}",
                    String::from_utf8_lossy(key)
                ))
            })
    }

    fn names(&self, dict: &Dictionary, key: &[u8]) -> Result<Vec<Vec<u8>>, Error> {
        match dict.get(key).map(|o| self.resolve(o)) {
            Err(_) => Ok(Vec::new()),
            Ok(Object::Name(n)) => Ok(vec![n.clone()]),
            Ok(Object::Array(a)) => a
                .iter()
                .map(|o| {
                    self.resolve(o)
                        .as_name()
                        .map(<[u8]>::to_vec)
                        .map_err(|_| Error::Corrupt("PDF: a filter is not a name".into()))
                })
                .collect(),
            Ok(_) => Err(Error::Corrupt(
                "PDF: the image's filter is not a name".into(),
            )),
        }
    }

    /// The decode parameters, one per filter (`None` where absent).
    fn decode_parms(&self, dict: &Dictionary) -> Vec<Option<Dictionary>> {
        let key = if dict.has(b"DecodeParms") {
            &b"DecodeParms"[..]
        } else {
            &b"DP"[..]
        };
        match dict.get(key).map(|o| self.resolve(o)) {
            Ok(Object::Dictionary(d)) => vec![Some(d.clone())],
            Ok(Object::Array(a)) => a
                .iter()
                .map(|o| self.resolve(o).as_dict().ok().cloned())
                .collect(),
            _ => vec![None],
        }
    }

    fn parm<'a>(&'a self, parms: Option<&'a Dictionary>, key: &[u8]) -> Option<&'a Object> {
        parms.and_then(|p| p.get(key).ok()).map(|o| self.resolve(o))
    }

    /// Whether the image's `Decode` array maps its samples the other way
    /// round (`[1 0]`: a 0 sample is white).
    fn decode_inverted(&self, dict: &Dictionary) -> bool {
        let Ok(Object::Array(d)) = dict.get(b"Decode").map(|o| self.resolve(o)) else {
            return false;
        };
        let n: Vec<f64> = d.iter().filter_map(number).collect();
        matches!(n.as_slice(), [a, b, ..] if a > b)
    }

    fn color_space(&self, dict: &Dictionary) -> Result<Color, Error> {
        let Ok(cs) = dict.get(b"ColorSpace").map(|o| self.resolve(o)) else {
            return Err(Error::Corrupt("PDF: the image has no colour space".into()));
        };
        self.color(cs, 0)
    }

    fn color(&self, cs: &Object, depth: usize) -> Result<Color, Error> {
        if depth > 4 {
            return Err(Error::Corrupt("PDF: colour spaces nest too deep".into()));
        }
        let unsupported = |name: &[u8]| {
            Error::UnsupportedEncoding(format!(
                "PDF image colour space {}",
                String::from_utf8_lossy(name)
            ))
        };
        match cs {
            Object::Name(n) => match n.as_slice() {
                b"DeviceGray" | b"CalGray" | b"G" => Ok(Color::Gray),
                b"DeviceRGB" | b"CalRGB" | b"RGB" => Ok(Color::Rgb),
                b"DeviceCMYK" | b"CMYK" => Ok(Color::Cmyk),
                other => Err(unsupported(other)),
            },
            Object::Array(a) => {
                let Some(family) = a
                    .first()
                    .map(|o| self.resolve(o))
                    .and_then(|o| o.as_name().ok())
                else {
                    return Err(Error::Corrupt("PDF: a colour space without a name".into()));
                };
                match family {
                    b"CalGray" => Ok(Color::Gray),
                    b"CalRGB" | b"Lab" => Ok(Color::Rgb),
                    b"ICCBased" => {
                        let n = a
                            .get(1)
                            .map(|o| self.resolve(o))
                            .and_then(|o| o.as_stream().ok())
                            .and_then(|s| s.dict.get(b"N").ok().and_then(|n| n.as_i64().ok()));
                        match n {
                            Some(1) => Ok(Color::Gray),
                            Some(3) => Ok(Color::Rgb),
                            Some(4) => Ok(Color::Cmyk),
                            _ => Err(Error::Corrupt("PDF: an ICC profile without N".into())),
                        }
                    }
                    b"Separation" => Ok(Color::Ink),
                    b"Indexed" | b"I" => {
                        let base = a.get(1).map(|o| self.resolve(o)).ok_or_else(|| {
                            Error::Corrupt("PDF: an indexed colour space without a base".into())
                        })?;
                        let base = self.color(base, depth + 1)?;
                        let lookup = match a.get(3).map(|o| self.resolve(o)) {
                            Some(Object::String(s, _)) => s.clone(),
                            Some(Object::Stream(s)) => s
                                .decompressed_content_with_limit(1 << 16)
                                .unwrap_or_else(|_| s.content.clone()),
                            _ => {
                                return Err(Error::Corrupt(
                                    "PDF: a palette without colours".into(),
                                ));
                            }
                        };
                        let n = base.components() as usize;
                        let palette: Vec<u8> = lookup
                            .chunks(n)
                            .filter(|c| c.len() == n)
                            .map(|c| base.gray(c))
                            .collect();
                        Ok(Color::Indexed(palette))
                    }
                    other => Err(unsupported(other)),
                }
            }
            _ => Err(Error::Corrupt(
                "PDF: the colour space is not a name or array".into(),
            )),
        }
    }

    /// Inflates a Flate image's data up to exactly the size the image
    /// needs (a stream that inflates to more is a bomb, and its excess is
    /// never produced), then undoes a PNG or TIFF predictor.
    fn inflate(
        &self,
        data: &[u8],
        layout: &SampleLayout,
        parms: Option<&Dictionary>,
    ) -> Result<Zeroizing<Vec<u8>>, Error> {
        let predictor = self
            .parm(parms, b"Predictor")
            .and_then(|o| o.as_i64().ok())
            .unwrap_or(1);
        let row = layout.row_bytes();
        let h = layout.height as usize;
        let png = predictor >= 10;
        let wanted = if png { (row + 1) * h } else { row * h };
        let mut out = Zeroizing::new(Vec::with_capacity(wanted));
        let mut decoder = flate2::read::ZlibDecoder::new(data).take(wanted as u64);
        if let Err(e) = decoder.read_to_end(&mut out) {
            // A stream cut short still gives its first rows; nothing at
            // all is a damaged image.
            if out.is_empty() {
                return Err(Error::Corrupt(format!(
                    "PDF: the image data does not inflate ({e})"
                )));
            }
        }
        out.resize(wanted, if png { 0 } else { 0xFF });
        match predictor {
            1 => Ok(out),
            2 => {
                if layout.bits != 8 {
                    return Err(Error::UnsupportedEncoding(
                        "TIFF predictor on samples other than 8-bit".into(),
                    ));
                }
                let n = layout.components as usize;
                for r in out.chunks_mut(row) {
                    for i in n..r.len() {
                        r[i] = r[i].wrapping_add(r[i - n]);
                    }
                }
                Ok(out)
            }
            10..=15 => {
                let bpp = (layout.components as usize * layout.bits as usize).div_ceil(8);
                let mut plain = Zeroizing::new(vec![0u8; row * h]);
                let mut prior = vec![0u8; row];
                for y in 0..h {
                    let src = &out[y * (row + 1)..(y + 1) * (row + 1)];
                    let (kind, src) = (src[0], &src[1..]);
                    let dst = &mut plain[y * row..(y + 1) * row];
                    for i in 0..row {
                        let a = if i >= bpp { dst[i - bpp] } else { 0 };
                        let b = prior[i];
                        let c = if i >= bpp { prior[i - bpp] } else { 0 };
                        let x = src[i];
                        dst[i] = match kind {
                            0 => x,
                            1 => x.wrapping_add(a),
                            2 => x.wrapping_add(b),
                            3 => x.wrapping_add(((u16::from(a) + u16::from(b)) / 2) as u8),
                            4 => x.wrapping_add(paeth(a, b, c)),
                            _ => {
                                return Err(Error::Corrupt("PDF: a bad PNG predictor row".into()));
                            }
                        };
                    }
                    prior.copy_from_slice(dst);
                }
                Ok(plain)
            }
            other => Err(Error::UnsupportedEncoding(format!(
                "Flate predictor {other}"
            ))),
        }
    }

    /// A CCITT fax image: Group 4 (K < 0) or Group 3 one-dimensional
    /// (K = 0). Group 3 two-dimensional (K > 0) is not decoded.
    fn ccitt(
        &self,
        data: &[u8],
        width: u32,
        height: u32,
        parms: Option<&Dictionary>,
        inverted: bool,
    ) -> Result<(Gray, Source), Error> {
        let int = |key: &[u8], default: i64| {
            self.parm(parms, key)
                .and_then(|o| o.as_i64().ok())
                .unwrap_or(default)
        };
        let k = int(b"K", 0);
        let columns = u32::try_from(int(b"Columns", 1728))
            .ok()
            .filter(|&c| c > 0 && c <= width.saturating_mul(2).max(1728))
            .ok_or_else(|| Error::Corrupt("PDF: bad CCITT Columns".into()))?;
        let black_is_1 = self
            .parm(parms, b"BlackIs1")
            .and_then(|o| o.as_bool().ok())
            .unwrap_or(false);
        // A fax "black" run is a 0 sample unless BlackIs1; a 0 sample is
        // black unless the Decode array inverts it (ImageMask alike).
        let black_value = if black_is_1 != inverted { 255u8 } else { 0 };
        let white_value = 255 - black_value;
        let mut gray = Gray::white(width, height);
        if white_value != 255 {
            gray.pixels.iter_mut().for_each(|p| *p = white_value);
        }
        let w = width as usize;
        let mut y = 0usize;
        let mut line = |transitions: &[u32]| {
            if y >= height as usize {
                return;
            }
            let row = &mut gray.pixels[y * w..(y + 1) * w];
            for (px, color) in row.iter_mut().zip(fax::decoder::pels(transitions, columns)) {
                *px = if color == fax::Color::Black {
                    black_value
                } else {
                    white_value
                };
            }
            y += 1;
        };
        let (ok, source) = if k < 0 {
            let ok =
                fax::decoder::decode_g4(data.iter().copied(), columns, Some(height), &mut line);
            (ok, Source::PdfCcittG4)
        } else if k == 0 {
            (
                fax::decoder::decode_g3(data.iter().copied(), &mut line),
                Source::PdfCcittG3,
            )
        } else {
            return Err(Error::UnsupportedEncoding(
                "CCITT Group 3 two-dimensional (K > 0)".into(),
            ));
        };
        // A decoder that stops early keeps the rows it made; none at all
        // is a damaged image.
        if ok.is_none() && y == 0 {
            return Err(Error::Corrupt(
                "PDF: the CCITT image does not decode".into(),
            ));
        }
        Ok((gray, source))
    }
}

impl Pdf {
    /// A JBIG2 image (office scanners' usual encoding for text pages), in
    /// the embedded organisation, with the shared symbols of
    /// `/JBIG2Globals`. A decoded 1 is black; the `Decode` array may swap
    /// it, as for an image mask.
    fn jbig2(
        &self,
        data: &[u8],
        (width, height): (u32, u32),
        parms: Option<&Dictionary>,
        inverted: bool,
        limits: &Limits,
    ) -> Result<(Gray, Source), Error> {
        let settings = hayro_jbig2::DecodeSettings::default();
        let corrupt = |e: hayro_jbig2::DecodeError| {
            Error::Corrupt(short(&format!("PDF: the JBIG2 image does not decode: {e}")))
        };
        let globals_data = match self.parm(parms, b"JBIG2Globals") {
            Some(Object::Stream(s)) => Some(
                s.decompressed_content_with_limit(MAX_CONTENT)
                    .map_err(pdf_error)?,
            ),
            _ => None,
        };
        let globals = globals_data
            .as_deref()
            .map(|g| hayro_jbig2::Globals::new(g, &settings))
            .transpose()
            .map_err(corrupt)?;
        let page =
            hayro_jbig2::Page::new_embedded(data, globals.as_ref(), &settings).map_err(corrupt)?;
        // The decoder's own page bitmap has the size the stream declares,
        // which need not be the image's: both are checked.
        limits.check(u64::from(page.width()), u64::from(page.height()), 8)?;
        let (black, white) = if inverted { (255, 0) } else { (0, 255) };
        let mut out = Jbig2Gray {
            gray: Gray::white(width, height),
            black,
            white,
            x: 0,
            y: 0,
        };
        if white != 255 {
            out.gray.pixels.iter_mut().for_each(|p| *p = white);
        }
        page.decode(&mut out).map_err(corrupt)?;
        Ok((out.gray, Source::PdfJbig2))
    }
}

/// Receives a JBIG2 page's pixels row by row into a gray image of the
/// size the PDF gives; pixels outside it are dropped.
struct Jbig2Gray {
    gray: Gray,
    black: u8,
    white: u8,
    x: u32,
    y: u32,
}

impl hayro_jbig2::Decoder for Jbig2Gray {
    fn push_pixel(&mut self, black: bool) {
        self.push(black, 1);
    }

    fn push_pixel_chunk(&mut self, black: bool, chunk_count: u32) {
        self.push(black, chunk_count.saturating_mul(8));
    }

    fn next_line(&mut self) {
        self.x = 0;
        self.y = self.y.saturating_add(1);
    }
}

impl Jbig2Gray {
    fn push(&mut self, black: bool, count: u32) {
        let (w, h) = (self.gray.width, self.gray.height);
        if self.y < h && self.x < w {
            let start = self.y as usize * w as usize + self.x as usize;
            let n = count.min(w - self.x) as usize;
            let value = if black { self.black } else { self.white };
            self.gray.pixels[start..start + n].fill(value);
        }
        self.x = self.x.saturating_add(count);
    }
}

/// A JPEG 2000 image: its size and colours come from its own header, which
/// is read (allocating nothing large) and checked before decoding.
fn jpeg2000(data: &[u8], limits: &Limits, inverted: bool) -> Result<(Gray, Source), Error> {
    let corrupt = |e: hayro_jpeg2000::DecodeError| {
        Error::Corrupt(short(&format!(
            "PDF: the JPEG 2000 image does not decode: {e}"
        )))
    };
    let settings = hayro_jpeg2000::DecodeSettings::default();
    let image = hayro_jpeg2000::Image::new(data, &settings).map_err(corrupt)?;
    let (width, height) = (image.width(), image.height());
    let channels = image.color_space().num_channels() + u8::from(image.has_alpha());
    // The decoder keeps every channel as 32-bit floats while it works.
    limits.check(
        u64::from(width),
        u64::from(height),
        u64::from(channels) * 32,
    )?;
    let color = match image.color_space() {
        hayro_jpeg2000::ColorSpace::Gray => Color::Gray,
        hayro_jpeg2000::ColorSpace::RGB => Color::Rgb,
        hayro_jpeg2000::ColorSpace::CMYK => Color::Cmyk,
        other => match other.num_channels() {
            1 => Color::Gray,
            3 => Color::Rgb,
            4 => Color::Cmyk,
            n => {
                return Err(Error::UnsupportedEncoding(format!(
                    "a JPEG 2000 image with {n} colour channels"
                )));
            }
        },
    };
    let mut context = hayro_jpeg2000::DecoderContext::default();
    let decoded = image.decode(&mut context).map_err(corrupt)?;
    let mut samples = Zeroizing::new(decoded.data_u8());
    let stride = usize::from(channels);
    if image.has_alpha() {
        // Drop the alpha channel: a page is read as printed on white.
        let colours = stride - 1;
        let mut packed = Zeroizing::new(Vec::with_capacity(samples.len() / stride * colours));
        for px in samples.chunks_exact(stride) {
            packed.extend_from_slice(&px[..colours]);
        }
        samples = packed;
    }
    let layout = SampleLayout {
        width,
        height,
        components: color.components(),
        bits: 8,
    };
    if samples.len() < layout.row_bytes() * height as usize {
        return Err(Error::Corrupt(
            "PDF: the JPEG 2000 image is shorter than its size".into(),
        ));
    }
    let gray = to_gray(&samples, &layout, &color, inverted)?;
    Ok((gray, Source::PdfJpeg2000))
}

fn non_empty_string(o: &Object) -> bool {
    matches!(o, Object::String(s, _) if !s.is_empty())
}

fn paeth(a: u8, b: u8, c: u8) -> u8 {
    let p = i16::from(a) + i16::from(b) - i16::from(c);
    let (pa, pb, pc) = (
        (p - i16::from(a)).abs(),
        (p - i16::from(b)).abs(),
        (p - i16::from(c)).abs(),
    );
    if pa <= pb && pa <= pc {
        a
    } else if pb <= pc {
        b
    } else {
        c
    }
}

fn number(o: &Object) -> Option<f64> {
    match o {
        Object::Integer(i) => Some(*i as f64),
        Object::Real(r) => Some(f64::from(*r)),
        _ => None,
    }
}

fn pdf_error(e: lopdf::Error) -> Error {
    Error::Corrupt(format!("PDF: {}", short(&e.to_string())))
}

/// A parser's message, cut to a length fit for a status line.
fn short(message: &str) -> String {
    message.chars().take(160).collect()
}

/// An image's colour space, reduced to what gray needs.
enum Color {
    Gray,
    Rgb,
    Cmyk,
    /// A single ink: 0 is no ink (white), the maximum is full ink.
    Ink,
    /// Gray values of the palette entries.
    Indexed(Vec<u8>),
}

impl Color {
    fn components(&self) -> u8 {
        match self {
            Color::Gray | Color::Ink | Color::Indexed(_) => 1,
            Color::Rgb => 3,
            Color::Cmyk => 4,
        }
    }

    /// The gray of one 8-bit pixel of this space (for palettes).
    fn gray(&self, s: &[u8]) -> u8 {
        match self {
            Color::Gray => s[0],
            Color::Ink => 255 - s[0],
            Color::Rgb => raster::luma(s[0], s[1], s[2]),
            Color::Cmyk => raster::cmyk_to_gray(s[0], s[1], s[2], s[3]),
            Color::Indexed(p) => p.get(s[0] as usize).copied().unwrap_or(255),
        }
    }
}

fn to_gray(
    data: &[u8],
    layout: &SampleLayout,
    color: &Color,
    inverted: bool,
) -> Result<Gray, Error> {
    let scale = |v: u16, max: u16| (u32::from(v) * 255 / u32::from(max.max(1))) as u8;
    raster::samples_to_gray(data, layout, &|s: &[u16], max: u16| {
        let g = match color {
            Color::Indexed(p) => p.get(s[0] as usize).copied().unwrap_or(255),
            Color::Gray => scale(s[0], max),
            Color::Ink => 255 - scale(s[0], max),
            Color::Rgb => raster::luma(scale(s[0], max), scale(s[1], max), scale(s[2], max)),
            Color::Cmyk => raster::cmyk_to_gray(
                scale(s[0], max),
                scale(s[1], max),
                scale(s[2], max),
                scale(s[3], max),
            ),
        };
        if inverted && !matches!(color, Color::Indexed(_)) {
            255 - g
        } else {
            g
        }
    })
}

/// An inline image's dictionary with its abbreviated keys written out, so
/// it decodes as an image XObject does.
fn inline_image(stream: &lopdf::Stream) -> lopdf::Stream {
    let mut dict = Dictionary::new();
    for (key, value) in stream.dict.iter() {
        let full: &[u8] = match key.as_slice() {
            b"W" => b"Width",
            b"H" => b"Height",
            b"BPC" => b"BitsPerComponent",
            b"CS" => b"ColorSpace",
            b"IM" => b"ImageMask",
            b"D" => b"Decode",
            b"F" => b"Filter",
            b"DP" => b"DecodeParms",
            other => other,
        };
        dict.set(full.to_vec(), value.clone());
    }
    let mut s = lopdf::Stream::new(dict, stream.content.clone());
    s.allows_compression = false;
    s
}

/// The resolution of an image from the size its CTM gives it on the page
/// (the area of its unit square, in points).
fn placed_dpi(ctm: &Matrix, gray: &Gray) -> Option<u32> {
    let area = (ctm.a * ctm.d - ctm.b * ctm.c).abs();
    if !area.is_finite() || area < 1.0 {
        return None;
    }
    let dpi = (f64::from(gray.width) * f64::from(gray.height) * 72.0 * 72.0 / area).sqrt();
    raster::plausible_dpi(dpi)
}
