//! Rough per-stage timings for one file: `cargo run --release --example timing -- FILE`.

use std::time::Instant;

fn main() {
    let path = std::env::args().nth(1).unwrap_or_default();
    let bytes = std::fs::read(&path).unwrap_or_default();
    let n = 50;
    let t = Instant::now();
    for _ in 0..n {
        let _ = lopdf::Document::load_mem(&bytes);
    }
    println!("lopdf load: {:?}", t.elapsed() / n);
    let t = Instant::now();
    for _ in 0..n {
        let _ = pdf_extract::extract_text_from_mem(&bytes);
    }
    println!("pdf-extract plain (incl. load): {:?}", t.elapsed() / n);
    let t = Instant::now();
    let mut text = String::new();
    for _ in 0..n {
        text = clearview_screening::extract::extract_text(&bytes, None).map(|e| e.text).unwrap_or_default();
    }
    println!("extract_text: {:?}", t.elapsed() / n);
    let d = time::macros::date!(2025 - 01 - 15);
    let t = Instant::now();
    let mut p = None;
    for _ in 0..n {
        p = Some(clearview_screening::structure::parse_text_at(&text, d));
    }
    println!("structure: {:?}", t.elapsed() / n);
    let p = p.unwrap_or_else(|| clearview_screening::structure::parse_text_at("", d));
    let t = Instant::now();
    for _ in 0..n {
        let _ = clearview_screening::anonymize(&p, &p.text);
    }
    println!("anonymize: {:?}", t.elapsed() / n);
    let t = Instant::now();
    let _ = clearview_screening::taxonomy::Taxonomy::global().len();
    println!("taxonomy first use: {:?}", t.elapsed());
}
