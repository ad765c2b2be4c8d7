//! Reading the text of a scanned resume (an image-only PDF, a PNG or a JPEG): Amazon Textract in
//! the AWS family, Tesseract in the embedded default.

use clearview_screening::{DocKind, OcrSource};

/// What the pictures are.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ScanKind {
    /// A PDF without a text layer: its pages are pictures.
    Pdf,
    Png,
    Jpeg,
}

impl ScanKind {
    /// The kind of a document screening could not read without OCR (`None` for the others).
    pub fn of(kind: DocKind) -> Option<Self> {
        match kind {
            DocKind::Pdf => Some(ScanKind::Pdf),
            DocKind::Png => Some(ScanKind::Png),
            DocKind::Jpeg => Some(ScanKind::Jpeg),
            DocKind::Docx | DocKind::Text => None,
        }
    }

    pub fn doc_kind(self) -> DocKind {
        match self {
            ScanKind::Pdf => DocKind::Pdf,
            ScanKind::Png => DocKind::Png,
            ScanKind::Jpeg => DocKind::Jpeg,
        }
    }
}

/// One line of recognised text, in reading order.
#[derive(Debug, Clone, PartialEq)]
pub struct OcrLine {
    pub text: String,
    /// 0..1.
    pub confidence: f64,
    /// 1-based page the line is on.
    pub page: u32,
}

/// What an engine read: lines in reading order (top to bottom, then left to right), and the
/// whole text (lines joined by `\n`, a blank line between blocks, a form feed between pages).
#[derive(Debug, Clone, PartialEq)]
pub struct OcrText {
    pub text: String,
    pub lines: Vec<OcrLine>,
    /// 0..1: mean confidence over what was read (0 when nothing was).
    pub mean_confidence: f64,
    /// The engine and its version, e.g. `tesseract 5.3.0`.
    pub engine: String,
    /// Pages read.
    pub pages: u32,
}

impl OcrText {
    /// How the text was read, as stored beside the parse.
    pub fn source(&self) -> OcrSource {
        OcrSource { engine: self.engine.clone(), mean_confidence: self.mean_confidence, pages: self.pages }
    }
}

#[derive(Debug, Clone, PartialEq, thiserror::Error)]
pub enum OcrError {
    /// The engine cannot be reached or is not installed or configured: try again later (the
    /// message ends in a dead-letter queue with this reason if it never comes back).
    #[error("OCR unavailable: {0}")]
    Unavailable(String),
    /// The engine refused this document (unreadable image, unsupported layout, too large):
    /// trying again will not help.
    #[error("OCR could not read the document: {0}")]
    Unreadable(String),
}

/// Recognises the text in pictures of a document.
#[async_trait::async_trait]
pub trait Ocr: Send + Sync {
    async fn recognize(&self, bytes: &[u8], kind: ScanKind) -> Result<OcrText, OcrError>;
}

/// Mean of the confidences (0 for none), rounded to 3 decimals.
pub fn mean_confidence(confidences: impl IntoIterator<Item = f64>) -> f64 {
    let (sum, n) = confidences.into_iter().fold((0.0, 0u32), |(s, n), c| (s + c, n + 1));
    if n == 0 { 0.0 } else { ((sum / f64::from(n)) * 1000.0).round() / 1000.0 }
}
