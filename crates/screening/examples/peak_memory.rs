//! Peak memory (VmHWM) of parsing a ~10 MB text-heavy PDF.
//!
//! `cargo run --release -p clearview-screening --example peak_memory [PATH]`
//! Generates the PDF at PATH (default: $TMPDIR/clearview-10mb.pdf) if missing, then re-runs
//! itself to measure in a fresh process: resident high-water mark before and after parsing.

use std::process::Command;

use lopdf::content::{Content, Operation};
use lopdf::{Document, Object, Stream, dictionary};

const TARGET_BYTES: usize = 10 * 1024 * 1024 - 64 * 1024;

fn vm_hwm_kib() -> u64 {
    std::fs::read_to_string("/proc/self/status")
        .ok()
        .and_then(|s| {
            s.lines()
                .find(|l| l.starts_with("VmHWM:"))
                .and_then(|l| l.split_whitespace().nth(1))
                .and_then(|v| v.parse().ok())
        })
        .unwrap_or(0)
}

fn page_content(page: usize) -> Vec<u8> {
    let mut ops = vec![
        Operation::new("BT", vec![]),
        Operation::new("Tf", vec!["F1".into(), 9.into()]),
        Operation::new("TL", vec![11.into()]),
        Operation::new("Td", vec![40.into(), 760.into()]),
    ];
    for line in 0..66 {
        let text = format!(
            "Page {page} line {line}: Senior Software Engineer, built Rust and Kubernetes services, 2019-2024."
        );
        ops.push(Operation::new("Tj", vec![Object::string_literal(text)]));
        ops.push(Operation::new("T*", vec![]));
    }
    ops.push(Operation::new("ET", vec![]));
    Content { operations: ops }.encode().unwrap_or_default()
}

fn generate(path: &str) -> std::io::Result<()> {
    let mut doc = Document::with_version("1.5");
    let pages_id = doc.new_object_id();
    let font_id = doc.add_object(dictionary! {
        "Type" => "Font", "Subtype" => "Type1", "BaseFont" => "Helvetica",
    });
    let resources_id = doc.add_object(dictionary! { "Font" => dictionary! { "F1" => font_id } });
    let mut kids = Vec::new();
    let mut size = 0;
    let mut page = 0;
    while size < TARGET_BYTES {
        let content = page_content(page);
        size += content.len() + 200;
        let content_id = doc.add_object(Stream::new(dictionary! {}, content));
        let page_id = doc.add_object(dictionary! {
            "Type" => "Page", "Parent" => pages_id, "Contents" => content_id,
        });
        kids.push(page_id.into());
        page += 1;
    }
    let count = kids.len() as i64;
    doc.objects.insert(
        pages_id,
        Object::Dictionary(dictionary! {
            "Type" => "Pages", "Kids" => kids, "Count" => count,
            "Resources" => resources_id, "MediaBox" => vec![0.into(), 0.into(), 612.into(), 792.into()],
        }),
    );
    let catalog_id = doc.add_object(dictionary! { "Type" => "Catalog", "Pages" => pages_id });
    doc.trailer.set("Root", catalog_id);
    let mut out = Vec::new();
    doc.save_to(&mut out)?;
    std::fs::write(path, out)
}

fn main() {
    let mut args: Vec<String> = std::env::args().skip(1).collect();
    let measure = args.first().is_some_and(|a| a == "--measure");
    if measure {
        args.remove(0);
    }
    let path = args
        .first()
        .cloned()
        .unwrap_or_else(|| std::env::temp_dir().join("clearview-10mb.pdf").to_string_lossy().into_owned());
    if !measure {
        if std::fs::metadata(&path).is_err()
            && let Err(e) = generate(&path)
        {
            eprintln!("generating {path}: {e}");
            std::process::exit(1);
        }
        let exe = std::env::current_exe().unwrap_or_default();
        let status = Command::new(exe).arg("--measure").arg(&path).status();
        std::process::exit(status.map(|s| s.code().unwrap_or(1)).unwrap_or(1));
    }
    let bytes = std::fs::read(&path).unwrap_or_default();
    let before = vm_hwm_kib();
    let started = std::time::Instant::now();
    let result =
        clearview_screening::parse_resume_at(&bytes, Some("application/pdf"), time::macros::date!(2025 - 01 - 15));
    let elapsed = started.elapsed();
    let after = vm_hwm_kib();
    let outcome = match &result {
        Ok(p) => {
            format!("parsed: {} pages, {} chars of text, notes {:?}", p.document.pages, p.text.len(), p.document.notes)
        }
        Err(e) => format!("refused: {}", e.code()),
    };
    println!("input: {path} ({:.1} MiB)", bytes.len() as f64 / 1048576.0);
    println!("{outcome}");
    println!("time: {:.0} ms", elapsed.as_secs_f64() * 1000.0);
    println!("VmHWM before parse (process + input bytes): {:.1} MiB", before as f64 / 1024.0);
    println!("VmHWM after parse (peak):                   {:.1} MiB", after as f64 / 1024.0);
}
