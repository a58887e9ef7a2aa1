//! Tesseract, configured to write nothing, and its language data.

use std::path::{Path, PathBuf};

use tesseract::{OcrEngineMode, PageSegMode, Tesseract};
use zeroize::Zeroizing;

use crate::gray::Gray;
use crate::{Error, Options};

/// Variables set on every engine so that Tesseract writes no file and
/// prints nothing (see the crate documentation). Each name is checked:
/// Tesseract refuses an unknown one, and so does [`Tess::new`].
pub const QUIET: &[(&str, &str)] = &[
    // tprintf's destination (stderr by default): the null device.
    ("debug_file", "/dev/null"),
    // `tessinput.tif` (ProcessPage only; off regardless).
    ("tessedit_write_images", "0"),
    // Page-segmentation debug images.
    ("tessedit_dump_pageseg_images", "0"),
    // A dump of every parameter into a file.
    ("tessedit_write_params_to_file", ""),
    // Training and box outputs.
    ("tessedit_train_from_boxes", "0"),
    ("tessedit_make_boxes_from_boxes", "0"),
    ("tessedit_write_unlv", "0"),
    ("tessedit_create_boxfile", "0"),
    // ScrollView debug windows (a socket, not a file, but not wanted).
    ("textord_tabfind_show_images", "0"),
    ("interactive_display_mode", "0"),
];

/// The folder holding the traineddata files: `explicit` if given, else
/// `TESSDATA_PREFIX` (the folder itself or its `tessdata`), else the first
/// of the usual system folders that holds any.
pub fn tessdata_dir(explicit: Option<&Path>) -> Result<PathBuf, Error> {
    let mut candidates: Vec<PathBuf> = Vec::new();
    if let Some(p) = explicit {
        candidates.push(p.to_path_buf());
    } else {
        if let Some(prefix) = std::env::var_os("TESSDATA_PREFIX") {
            let prefix = PathBuf::from(prefix);
            candidates.push(prefix.join("tessdata"));
            candidates.push(prefix);
        }
        for p in [
            "/usr/share/tesseract-ocr/5/tessdata",
            "/usr/share/tesseract-ocr/4.00/tessdata",
            "/usr/share/tessdata",
            "/usr/local/share/tessdata",
            "/opt/homebrew/share/tessdata",
            "/usr/local/share/tesseract-ocr/tessdata",
        ] {
            candidates.push(PathBuf::from(p));
        }
    }
    candidates
        .iter()
        .find(|d| !list(d).is_empty())
        .cloned()
        .ok_or_else(|| {
            Error::NoLanguageData(
                candidates
                    .iter()
                    .map(|c| c.display().to_string())
                    .collect::<Vec<_>>()
                    .join(", "),
            )
        })
}

/// The traineddata names in `dir` (including `osd`), sorted.
fn list(dir: &Path) -> Vec<String> {
    let Ok(entries) = std::fs::read_dir(dir) else {
        return Vec::new();
    };
    let mut names: Vec<String> = entries
        .filter_map(|e| e.ok())
        .filter_map(|e| {
            e.file_name()
                .to_str()
                .and_then(|n| n.strip_suffix(".traineddata"))
                .map(str::to_owned)
        })
        .filter(|n| valid_code(n))
        .collect();
    names.sort();
    names
}

/// The languages installed (traineddata files, without the orientation
/// model `osd`), for the vault setting to offer.
pub fn available_languages(tessdata: Option<&Path>) -> Result<Vec<String>, Error> {
    let dir = tessdata_dir(tessdata)?;
    Ok(list(&dir).into_iter().filter(|n| n != "osd").collect())
}

/// Tesseract language names: letters, digits and `_` (`eng`, `chi_sim`).
fn valid_code(code: &str) -> bool {
    !code.is_empty()
        && code.len() <= 32
        && code.bytes().all(|b| b.is_ascii_alphanumeric() || b == b'_')
}

/// The Debian package that installs a language's traineddata.
pub fn debian_package(code: &str) -> String {
    format!(
        "tesseract-ocr-{}",
        code.to_ascii_lowercase().replace('_', "-")
    )
}

pub struct Recognised {
    pub text: Zeroizing<String>,
    pub mean_confidence: u8,
    pub orientation: u16,
}

pub struct Tess {
    /// `None` after a failed call consumed it; started again on the next.
    api: Option<Tesseract>,
    dir: PathBuf,
    languages: String,
    orientation: bool,
}

impl Tess {
    pub fn new(options: &Options) -> Result<Tess, Error> {
        let dir = tessdata_dir(options.tessdata.as_deref())?;
        let installed = list(&dir);
        if options.languages.is_empty() {
            return Err(Error::InvalidLanguage(String::new()));
        }
        for code in &options.languages {
            if !valid_code(code) {
                return Err(Error::InvalidLanguage(code.chars().take(40).collect()));
            }
            if !installed.contains(code) || code == "osd" {
                return Err(Error::MissingLanguage {
                    code: code.clone(),
                    package: debian_package(code),
                });
            }
        }
        if options.detect_orientation && !installed.iter().any(|n| n == "osd") {
            return Err(Error::MissingLanguage {
                code: "osd".into(),
                package: debian_package("osd"),
            });
        }
        let mut tess = Tess {
            api: None,
            dir,
            languages: options.languages.join("+"),
            orientation: options.detect_orientation,
        };
        tess.api = Some(tess.start()?);
        Ok(tess)
    }

    fn start(&self) -> Result<Tesseract, Error> {
        let dir = self.dir.to_str().ok_or_else(|| {
            Error::Tesseract("the language data folder's name is not UTF-8".into())
        })?;
        let mut api =
            Tesseract::new_with_oem(Some(dir), Some(&self.languages), OcrEngineMode::Default)
                .map_err(|_| Error::Tesseract("could not start with these languages".into()))?;
        for (name, value) in QUIET {
            api = api.set_variable(name, value).map_err(|_| {
                Error::Tesseract(format!("this Tesseract does not know the variable {name}"))
            })?;
        }
        api.set_page_seg_mode(if self.orientation {
            PageSegMode::PsmAutoOsd
        } else {
            PageSegMode::PsmAuto
        });
        Ok(api)
    }

    pub fn recognise(&mut self, gray: &Gray) -> Result<Recognised, Error> {
        let api = match self.api.take() {
            Some(api) => api,
            None => self.start()?,
        };
        let (w, h) = (
            i32::try_from(gray.width).map_err(|_| Error::Tesseract("image too wide".into()))?,
            i32::try_from(gray.height).map_err(|_| Error::Tesseract("image too tall".into()))?,
        );
        let mut api = api
            .set_frame(&gray.pixels, w, h, 1, w)
            .map_err(|e| Error::Tesseract(format!("the image was refused: {e}")))?;
        if let Some(dpi) = gray.dpi.and_then(|d| i32::try_from(d).ok()) {
            api = api.set_source_resolution(dpi);
        }
        let mut api = api
            .recognize()
            .map_err(|_| Error::Tesseract("recognition failed".into()))?;
        let text = Zeroizing::new(
            api.get_text()
                .map_err(|_| Error::Tesseract("no text came back".into()))?,
        );
        let confidence = api.mean_text_conf().clamp(0, 100) as u8;
        let orientation = if self.orientation {
            let hocr = Zeroizing::new(api.get_hocr_text(0).unwrap_or_default());
            orientation_of(&hocr)
        } else {
            0
        };
        self.api = Some(api);
        let trimmed = text.trim_end();
        let text = if trimmed.len() == text.len() {
            text
        } else {
            Zeroizing::new(trimmed.to_owned())
        };
        Ok(Recognised {
            text,
            mean_confidence: confidence,
            orientation,
        })
    }
}

impl Tess {
    /// Recognises `gray` and returns its words with their boxes, from
    /// Tesseract's TSV output (level 5 rows), in the image's pixels.
    pub fn words(&mut self, gray: &Gray) -> Result<Vec<crate::WordBox>, Error> {
        let api = match self.api.take() {
            Some(api) => api,
            None => self.start()?,
        };
        let (w, h) = (
            i32::try_from(gray.width).map_err(|_| Error::Tesseract("image too wide".into()))?,
            i32::try_from(gray.height).map_err(|_| Error::Tesseract("image too tall".into()))?,
        );
        let mut api = api
            .set_frame(&gray.pixels, w, h, 1, w)
            .map_err(|e| Error::Tesseract(format!("the image was refused: {e}")))?;
        if let Some(dpi) = gray.dpi.and_then(|d| i32::try_from(d).ok()) {
            api = api.set_source_resolution(dpi);
        }
        let mut api = api
            .recognize()
            .map_err(|_| Error::Tesseract("recognition failed".into()))?;
        let tsv = Zeroizing::new(
            api.get_tsv_text(0)
                .map_err(|_| Error::Tesseract("no words came back".into()))?,
        );
        self.api = Some(api);
        Ok(words_of_tsv(&tsv))
    }
}

/// The words of a TSV page: `level page block par line word left top
/// width height conf text`, level 5 being a word. A line is numbered
/// across blocks and paragraphs.
pub fn words_of_tsv(tsv: &str) -> Vec<crate::WordBox> {
    let mut words = Vec::new();
    let mut lines = 0u32;
    let mut last_line = None;
    for row in tsv.lines() {
        let cols: Vec<&str> = row.splitn(12, '\t').collect();
        if cols.len() < 12 || cols[0] != "5" {
            continue;
        }
        let n = |i: usize| cols[i].trim().parse::<u32>().ok();
        let (Some(left), Some(top), Some(width), Some(height)) = (n(6), n(7), n(8), n(9)) else {
            continue;
        };
        let text = cols[11].trim();
        if text.is_empty() {
            continue;
        }
        let key = (cols[2], cols[3], cols[4]);
        if last_line != Some(key) {
            lines += 1;
            last_line = Some(key);
        }
        words.push(crate::WordBox {
            text: Zeroizing::new(text.to_owned()),
            left,
            top,
            width,
            height,
            line: lines,
        });
    }
    words
}

/// The orientation most of the page's lines were found in: the commonest
/// `textangle` of the hOCR lines (Tesseract writes one on lines it read
/// turned; none means upright), weighted by the line's length.
pub fn orientation_of(hocr: &str) -> u16 {
    let mut weight = [0usize; 4];
    for line in hocr.split("class='ocr_line'").skip(1) {
        let title = line
            .split("title=\"")
            .nth(1)
            .and_then(|t| t.split('"').next())
            .unwrap_or("");
        let angle = title
            .split(';')
            .find_map(|p| p.trim().strip_prefix("textangle "))
            .and_then(|a| a.trim().parse::<u16>().ok())
            .unwrap_or(0);
        let len = line.split("class='ocr_line'").next().map_or(0, str::len);
        weight[usize::from(angle / 90 % 4)] += len.max(1);
    }
    let best = (0..4)
        .max_by_key(|&i| (weight[i], usize::from(i == 0)))
        .unwrap_or(0);
    (best * 90) as u16
}
