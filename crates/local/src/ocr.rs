//! The OCR port over Tesseract (Debian's `tesseract-ocr`, English data), the embedded default's
//! engine. An image-only PDF is first rendered to page images with poppler's `pdftoppm` (the
//! first [`TesseractOcr::max_pages`] pages at [`TesseractOcr::dpi`]); a PNG or JPEG goes to
//! Tesseract as it is. Both run as child processes with a deadline (killed when it passes) in a
//! temporary directory removed afterwards. `scripts/system-deps.sh` installs both tools.

use std::path::{Path, PathBuf};
use std::process::Stdio;
use std::time::Duration;

use clearview_core::ports::ocr::{self, Ocr, OcrError, OcrLine, OcrText, ScanKind};

/// Tesseract and pdftoppm as child processes.
#[derive(Debug, Clone)]
pub struct TesseractOcr {
    pub tesseract: PathBuf,
    pub pdftoppm: PathBuf,
    /// Pages of a PDF read at most (a resume's first pages carry what scoring reads).
    pub max_pages: u32,
    /// Resolution PDF pages are rendered at (Tesseract reads best at about 300 DPI).
    pub dpi: u32,
    /// Deadline of each child process.
    pub timeout: Duration,
    /// Tesseract's language (`eng`: the data Debian's tesseract-ocr brings).
    pub language: String,
}

impl Default for TesseractOcr {
    fn default() -> Self {
        Self {
            tesseract: "tesseract".into(),
            pdftoppm: "pdftoppm".into(),
            max_pages: 3,
            dpi: 300,
            timeout: Duration::from_secs(60),
            language: "eng".into(),
        }
    }
}

fn missing(tool: &Path, e: &std::io::Error) -> OcrError {
    OcrError::Unavailable(format!(
        "cannot run {} ({e}): install it with scripts/system-deps.sh (Debian: tesseract-ocr, poppler-utils)",
        tool.display()
    ))
}

impl TesseractOcr {
    /// Runs a tool to its end or its deadline; its stdout on success.
    async fn run(&self, tool: &Path, args: &[&std::ffi::OsStr]) -> Result<Vec<u8>, OcrError> {
        let child = tokio::process::Command::new(tool)
            .args(args)
            // One thread per Tesseract: the chain's workers already run side by side.
            .env("OMP_THREAD_LIMIT", "1")
            .stdin(Stdio::null())
            .stdout(Stdio::piped())
            .stderr(Stdio::piped())
            .kill_on_drop(true)
            .spawn()
            .map_err(|e| missing(tool, &e))?;
        let out = match tokio::time::timeout(self.timeout, child.wait_with_output()).await {
            Ok(out) => out.map_err(|e| OcrError::Unavailable(format!("{}: {e}", tool.display())))?,
            // The child is dropped with the future: kill_on_drop ends it.
            Err(_) => {
                return Err(OcrError::Unreadable(format!(
                    "{} took longer than {} s and was stopped",
                    tool.display(),
                    self.timeout.as_secs()
                )));
            }
        };
        if !out.status.success() {
            let stderr = String::from_utf8_lossy(&out.stderr);
            let last = stderr.lines().rev().find(|l| !l.trim().is_empty()).unwrap_or("").trim();
            return Err(OcrError::Unreadable(format!("{} failed ({}): {last}", tool.display(), out.status)));
        }
        Ok(out.stdout)
    }

    /// `tesseract 5.3.0`, from `tesseract --version`.
    async fn engine(&self) -> String {
        let version = self.run(&self.tesseract, &["--version".as_ref()]).await.ok();
        version
            .and_then(|v| String::from_utf8_lossy(&v).lines().next().map(|l| l.trim().to_owned()))
            .filter(|l| l.starts_with("tesseract"))
            .unwrap_or_else(|| "tesseract".to_owned())
    }

    /// The images to read, in page order, written into `dir`.
    async fn images(&self, bytes: &[u8], kind: ScanKind, dir: &Path) -> Result<Vec<PathBuf>, OcrError> {
        let io = |e: std::io::Error| OcrError::Unavailable(format!("writing the scan to a temporary file: {e}"));
        let input = dir.join(match kind {
            ScanKind::Pdf => "scan.pdf",
            ScanKind::Png => "scan.png",
            ScanKind::Jpeg => "scan.jpg",
        });
        tokio::fs::write(&input, bytes).await.map_err(io)?;
        if kind != ScanKind::Pdf {
            return Ok(vec![input]);
        }
        let (dpi, last) = (self.dpi.to_string(), self.max_pages.max(1).to_string());
        let prefix = dir.join("page");
        let args: [&std::ffi::OsStr; 9] = [
            "-r".as_ref(),
            dpi.as_ref(),
            "-gray".as_ref(),
            "-png".as_ref(),
            "-f".as_ref(),
            "1".as_ref(),
            "-l".as_ref(),
            last.as_ref(),
            input.as_os_str(),
        ];
        let mut all: Vec<&std::ffi::OsStr> = args.to_vec();
        all.push(prefix.as_os_str());
        self.run(&self.pdftoppm, &all).await?;
        // page-1.png, page-2.png … (zero-padded to the page count's width): name order is page order.
        let mut pages = Vec::new();
        let mut entries = tokio::fs::read_dir(dir).await.map_err(io)?;
        while let Some(e) = entries.next_entry().await.map_err(io)? {
            let name = e.file_name().to_string_lossy().into_owned();
            if name.starts_with("page") && name.ends_with(".png") {
                pages.push(e.path());
            }
        }
        pages.sort();
        if pages.is_empty() {
            return Err(OcrError::Unreadable("pdftoppm rendered no page".into()));
        }
        Ok(pages)
    }
}

type LineKey = (u32, u32, u32, u32); // page, block, paragraph, line

/// Tesseract's TSV: one row per word (level 5) with its page, block, paragraph and line and a
/// confidence 0..100. Words become lines in Tesseract's reading order, a blank line between
/// blocks and paragraphs, a form feed between pages. Returns the text, the lines and the mean
/// word confidence (0..1).
pub fn text_from_tsv(tsv: &str) -> (String, Vec<OcrLine>, f64) {
    let mut grouped: Vec<(LineKey, Vec<&str>, Vec<f64>)> = Vec::new();
    let mut word_conf: Vec<f64> = Vec::new();
    for row in tsv.lines().skip(1) {
        let cols: Vec<&str> = row.split('\t').collect();
        if cols.len() < 12 || cols[0] != "5" {
            continue;
        }
        let num = |i: usize| cols[i].parse::<u32>().unwrap_or(0);
        let key = (num(1), num(2), num(3), num(4));
        let (word, conf) = (cols[11].trim(), cols[10].parse::<f64>().unwrap_or(-1.0));
        if word.is_empty() || conf < 0.0 {
            continue;
        }
        word_conf.push(conf / 100.0);
        match grouped.last_mut() {
            Some((k, words, confs)) if *k == key => {
                words.push(word);
                confs.push(conf / 100.0);
            }
            _ => grouped.push((key, vec![word], vec![conf / 100.0])),
        }
    }
    let mut text = String::new();
    let mut lines = Vec::with_capacity(grouped.len());
    let mut prev: Option<LineKey> = None;
    for (key, words, confs) in grouped {
        match prev {
            Some(p) if p.0 != key.0 => text.push_str("\u{c}\n"),
            Some(p) if (p.1, p.2) != (key.1, key.2) => text.push('\n'),
            _ => {}
        }
        let line = words.join(" ");
        text.push_str(&line);
        text.push('\n');
        lines.push(OcrLine { text: line, confidence: ocr::mean_confidence(confs), page: key.0 });
        prev = Some(key);
    }
    (text, lines, ocr::mean_confidence(word_conf))
}

#[async_trait::async_trait]
impl Ocr for TesseractOcr {
    async fn recognize(&self, bytes: &[u8], kind: ScanKind) -> Result<OcrText, OcrError> {
        let dir = tempfile::Builder::new()
            .prefix("clearview-ocr-")
            .tempdir()
            .map_err(|e| OcrError::Unavailable(format!("creating a temporary directory: {e}")))?;
        let images = self.images(bytes, kind, dir.path()).await?;
        // One Tesseract run over every page: a list file names the images in order.
        let list = dir.path().join("pages.txt");
        let names: Vec<String> = images.iter().map(|p| p.display().to_string()).collect();
        tokio::fs::write(&list, names.join("\n") + "\n")
            .await
            .map_err(|e| OcrError::Unavailable(format!("writing the page list: {e}")))?;
        let input = if images.len() == 1 { images[0].as_os_str() } else { list.as_os_str() };
        let args: [&std::ffi::OsStr; 6] =
            [input, "stdout".as_ref(), "-l".as_ref(), self.language.as_ref(), "--psm".as_ref(), "3".as_ref()];
        let mut all = args.to_vec();
        all.push("tsv".as_ref());
        let tsv = self.run(&self.tesseract, &all).await?;
        let pages = u32::try_from(images.len()).unwrap_or(u32::MAX);
        let (text, lines, mean_confidence) = text_from_tsv(&String::from_utf8_lossy(&tsv));
        let engine = self.engine().await;
        drop(dir);
        Ok(OcrText { text, lines, mean_confidence, engine, pages })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const HEAD: &str =
        "level\tpage_num\tblock_num\tpar_num\tline_num\tword_num\tleft\ttop\twidth\theight\tconf\ttext\n";

    fn word(page: u32, block: u32, par: u32, line: u32, conf: f64, text: &str) -> String {
        format!("5\t{page}\t{block}\t{par}\t{line}\t1\t0\t0\t10\t10\t{conf}\t{text}\n")
    }

    #[test]
    fn tsv_words_become_lines_with_blank_lines_between_blocks_and_form_feeds_between_pages() {
        let tsv = [
            HEAD.to_owned(),
            "4\t1\t1\t1\t1\t0\t0\t0\t10\t10\t-1\t\n".to_owned(),
            word(1, 1, 1, 1, 96.0, "Jane"),
            word(1, 1, 1, 1, 94.0, "Doe"),
            word(1, 2, 1, 1, 90.0, "Skills"),
            word(1, 2, 1, 2, 80.0, "Python,"),
            word(1, 2, 1, 2, -1.0, ""),
            word(1, 2, 1, 2, 60.0, "SQL"),
            word(2, 1, 1, 1, 70.0, "Education"),
        ]
        .concat();
        let (text, lines, mean) = text_from_tsv(&tsv);
        assert_eq!(text, "Jane Doe\n\nSkills\nPython, SQL\n\u{c}\nEducation\n");
        assert_eq!(lines.len(), 4);
        assert_eq!(lines[0].text, "Jane Doe");
        assert!((lines[0].confidence - 0.95).abs() < 1e-9);
        assert_eq!(lines[3].page, 2);
        assert!((mean - 0.817).abs() < 1e-9, "{mean}");
    }

    const AS_OF: time::Date = time::macros::date!(2025 - 01 - 15);

    fn fixture(name: &str) -> Vec<u8> {
        let path = Path::new(env!("CARGO_MANIFEST_DIR")).join("../screening/fixtures").join(name);
        std::fs::read(&path).unwrap_or_else(|e| panic!("{}: {e}", path.display()))
    }

    /// typeset_resume.pdf's scanned twin, read by Tesseract, parses to the same key fields and
    /// scores within 3 points of the text PDF for the same job; its parse says it came from OCR.
    async fn scan_reads_like_its_text_twin(name: &str, kind: ScanKind) {
        let twin = clearview_screening::parse_resume_at(&fixture("typeset_resume.pdf"), Some("application/pdf"), AS_OF)
            .expect("the text twin parses");
        let read = TesseractOcr::default()
            .recognize(&fixture(name), kind)
            .await
            .unwrap_or_else(|e| panic!("{name}: {e} (install the engine: bash scripts/system-deps.sh)"));
        assert!(read.engine.starts_with("tesseract "), "{}", read.engine);
        assert!(read.mean_confidence > 0.8, "{name}: mean confidence {}", read.mean_confidence);
        assert_eq!(read.pages, 1);
        let scan = clearview_screening::parse_recognized_at(&read.text, kind.doc_kind(), &read.source(), AS_OF)
            .unwrap_or_else(|e| panic!("{name}: {e}\n{}", read.text));
        let (s, t) = (&scan.resume, &twin);
        assert_eq!(s.contact.name, t.contact.name, "{name}:\n{}", read.text);
        assert_eq!(s.skills, t.skills, "{name}:\n{}", read.text);
        // OCR splits a word now and then ("Machine L earning"): titles compare without spaces.
        let roles = |p: &clearview_screening::ParsedResume| -> Vec<_> {
            let squeezed = |t: &Option<String>| t.as_deref().unwrap_or("").replace(' ', "").to_lowercase();
            p.experience.iter().map(|e| (squeezed(&e.title), e.start, e.current)).collect()
        };
        assert_eq!(roles(s), roles(t), "{name}:\n{}", read.text);
        assert_eq!(
            s.education.iter().map(|e| e.level).collect::<Vec<_>>(),
            t.education.iter().map(|e| e.level).collect::<Vec<_>>()
        );
        assert!((s.total_experience_years - t.total_experience_years).abs() < 0.15, "{name}");
        let criteria: clearview_screening::ScoringCriteria = serde_json::from_value(serde_json::json!({
            "required_skills": ["Python", "PyTorch", "SQL"],
            "preferred_skills": ["Kubernetes", "Apache Spark", "Go"],
            "minimum_experience_years": 5.0,
            "education_requirement": { "level": "master" },
            "is_remote": true
        }))
        .expect("criteria");
        let score = |p: &clearview_screening::ParsedResume| {
            clearview_screening::score(&clearview_screening::anonymize(p, &p.text), &criteria)
        };
        let (scan_score, twin_score) = (score(s), score(t));
        assert!(
            scan_score.overall.abs_diff(twin_score.overall) <= 3,
            "{name}: scan {} vs text {}",
            scan_score.overall,
            twin_score.overall
        );
        // The parse says it came from OCR, and how sure the engine was.
        assert_eq!(scan.extraction(), "ocr");
        assert_eq!(s.document.kind, kind.doc_kind());
        assert!(s.confidence <= t.confidence && s.confidence > 0.5, "{} vs {}", s.confidence, t.confidence);
        assert!(
            s.document.notes.iter().any(|n| n.starts_with("text read by OCR (tesseract")),
            "{:?}",
            s.document.notes
        );
    }

    #[tokio::test]
    async fn a_png_scan_scores_like_its_text_twin() {
        scan_reads_like_its_text_twin("scanned_resume.png", ScanKind::Png).await;
    }

    #[tokio::test]
    async fn an_image_only_pdf_is_rendered_read_and_scores_like_its_text_twin() {
        scan_reads_like_its_text_twin("scanned_resume.pdf", ScanKind::Pdf).await;
    }

    #[tokio::test]
    async fn a_picture_that_is_not_an_image_is_unreadable_not_retried() {
        let err = TesseractOcr::default().recognize(b"\x89PNG\r\n\x1a\nnot really", ScanKind::Png).await.unwrap_err();
        assert!(matches!(err, OcrError::Unreadable(_)), "{err:?}");
    }

    /// The parse consumer's read: without an engine a scan is "try again" (retried, then
    /// dead-lettered with the reason), never a silent failure; a text resume needs no engine.
    #[tokio::test]
    async fn without_an_engine_a_scan_is_unavailable_and_a_text_resume_still_reads() {
        use clearview_core::services::parsed_resume::{ReadError, read_resume};
        let dir = tempfile::tempdir().expect("temp dir");
        let family = crate::LocalFamily::in_memory_for_tests(dir.path()).expect("family");
        let deps = family.deps().with_ocr(std::sync::Arc::new(clearview_core::ports::Unconfigured));
        let scan = read_resume(&deps, &fixture("scanned_resume.png"), Some("image/png"), AS_OF).await;
        assert!(matches!(scan, Err(ReadError::OcrUnavailable(ref why)) if why.contains("not configured")), "{scan:?}");
        let text = read_resume(&deps, &fixture("typeset_resume.pdf"), Some("application/pdf"), AS_OF).await;
        assert_eq!(text.expect("a text PDF reads without OCR").extraction(), "text");
    }

    #[tokio::test]
    async fn a_missing_engine_is_unavailable_and_says_how_to_install_it() {
        let ocr = TesseractOcr { tesseract: "/nonexistent/tesseract".into(), ..TesseractOcr::default() };
        let err = ocr.recognize(b"\x89PNG\r\n\x1a\n", ScanKind::Png).await.unwrap_err();
        let OcrError::Unavailable(why) = err else { panic!("{err:?}") };
        assert!(why.contains("scripts/system-deps.sh"), "{why}");
    }
}
