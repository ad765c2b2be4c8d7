//! The OCR port over Amazon Textract against moto. moto's DetectDocumentText reads nothing: it
//! answers every document with one canned result. Our launcher (scripts/moto_server.py) makes
//! that result a Textract-shaped reading of the fixtures' scanned resume (LINE blocks with
//! geometry and confidence, listed out of reading order; made from Tesseract's reading of the
//! PNG, see crates/aws/tests/fixtures/textract_blocks.json). So this checks the real SDK
//! request with the scan's bytes, the response's mapping, the ordering of lines by geometry and
//! that the chain parses the result like its text twin; not Textract's own accuracy.

use clearview_aws::testing::Moto;
use clearview_aws::textract::TextractOcr;
use clearview_core::ports::ocr::{Ocr, ScanKind};
use clearview_screening::DocKind;

fn fixture(name: &str) -> Vec<u8> {
    let path = format!("{}/../screening/fixtures/{name}", env!("CARGO_MANIFEST_DIR"));
    std::fs::read(&path).unwrap_or_else(|e| panic!("{path}: {e}"))
}

#[tokio::test]
async fn textract_adapter_reads_a_png_scan_in_reading_order_and_it_parses_like_its_text_twin() {
    let moto = Moto::shared().await;
    let ocr = TextractOcr::new(aws_sdk_textract::Client::new(&moto.sdk_config()));
    let read = ocr.recognize(&fixture("scanned_resume.png"), ScanKind::Png).await.expect("DetectDocumentText answers");
    assert_eq!(read.engine, "amazon-textract 1.0");
    assert_eq!(read.pages, 1);
    assert!(read.mean_confidence > 0.8, "{}", read.mean_confidence);
    assert_eq!(read.lines.first().map(|l| l.text.as_str()), Some("Sofia Lindqvist"), "{}", read.text);
    let skills = read.lines.iter().position(|l| l.text == "Skills").expect("a Skills heading");
    assert!(read.lines[skills + 1].text.starts_with("Python, PyTorch"), "{}", read.text);

    let as_of = time::macros::date!(2025 - 01 - 15);
    let scan = clearview_screening::parse_recognized_at(&read.text, DocKind::Png, &read.source(), as_of)
        .unwrap_or_else(|e| panic!("{e}: {}", read.text));
    let twin = clearview_screening::parse_resume_at(&fixture("typeset_resume.pdf"), Some("application/pdf"), as_of)
        .expect("the text twin parses");
    assert_eq!(scan.resume.contact.name, twin.contact.name);
    assert_eq!(scan.resume.skills, twin.skills, "{}", read.text);
    assert_eq!(scan.resume.experience.len(), twin.experience.len(), "{}", read.text);
    assert_eq!(scan.ocr.as_ref().map(|o| o.engine.as_str()), Some("amazon-textract 1.0"));
}
