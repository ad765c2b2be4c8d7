//! Text extraction from uploaded resume bytes (PDF, DOCX, plain text), refusing hostile files.
//! Scans (image-only PDFs, PNG and JPEG images) have no text to extract: they end as a failure
//! for which [`ParseFailure::needs_ocr`] is true, and [`crate::ocr`] structures what an OCR
//! engine read from them.

mod docx;
mod pdf;
mod plain;

use serde::{Deserialize, Serialize};

/// Largest resume we accept, in bytes (10 MiB).
pub const MAX_RESUME_BYTES: usize = 10 * 1024 * 1024;

/// Documents whose extracted text has fewer non-whitespace characters than this are empty.
pub(crate) const MIN_TEXT_CHARS: usize = 20;

/// What the bytes are, judged from their content (magic bytes), not from a file name.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum DocKind {
    Pdf,
    Docx,
    Text,
    /// A PNG image (a scan or a photo of a resume): read by OCR only.
    Png,
    /// A JPEG image: read by OCR only.
    Jpeg,
}

impl DocKind {
    /// The canonical MIME type of this kind.
    pub fn content_type(self) -> &'static str {
        match self {
            DocKind::Pdf => "application/pdf",
            DocKind::Docx => "application/vnd.openxmlformats-officedocument.wordprocessingml.document",
            DocKind::Text => "text/plain",
            DocKind::Png => "image/png",
            DocKind::Jpeg => "image/jpeg",
        }
    }

    /// True for the kinds that are pictures of text (read by OCR only).
    pub fn is_image(self) -> bool {
        matches!(self, DocKind::Png | DocKind::Jpeg)
    }
}

/// Text pulled out of a document, in reading order, with what we learnt on the way.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct ExtractedText {
    pub kind: DocKind,
    /// Lines separated by `\n`; PDF pages separated by a form feed line (`\u{c}`).
    pub text: String,
    /// Pages for PDFs; 1 for other kinds.
    pub pages: u32,
    /// Pages on which a two-column layout was detected (PDF only, 1-based).
    pub multi_column_pages: Vec<u32>,
    /// Embedded images (possible photos); never extracted, only counted.
    pub image_count: u32,
    /// Non-fatal observations ("encoding: windows-1252 fallback", ...).
    pub notes: Vec<String>,
    /// The text set clearly larger than the rest at the top of the first page (PDF only):
    /// in typeset resumes, the person's name.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub title_line: Option<String>,
}

/// Why a document could not be read. [`ParseFailure::code`] is stable and machine-readable.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, thiserror::Error)]
#[serde(tag = "code", rename_all = "snake_case")]
pub enum ParseFailure {
    #[error("file is {size} bytes, larger than the {max} byte limit")]
    TooLarge { size: usize, max: usize },
    #[error("declared as PDF but the bytes are not a PDF")]
    NotAPdf,
    #[error("declared as DOCX but the bytes are not a Word document")]
    NotADocx,
    #[error("declared type {declared} does not match the content ({detected})")]
    TypeMismatch { declared: String, detected: String },
    #[error("PDF is password-protected")]
    EncryptedPdf,
    #[error("PDF has no text layer (scanned or image-only)")]
    ImageOnlyPdf,
    /// A PNG or JPEG upload: text only an OCR engine can read.
    #[error("{kind:?} image: no text layer (scanned or photographed)")]
    ImageDocument { kind: DocKind },
    #[error("archive expands too much ({detail})")]
    ZipBomb { detail: String },
    #[error("document contains macros")]
    MacroEnabled,
    #[error("unsupported file type ({detail})")]
    UnsupportedType { detail: String },
    #[error("document contains no readable text")]
    EmptyDocument,
    #[error("document is damaged or truncated ({detail})")]
    Corrupt { detail: String },
}

impl ParseFailure {
    /// True when the document is a picture of text: an OCR engine may still read it.
    pub fn needs_ocr(&self) -> bool {
        matches!(self, ParseFailure::ImageOnlyPdf | ParseFailure::ImageDocument { .. })
    }

    /// Stable machine code, e.g. `"encrypted_pdf"`; safe to store and to branch on.
    pub fn code(&self) -> &'static str {
        match self {
            ParseFailure::TooLarge { .. } => "too_large",
            ParseFailure::NotAPdf => "not_a_pdf",
            ParseFailure::NotADocx => "not_a_docx",
            ParseFailure::TypeMismatch { .. } => "type_mismatch",
            ParseFailure::EncryptedPdf => "encrypted_pdf",
            ParseFailure::ImageOnlyPdf => "image_only_pdf",
            ParseFailure::ImageDocument { .. } => "image_document",
            ParseFailure::ZipBomb { .. } => "zip_bomb",
            ParseFailure::MacroEnabled => "macro_enabled",
            ParseFailure::UnsupportedType { .. } => "unsupported_type",
            ParseFailure::EmptyDocument => "empty_document",
            ParseFailure::Corrupt { .. } => "corrupt",
        }
    }

    /// What a recruiter sees next to the application.
    pub fn recruiter_message(&self) -> String {
        let why = match self {
            ParseFailure::TooLarge { max, .. } => {
                format!("the file is larger than the {} MB limit", max / (1024 * 1024))
            }
            ParseFailure::NotAPdf => "the file is named as a PDF but is not one".to_owned(),
            ParseFailure::NotADocx => "the file is named as a Word document but is not one".to_owned(),
            ParseFailure::TypeMismatch { declared, detected } => {
                format!("the file was uploaded as {declared} but its content is {detected}")
            }
            ParseFailure::EncryptedPdf => "the PDF is password-protected".to_owned(),
            ParseFailure::ImageOnlyPdf => {
                "the PDF is a scan or image with no text layer, and no text could be recognised in it".to_owned()
            }
            ParseFailure::ImageDocument { .. } => {
                "the file is an image of a resume, and no text could be recognised in it".to_owned()
            }
            ParseFailure::ZipBomb { .. } => {
                "the Word file expands to an unsafe size and was refused for safety".to_owned()
            }
            ParseFailure::MacroEnabled => "the Word file contains macros and was refused for safety".to_owned(),
            ParseFailure::UnsupportedType { .. } => {
                "the file is not a PDF, DOCX, plain-text, PNG or JPEG document".to_owned()
            }
            ParseFailure::EmptyDocument => "the document contains no readable text".to_owned(),
            ParseFailure::Corrupt { .. } => "the file is damaged or incomplete".to_owned(),
        };
        format!(
            "This resume could not be screened automatically: {why}. It has not been scored; \
             please review it manually or ask the candidate to upload it again."
        )
    }

    /// What the candidate is told; always ends with what to upload instead.
    pub fn candidate_message(&self) -> String {
        let why = match self {
            ParseFailure::TooLarge { max, .. } => {
                format!("Your file is larger than {} MB.", max / (1024 * 1024))
            }
            ParseFailure::NotAPdf | ParseFailure::NotADocx | ParseFailure::TypeMismatch { .. } => {
                "Your file's content does not match its file type.".to_owned()
            }
            ParseFailure::EncryptedPdf => "Your PDF is password-protected.".to_owned(),
            ParseFailure::ImageOnlyPdf => {
                "Your PDF appears to be a scan or picture, and we could not read its text.".to_owned()
            }
            ParseFailure::ImageDocument { .. } => {
                "Your file is a picture of a resume, and we could not read its text.".to_owned()
            }
            ParseFailure::ZipBomb { .. } | ParseFailure::Corrupt { .. } => {
                "We could not open your file; it may be damaged.".to_owned()
            }
            ParseFailure::MacroEnabled => {
                "Your Word file contains macros, which we do not accept for safety.".to_owned()
            }
            ParseFailure::UnsupportedType { .. } => "We cannot read this type of file.".to_owned(),
            ParseFailure::EmptyDocument => "We found no text in your file.".to_owned(),
        };
        format!(
            "{why} Please upload your resume as a text-based PDF, a Word document (.docx), a \
             plain-text (.txt) file or a sharp scan (PNG or JPEG), without a password, under 10 MB."
        )
    }
}

/// Which kind the caller says the bytes are, from a MIME type (parameters ignored).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Declared {
    Pdf,
    Docx,
    Docm,
    Text,
    Png,
    Jpeg,
    Unknown,
    Other,
}

fn declared_kind(content_type: Option<&str>) -> Declared {
    let Some(ct) = content_type else {
        return Declared::Unknown;
    };
    let mime = ct.split(';').next().unwrap_or("").trim().to_ascii_lowercase();
    match mime.as_str() {
        "application/pdf" | "application/x-pdf" => Declared::Pdf,
        "application/vnd.openxmlformats-officedocument.wordprocessingml.document" => Declared::Docx,
        "application/vnd.ms-word.document.macroenabled.12" | "application/vnd.ms-word.template.macroenabled.12" => {
            Declared::Docm
        }
        "text/plain" | "text/markdown" => Declared::Text,
        "image/png" => Declared::Png,
        "image/jpeg" | "image/jpg" | "image/pjpeg" => Declared::Jpeg,
        "" | "application/octet-stream" | "binary/octet-stream" => Declared::Unknown,
        _ => Declared::Other,
    }
}

/// Judges what the bytes are from their content. Refuses oversize input, macro-enabled
/// Word files, other archives, legacy `.doc`, images other than PNG and JPEG, and binary data.
pub fn detect(bytes: &[u8]) -> Result<DocKind, ParseFailure> {
    if bytes.len() > MAX_RESUME_BYTES {
        return Err(ParseFailure::TooLarge { size: bytes.len(), max: MAX_RESUME_BYTES });
    }
    if bytes.iter().all(u8::is_ascii_whitespace) {
        return Err(ParseFailure::EmptyDocument);
    }
    if pdf::has_pdf_header(bytes) {
        return Ok(DocKind::Pdf);
    }
    if bytes.starts_with(b"PK\x03\x04") || bytes.starts_with(b"PK\x05\x06") {
        return docx::classify_zip(bytes).map(|()| DocKind::Docx);
    }
    if bytes.starts_with(b"\x89PNG\r\n\x1a\n") {
        return Ok(DocKind::Png);
    }
    if bytes.starts_with(b"\xFF\xD8\xFF") {
        return Ok(DocKind::Jpeg);
    }
    if let Some(what) = known_binary(bytes) {
        return Err(ParseFailure::UnsupportedType { detail: what.to_owned() });
    }
    plain::classify(bytes).map(|()| DocKind::Text)
}

fn known_binary(bytes: &[u8]) -> Option<&'static str> {
    const MAGICS: &[(&[u8], &str)] = &[
        (b"\xD0\xCF\x11\xE0\xA1\xB1\x1A\xE1", "legacy Office (.doc) file"),
        (b"\x89PNG", "damaged PNG image"),
        (b"GIF8", "GIF image"),
        (b"II*\x00", "TIFF image"),
        (b"MM\x00*", "TIFF image"),
        (b"{\\rtf", "RTF document"),
        (b"\x1F\x8B", "gzip archive"),
        (b"Rar!", "RAR archive"),
        (b"7z\xBC\xAF", "7-Zip archive"),
        (b"\x7FELF", "executable"),
        (b"MZ", "executable"),
    ];
    MAGICS.iter().find(|(magic, _)| bytes.starts_with(magic)).map(|(_, what)| *what)
}

/// Extracts text in reading order. The declared content type (from the upload) must agree
/// with the content: a `.pdf` that is not a PDF is refused rather than guessed at.
pub fn extract_text(bytes: &[u8], declared_content_type: Option<&str>) -> Result<ExtractedText, ParseFailure> {
    let declared = declared_kind(declared_content_type);
    if declared == Declared::Docm {
        return Err(ParseFailure::MacroEnabled);
    }
    let detected = match detect(bytes) {
        Ok(kind) => kind,
        Err(ParseFailure::UnsupportedType { .. }) if declared == Declared::Pdf => {
            return Err(ParseFailure::NotAPdf);
        }
        Err(e) => return Err(e),
    };
    match (declared, detected) {
        (Declared::Pdf, DocKind::Pdf)
        | (Declared::Docx, DocKind::Docx)
        | (Declared::Text, DocKind::Text)
        | (Declared::Png, DocKind::Png)
        | (Declared::Jpeg, DocKind::Jpeg)
        | (Declared::Unknown, _) => {}
        // A picture named as a PDF: say what it really is, so the candidate can upload it as one.
        (Declared::Pdf, detected) if detected.is_image() => {
            return Err(ParseFailure::TypeMismatch {
                declared: declared_content_type.unwrap_or("application/pdf").to_owned(),
                detected: detected.content_type().to_owned(),
            });
        }
        (Declared::Pdf, _) => return Err(ParseFailure::NotAPdf),
        (Declared::Docx, _) => return Err(ParseFailure::NotADocx),
        (declared, detected) => {
            return Err(ParseFailure::TypeMismatch {
                declared: declared_content_type.map(str::to_owned).unwrap_or_else(|| format!("{declared:?}")),
                detected: detected.content_type().to_owned(),
            });
        }
    }
    let extracted = match detected {
        DocKind::Pdf => pdf::extract(bytes)?,
        DocKind::Docx => docx::extract(bytes)?,
        DocKind::Text => plain::extract(bytes)?,
        DocKind::Png | DocKind::Jpeg => return Err(ParseFailure::ImageDocument { kind: detected }),
    };
    let visible = extracted.text.chars().filter(|c| !c.is_whitespace() && !c.is_control()).count();
    if visible < MIN_TEXT_CHARS {
        if extracted.kind == DocKind::Pdf && extracted.image_count > 0 {
            return Err(ParseFailure::ImageOnlyPdf);
        }
        return Err(ParseFailure::EmptyDocument);
    }
    Ok(extracted)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_failure_has_a_distinct_stable_code_and_both_messages() {
        let all = [
            ParseFailure::TooLarge { size: 1, max: 1 },
            ParseFailure::NotAPdf,
            ParseFailure::NotADocx,
            ParseFailure::TypeMismatch { declared: "a".into(), detected: "b".into() },
            ParseFailure::EncryptedPdf,
            ParseFailure::ImageOnlyPdf,
            ParseFailure::ImageDocument { kind: DocKind::Png },
            ParseFailure::ZipBomb { detail: "x".into() },
            ParseFailure::MacroEnabled,
            ParseFailure::UnsupportedType { detail: "x".into() },
            ParseFailure::EmptyDocument,
            ParseFailure::Corrupt { detail: "x".into() },
        ];
        let mut codes: Vec<_> = all.iter().map(ParseFailure::code).collect();
        codes.sort_unstable();
        codes.dedup();
        assert_eq!(codes.len(), all.len());
        for f in &all {
            assert!(f.candidate_message().contains("PDF"));
            assert!(f.candidate_message().contains(".docx"));
            assert!(!f.recruiter_message().is_empty());
            let json = serde_json::to_value(f).unwrap();
            assert_eq!(json["code"], f.code());
        }
    }

    #[test]
    fn oversize_input_is_refused_before_parsing() {
        let big = vec![b'a'; MAX_RESUME_BYTES + 1];
        assert_eq!(extract_text(&big, None).unwrap_err().code(), "too_large");
    }

    #[test]
    fn text_declared_as_pdf_is_not_a_pdf() {
        let err = extract_text(b"Jane Doe\nSoftware engineer with many skills", Some("application/pdf")).unwrap_err();
        assert_eq!(err.code(), "not_a_pdf");
    }

    #[test]
    fn docm_content_type_is_refused_as_macro_enabled() {
        let err = extract_text(b"PK\x03\x04", Some("application/vnd.ms-word.document.macroEnabled.12")).unwrap_err();
        assert_eq!(err.code(), "macro_enabled");
    }

    #[test]
    fn legacy_doc_and_other_images_are_unsupported() {
        let doc = b"\xD0\xCF\x11\xE0\xA1\xB1\x1A\xE1rest-of-ole";
        assert_eq!(detect(doc).unwrap_err().code(), "unsupported_type");
        assert_eq!(detect(b"GIF89a....").unwrap_err().code(), "unsupported_type");
        assert_eq!(detect(b"II*\x00....").unwrap_err().code(), "unsupported_type");
    }

    #[test]
    fn png_and_jpeg_are_detected_by_magic_bytes_and_need_ocr() {
        const PNG: &[u8] = b"\x89PNG\r\n\x1a\n\x00\x00\x00\rIHDR";
        const JPEG: &[u8] = b"\xFF\xD8\xFF\xE0\x00\x10JFIF\x00";
        assert_eq!(detect(PNG).unwrap(), DocKind::Png);
        assert_eq!(detect(JPEG).unwrap(), DocKind::Jpeg);
        for (bytes, declared) in [(PNG, Some("image/png")), (JPEG, Some("image/jpeg")), (PNG, None)] {
            let err = extract_text(bytes, declared).unwrap_err();
            assert_eq!(err.code(), "image_document");
            assert!(err.needs_ocr());
        }
        assert!(ParseFailure::ImageOnlyPdf.needs_ocr());
        assert!(!ParseFailure::EmptyDocument.needs_ocr());
    }

    #[test]
    fn a_png_named_pdf_or_jpeg_is_a_type_mismatch() {
        const PNG: &[u8] = b"\x89PNG\r\n\x1a\n\x00\x00\x00\rIHDR";
        let err = extract_text(PNG, Some("application/pdf")).unwrap_err();
        assert_eq!(
            err,
            ParseFailure::TypeMismatch { declared: "application/pdf".into(), detected: "image/png".into() }
        );
        assert_eq!(extract_text(PNG, Some("image/jpeg")).unwrap_err().code(), "type_mismatch");
        let pdf_as_png = extract_text(b"%PDF-1.7\n%....", Some("image/png")).unwrap_err();
        assert_eq!(pdf_as_png.code(), "type_mismatch");
    }

    #[test]
    fn whitespace_only_is_empty() {
        assert_eq!(extract_text(b"   \n\n  ", None).unwrap_err().code(), "empty_document");
    }
}
