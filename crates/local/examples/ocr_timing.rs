//! OCR time per page of the embedded engine (Tesseract; pdftoppm first for a PDF), for
//! docs/benchmarks.md:
//!
//! `cargo run --release -p clearview-local --example ocr_timing -- [runs]`
//!
//! Reads the screening fixtures' scanned twins (a 300 DPI PNG; an image-only PDF rendered at
//! 300 DPI) `runs` times each (default 5) and prints the median and the slowest run.

use clearview_core::ports::ocr::{Ocr, ScanKind};
use clearview_local::ocr::TesseractOcr;
use std::time::Instant;

#[tokio::main(flavor = "current_thread")]
async fn main() {
    let runs: usize = std::env::args().nth(1).and_then(|a| a.parse().ok()).unwrap_or(5).max(1);
    let dir = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("../screening/fixtures");
    let ocr = TesseractOcr::default();
    for (file, kind) in [("scanned_resume.png", ScanKind::Png), ("scanned_resume.pdf", ScanKind::Pdf)] {
        let bytes = std::fs::read(dir.join(file)).expect("fixture");
        let mut ms = Vec::with_capacity(runs);
        let mut pages = 1;
        for _ in 0..runs {
            let t = Instant::now();
            let read = ocr.recognize(&bytes, kind).await.expect("OCR (run scripts/system-deps.sh)");
            ms.push(t.elapsed().as_secs_f64() * 1000.0 / f64::from(read.pages.max(1)));
            pages = read.pages;
        }
        ms.sort_by(f64::total_cmp);
        println!(
            "{file}: {pages} page(s), {runs} runs: median {:.0} ms/page, max {:.0} ms/page",
            ms[ms.len() / 2],
            ms[ms.len() - 1]
        );
    }
}
