//! The OCR port over Amazon Textract's `DetectDocumentText` (synchronous: the scan's bytes in
//! the request, lines back with their geometry and confidence).
//!
//! Textract's synchronous API reads images (PNG, JPEG) and single-page PDFs. A multi-page
//! image-only PDF is refused by it (`UnsupportedDocumentException`): the adapter answers
//! [`OcrError::Unreadable`], and the application fails with the scan's reason (the candidate is
//! asked for a text PDF, a DOCX or an image). Reading those would take the asynchronous
//! `StartDocumentTextDetection` on the S3 object with polling or an SNS completion topic.

use aws_sdk_textract::error::{DisplayErrorContext, ProvideErrorMetadata};
use aws_sdk_textract::primitives::Blob;
use aws_sdk_textract::types::{Block, BlockType, Document};
use clearview_core::ports::ocr::{self, Ocr, OcrError, OcrLine, OcrText, ScanKind};

/// Lines of one page, read from `DetectDocumentText`'s blocks.
#[derive(Debug, Clone, PartialEq)]
struct Placed {
    page: u32,
    top: f32,
    left: f32,
    height: f32,
    line: OcrLine,
}

/// The `LINE` blocks in reading order: by page, then rows top to bottom (lines whose vertical
/// middles are within half a line's height of each other share a row), then left to right; a
/// blank line where the gap above a line is more than its own height (a new block of text),
/// and a form feed between pages.
pub fn text_from_blocks(blocks: &[Block], model_version: Option<&str>) -> OcrText {
    let mut lines: Vec<Placed> = blocks
        .iter()
        .filter(|b| b.block_type() == Some(&BlockType::Line))
        .filter_map(|b| {
            let text = b.text()?.trim();
            if text.is_empty() {
                return None;
            }
            let bbox = b.geometry().and_then(|g| g.bounding_box());
            let page = b.page().map_or(1, |p| u32::try_from(p.max(1)).unwrap_or(1));
            Some(Placed {
                page,
                top: bbox.map_or(0.0, |x| x.top()),
                left: bbox.map_or(0.0, |x| x.left()),
                height: bbox.map_or(0.0, |x| x.height()),
                line: OcrLine {
                    text: text.to_owned(),
                    confidence: f64::from(b.confidence().unwrap_or(0.0)) / 100.0,
                    page,
                },
            })
        })
        .collect();
    lines.sort_by(|a, b| (a.page, a.top).partial_cmp(&(b.page, b.top)).unwrap_or(std::cmp::Ordering::Equal));
    // Rows: a line joins the row above when its middle is within half a line of that row's.
    let mut rows: Vec<Vec<Placed>> = Vec::new();
    for l in lines {
        let mid = l.top + l.height / 2.0;
        match rows.last_mut() {
            Some(row)
                if row[0].page == l.page
                    && (row[0].top + row[0].height / 2.0 - mid).abs() < row[0].height.max(l.height) / 2.0 =>
            {
                row.push(l)
            }
            _ => rows.push(vec![l]),
        }
    }
    let mut text = String::new();
    let mut ordered: Vec<OcrLine> = Vec::new();
    let mut prev: Option<(u32, f32)> = None; // page, bottom of the previous row
    for mut row in rows {
        row.sort_by(|a, b| a.left.partial_cmp(&b.left).unwrap_or(std::cmp::Ordering::Equal));
        let (page, top) = (row[0].page, row.iter().map(|l| l.top).fold(f32::MAX, f32::min));
        let height = row.iter().map(|l| l.height).fold(0.0, f32::max);
        match prev {
            Some((p, _)) if p != page => text.push_str("\u{c}\n"),
            Some((_, bottom)) if top - bottom > height => text.push('\n'),
            _ => {}
        }
        let joined: Vec<&str> = row.iter().map(|l| l.line.text.as_str()).collect();
        text.push_str(&joined.join("  "));
        text.push('\n');
        prev = Some((page, row.iter().map(|l| l.top + l.height).fold(0.0, f32::max)));
        ordered.extend(row.into_iter().map(|l| l.line));
    }
    let pages = ordered.iter().map(|l| l.page).max().unwrap_or(1);
    OcrText {
        mean_confidence: ocr::mean_confidence(ordered.iter().map(|l| l.confidence)),
        text,
        lines: ordered,
        engine: format!("amazon-textract {}", model_version.unwrap_or("unknown")),
        pages,
    }
}

/// Amazon Textract behind the OCR port.
#[derive(Debug, Clone)]
pub struct TextractOcr {
    client: aws_sdk_textract::Client,
}

impl TextractOcr {
    pub fn new(client: aws_sdk_textract::Client) -> Self {
        Self { client }
    }
}

/// Errors a retry cannot fix: the document itself.
const REFUSALS: &[&str] =
    &["BadDocumentException", "DocumentTooLargeException", "UnsupportedDocumentException", "InvalidParameterException"];

#[async_trait::async_trait]
impl Ocr for TextractOcr {
    async fn recognize(&self, bytes: &[u8], kind: ScanKind) -> Result<OcrText, OcrError> {
        let out = self
            .client
            .detect_document_text()
            .document(Document::builder().bytes(Blob::new(bytes.to_vec())).build())
            .send()
            .await
            .map_err(|e| {
                let code = e.code().unwrap_or("").to_owned();
                let detail = match e.message() {
                    Some(m) => format!("{code}: {m}"),
                    None => DisplayErrorContext(&e).to_string(),
                };
                if REFUSALS.contains(&code.as_str()) {
                    let hint = if code == "UnsupportedDocumentException" && kind == ScanKind::Pdf {
                        " (Textract's synchronous API reads single-page PDFs only)"
                    } else {
                        ""
                    };
                    OcrError::Unreadable(format!("{detail}{hint}"))
                } else {
                    OcrError::Unavailable(format!("Textract DetectDocumentText: {detail}"))
                }
            })?;
        Ok(text_from_blocks(out.blocks(), out.detect_document_text_model_version()))
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use aws_sdk_textract::types::{BoundingBox, Geometry};

    fn line(text: &str, left: f32, top: f32, conf: f32) -> Block {
        Block::builder()
            .block_type(BlockType::Line)
            .text(text)
            .confidence(conf)
            .geometry(
                Geometry::builder()
                    .bounding_box(BoundingBox::builder().left(left).top(top).width(0.3).height(0.02).build())
                    .build(),
            )
            .build()
    }

    #[test]
    fn lines_are_read_top_to_bottom_then_left_to_right_whatever_order_textract_lists_them() {
        let blocks = vec![
            line("Skills", 0.1, 0.30, 99.0),
            Block::builder().block_type(BlockType::Word).text("Jane").confidence(10.0).build(),
            line("Sep 2020 - Present", 0.7, 0.201, 90.0),
            line("Jane Doe", 0.1, 0.05, 98.0),
            line("Engineer, Acme", 0.1, 0.20, 95.0),
            line("Python, SQL", 0.1, 0.32, 97.0),
        ];
        let t = text_from_blocks(&blocks, Some("1.0"));
        assert_eq!(t.text, "Jane Doe\n\nEngineer, Acme  Sep 2020 - Present\n\nSkills\nPython, SQL\n");
        assert_eq!(t.lines.len(), 5, "WORD blocks are not lines");
        assert_eq!(t.lines[1].text, "Engineer, Acme");
        assert_eq!(t.lines[2].text, "Sep 2020 - Present");
        assert!((t.mean_confidence - 0.958).abs() < 1e-9, "{}", t.mean_confidence);
        assert_eq!(t.engine, "amazon-textract 1.0");
        assert_eq!(t.pages, 1);
    }

    #[test]
    fn pages_are_separated_by_a_form_feed() {
        let mut second = line("Education", 0.1, 0.05, 90.0);
        second.page = Some(2);
        let t = text_from_blocks(&[second, line("Jane Doe", 0.1, 0.9, 90.0)], None);
        assert_eq!(t.text, "Jane Doe\n\u{c}\nEducation\n");
        assert_eq!(t.pages, 2);
    }

    #[test]
    fn no_lines_is_empty_text_with_no_confidence() {
        let t = text_from_blocks(&[], None);
        assert_eq!((t.text.as_str(), t.mean_confidence, t.lines.len()), ("", 0.0, 0));
    }
}
