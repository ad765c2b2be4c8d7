//! Structuring what an OCR engine read from a scanned resume (an image-only PDF, a PNG or a
//! JPEG), and the record of that reading kept beside the parse.
//!
//! The engines themselves are adapters (`clearview-local`: Tesseract; `clearview-aws`: Amazon
//! Textract) behind `clearview_core::ports::ocr`; this module stays pure: text in, a
//! [`ParsedResume`] out, the same structuring as any text resume, so a scan scores like its text
//! twin. Its parse confidence is the structure's confidence times the engine's mean word
//! confidence (a doubtful reading is a less certain parse), and [`OcrSource`] says which engine
//! read it.

use serde::{Deserialize, Serialize};

use crate::extract::{DocKind, MIN_TEXT_CHARS, ParseFailure};
use crate::structure::{ParsedResume, parse_text_at};

/// How a resume's text was read by OCR: stored beside the parse (see [`ParsedDocument`]).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct OcrSource {
    /// The engine and its version, e.g. `tesseract 5.3.0` or `amazon-textract 1.0`.
    pub engine: String,
    /// 0..1: the engine's mean confidence over the words (lines for Textract) it read.
    pub mean_confidence: f64,
    /// Pages read (a long scan is read up to the engine's page cap).
    pub pages: u32,
}

/// A stored parse result: the parsed resume and, when its text came from OCR, how. Stored as
/// the parsed resume's own JSON with an `ocr` member beside it, so a [`ParsedResume`] still
/// reads from it and results stored before OCR read as text-layer parses (`ocr` absent).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct ParsedDocument {
    #[serde(flatten)]
    pub resume: ParsedResume,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub ocr: Option<OcrSource>,
}

impl ParsedDocument {
    /// A parse of a document's own text layer.
    pub fn text_layer(resume: ParsedResume) -> Self {
        Self { resume, ocr: None }
    }

    /// `"ocr"` when the text came from an OCR engine, `"text"` otherwise.
    pub fn extraction(&self) -> &'static str {
        if self.ocr.is_some() { "ocr" } else { "text" }
    }
}

/// Structures the text an OCR engine read from a scan of `kind`, "Present" meaning `as_of`.
/// Too little text is the scan's own failure ([`ParseFailure::ImageOnlyPdf`] or
/// [`ParseFailure::ImageDocument`]: nothing readable was recognised).
pub fn parse_recognized_at(
    text: &str,
    kind: DocKind,
    source: &OcrSource,
    as_of: time::Date,
) -> Result<ParsedDocument, ParseFailure> {
    let visible = text.chars().filter(|c| !c.is_whitespace() && !c.is_control()).count();
    if visible < MIN_TEXT_CHARS {
        return Err(match kind {
            DocKind::Png | DocKind::Jpeg => ParseFailure::ImageDocument { kind },
            _ => ParseFailure::ImageOnlyPdf,
        });
    }
    let mut resume = parse_text_at(text, as_of);
    resume.document.kind = kind;
    resume.document.pages = source.pages.max(1);
    resume.document.image_count = source.pages.max(1);
    resume
        .document
        .notes
        .push(format!("text read by OCR ({}, mean confidence {:.2})", source.engine, source.mean_confidence));
    let factor = source.mean_confidence.clamp(0.0, 1.0);
    resume.confidence = (resume.confidence * factor * 100.0).round() / 100.0;
    Ok(ParsedDocument { resume, ocr: Some(source.clone()) })
}

#[cfg(test)]
mod tests {
    use super::*;

    const AS_OF: time::Date = time::macros::date!(2025 - 01 - 15);

    fn source(conf: f64) -> OcrSource {
        OcrSource { engine: "tesseract 5.3.0".into(), mean_confidence: conf, pages: 1 }
    }

    const TEXT: &str = "Jane Doe\njane@example.com\n\nExperience\nSoftware Engineer, Acme Corp, Jan 2020 - Present\n\n\
                        Skills\nPython, SQL, Docker\n";

    #[test]
    fn ocr_text_parses_like_text_and_its_confidence_carries_the_engines() {
        let doc = parse_recognized_at(TEXT, DocKind::Png, &source(0.8), AS_OF).unwrap();
        let plain = parse_text_at(TEXT, AS_OF);
        assert_eq!(doc.resume.skills, plain.skills);
        assert_eq!(doc.resume.experience, plain.experience);
        assert_eq!(doc.resume.document.kind, DocKind::Png);
        assert!((doc.resume.confidence - (plain.confidence * 0.8 * 100.0).round() / 100.0).abs() < 1e-9);
        assert!(doc.resume.document.notes.iter().any(|n| n.contains("OCR (tesseract 5.3.0, mean confidence 0.80)")));
        assert_eq!(doc.extraction(), "ocr");
    }

    #[test]
    fn a_scan_with_almost_no_recognised_text_fails_as_the_scan_it_is() {
        let png = parse_recognized_at(" ~ . \n", DocKind::Png, &source(0.3), AS_OF).unwrap_err();
        assert_eq!(png.code(), "image_document");
        let pdf = parse_recognized_at("", DocKind::Pdf, &source(0.0), AS_OF).unwrap_err();
        assert_eq!(pdf.code(), "image_only_pdf");
    }

    #[test]
    fn a_stored_parse_reads_as_a_parsed_resume_and_old_ones_read_as_text_layer() {
        let doc = parse_recognized_at(TEXT, DocKind::Jpeg, &source(0.9), AS_OF).unwrap();
        let json = serde_json::to_value(&doc).unwrap();
        assert_eq!(json["ocr"]["engine"], "tesseract 5.3.0");
        let as_resume: ParsedResume = serde_json::from_value(json.clone()).unwrap();
        assert_eq!(as_resume, doc.resume);
        assert_eq!(serde_json::from_value::<ParsedDocument>(json).unwrap(), doc);
        let old = serde_json::to_value(parse_text_at(TEXT, AS_OF)).unwrap();
        let read: ParsedDocument = serde_json::from_value(old).unwrap();
        assert_eq!(read.ocr, None);
        assert_eq!(read.extraction(), "text");
    }
}
