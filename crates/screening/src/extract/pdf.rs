//! PDF text in reading order: lopdf loads the document, pdf-extract reports every glyph with
//! its position, and we rebuild lines and columns from those positions ourselves.
//!
//! Defences, because pdf-extract assumes well-formed input: image streams are emptied before
//! rendering (we never read pixels, only count images), Flate streams are decompressed by us
//! under a byte budget, Form XObject graphs are checked for cycles and exponential fan-out, the
//! amount of text is capped, and any remaining panic inside the libraries is caught and
//! reported as a corrupt file.

use std::collections::{BTreeMap, BTreeSet};
use std::io::Read;

use lopdf::{Document, Object, ObjectId};
use pdf_extract::{MediaBox, OutputDev, OutputError, Transform};

use super::{DocKind, ExtractedText, ParseFailure};

/// Decompressed bytes of any one stream.
const MAX_STREAM_BYTES: u64 = 16 * 1024 * 1024;
/// Decompressed bytes of all streams together.
const MAX_TOTAL_STREAM_BYTES: u64 = 40 * 1024 * 1024;
/// Text we keep; far beyond any resume, it bounds time and memory on huge files.
const MAX_TEXT_CHARS: usize = 400_000;
/// Form XObject invocations one page may expand to.
const MAX_XOBJECT_INVOCATIONS: u64 = 10_000;

/// `%PDF-` must appear within the first 1024 bytes (ISO 32000 lets junk precede it).
pub(super) fn has_pdf_header(bytes: &[u8]) -> bool {
    let head = &bytes[..bytes.len().min(1024)];
    head.windows(5).any(|w| w == b"%PDF-")
}

fn corrupt(detail: impl std::fmt::Display) -> ParseFailure {
    ParseFailure::Corrupt { detail: detail.to_string() }
}

pub(super) fn extract(bytes: &[u8]) -> Result<ExtractedText, ParseFailure> {
    // The libraries index and unwrap freely on malformed input; a panic there must become
    // a refusal of the file, not a crashed consumer.
    match std::panic::catch_unwind(std::panic::AssertUnwindSafe(|| extract_inner(bytes))) {
        Ok(result) => result,
        Err(_) => Err(corrupt("PDF structure could not be interpreted")),
    }
}

fn extract_inner(bytes: &[u8]) -> Result<ExtractedText, ParseFailure> {
    let mut doc = Document::load_mem(bytes).map_err(|e| match e {
        lopdf::Error::Decryption(_) | lopdf::Error::InvalidPassword => ParseFailure::EncryptedPdf,
        other => corrupt(other),
    })?;
    if doc.is_encrypted() {
        return Err(ParseFailure::EncryptedPdf);
    }
    let pages = doc.get_pages();
    if pages.is_empty() {
        return Err(corrupt("no pages"));
    }
    let image_count = prepare_streams(&mut doc)?;
    check_xobjects(&doc, &pages)?;
    place_text_forms(&mut doc, &pages);

    let mut collector = Collector::default();
    let result = pdf_extract::output_doc(&doc, &mut collector);
    let mut notes = Vec::new();
    match result {
        Ok(()) => {}
        Err(_) if collector.truncated => {
            notes.push(format!("text beyond {MAX_TEXT_CHARS} characters ignored"));
        }
        Err(e) => return Err(corrupt(e)),
    }
    collector.finish_page();
    if doc.was_encrypted() {
        notes.push("PDF was encrypted with an empty user password; read without one".to_owned());
    }
    let multi_column_pages = collector.multi_column_pages;
    Ok(ExtractedText {
        kind: DocKind::Pdf,
        text: without_running_lines(&collector.text),
        pages: u32::try_from(pages.len()).unwrap_or(u32::MAX),
        multi_column_pages,
        image_count,
        notes,
        title_line: collector.title_line,
    })
}

fn name_of<'a>(dict: &'a lopdf::Dictionary, key: &[u8]) -> Option<&'a [u8]> {
    dict.get(key).ok().and_then(|o| o.as_name().ok())
}

/// Empties image streams (counted, never decoded) and decompresses Flate streams under a
/// budget. Returns the number of images.
fn prepare_streams(doc: &mut Document) -> Result<u32, ParseFailure> {
    let mut images = 0u32;
    let mut total: u64 = 0;
    for object in doc.objects.values_mut() {
        let Object::Stream(stream) = object else {
            continue;
        };
        if name_of(&stream.dict, b"Subtype") == Some(b"Image") {
            images += 1;
            stream.dict.remove(b"Filter");
            stream.dict.remove(b"DecodeParms");
            stream.set_content(Vec::new());
            continue;
        }
        let flate_only = match stream.dict.get(b"Filter") {
            Ok(Object::Name(n)) => n == b"FlateDecode",
            Ok(Object::Array(a)) => a.len() == 1 && matches!(&a[0], Object::Name(n) if n == b"FlateDecode"),
            _ => false,
        };
        if !flate_only || stream.dict.has(b"DecodeParms") {
            continue;
        }
        let mut out = Vec::new();
        let read =
            flate2::read::ZlibDecoder::new(stream.content.as_slice()).take(MAX_STREAM_BYTES + 1).read_to_end(&mut out);
        if read.is_err() && out.is_empty() {
            // Leave undecodable streams as they are; lopdf may still make sense of them.
            continue;
        }
        let len = out.len() as u64;
        total += len;
        if len > MAX_STREAM_BYTES || total > MAX_TOTAL_STREAM_BYTES {
            return Err(ParseFailure::ZipBomb { detail: "PDF streams decompress past the safety budget".to_owned() });
        }
        stream.dict.remove(b"Filter");
        sanitize_cmap_name(&mut out);
        stream.set_content(out);
    }
    Ok(images)
}

/// ToUnicode CMaps whose name holds a space or comma ("/-System-Library-Fonts-STHeiti
/// Medium.ttc,000-UTF16", as macOS writes them) make the CMap parser give up, and every
/// glyph of that font then comes out as nothing. The name is never used: replace it.
fn sanitize_cmap_name(content: &mut Vec<u8>) {
    const KEY: &[u8] = b"/CMapName";
    if !content.windows(9).any(|w| w == b"begincmap") {
        return;
    }
    let Some(start) = content.windows(KEY.len()).position(|w| w == KEY) else {
        return;
    };
    let after = start + KEY.len();
    let Some(def) = content[after..].windows(4).position(|w| w == b" def").map(|p| after + p) else {
        return;
    };
    // Only the first line's definition, and only when the name is malformed.
    let name = &content[after..def];
    if name.contains(&b'\n') || !name.trim_ascii().iter().skip(1).any(|b| matches!(b, b' ' | b',')) {
        return;
    }
    content.splice(after..def, b" /ClearViewUCS".iter().copied());
}

/// Form XObjects may draw other forms. pdf-extract recurses without a guard, so a cycle
/// would overflow the stack and a fan-out tree would run for ever: refuse both.
fn check_xobjects(doc: &Document, pages: &BTreeMap<u32, ObjectId>) -> Result<(), ParseFailure> {
    // Edges: form -> forms named in its resources (a superset of what it may draw).
    fn referenced_forms(doc: &Document, resources: Option<&Object>) -> Vec<ObjectId> {
        let resources = match resources {
            Some(Object::Reference(id)) => doc.get_dictionary(*id).ok(),
            Some(Object::Dictionary(d)) => Some(d),
            _ => None,
        };
        let Some(xobjects) = resources.and_then(|r| match r.get(b"XObject") {
            Ok(Object::Reference(id)) => doc.get_dictionary(*id).ok(),
            Ok(Object::Dictionary(d)) => Some(d),
            _ => None,
        }) else {
            return Vec::new();
        };
        xobjects
            .iter()
            .filter_map(|(_, v)| v.as_reference().ok())
            .filter(|id| {
                matches!(doc.get_object(*id), Ok(Object::Stream(s))
                    if name_of(&s.dict, b"Subtype") == Some(b"Form"))
            })
            .collect()
    }
    fn draws(doc: &Document, id: ObjectId) -> u64 {
        match doc.get_object(id) {
            Ok(Object::Stream(s)) => {
                let n = s.content.windows(2).filter(|w| w == b"Do").count() as u64;
                n.max(1)
            }
            _ => 1,
        }
    }
    fn cost(
        doc: &Document,
        id: ObjectId,
        visiting: &mut BTreeSet<ObjectId>,
        memo: &mut BTreeMap<ObjectId, u64>,
    ) -> Result<u64, ParseFailure> {
        if let Some(c) = memo.get(&id) {
            return Ok(*c);
        }
        if !visiting.insert(id) {
            return Err(corrupt("drawing objects refer to themselves"));
        }
        let resources = match doc.get_object(id) {
            Ok(Object::Stream(s)) => s.dict.get(b"Resources").ok(),
            _ => None,
        };
        let fan = draws(doc, id);
        let mut total: u64 = 1;
        for child in referenced_forms(doc, resources) {
            let c = cost(doc, child, visiting, memo)?;
            total = total.saturating_add(fan.saturating_mul(c));
        }
        visiting.remove(&id);
        memo.insert(id, total);
        Ok(total)
    }
    let mut memo = BTreeMap::new();
    for page_id in pages.values() {
        let Ok(page) = doc.get_dictionary(*page_id) else {
            continue;
        };
        let mut total: u64 = 0;
        for form in referenced_forms(doc, page.get(b"Resources").ok()) {
            total = total.saturating_add(cost(doc, form, &mut BTreeSet::new(), &mut memo)?);
        }
        if total > MAX_XOBJECT_INVOCATIONS {
            return Err(corrupt("drawing objects nest too deeply"));
        }
    }
    Ok(())
}

/// A PDF transformation matrix `[a b c d e f]`.
type Matrix = [f64; 6];
const IDENTITY: Matrix = [1.0, 0.0, 0.0, 1.0, 0.0, 0.0];

/// `m` applied first, then `n` (PDF order: `m × n`).
fn concat(m: &Matrix, n: &Matrix) -> Matrix {
    [
        m[0] * n[0] + m[1] * n[2],
        m[0] * n[1] + m[1] * n[3],
        m[2] * n[0] + m[3] * n[2],
        m[2] * n[1] + m[3] * n[3],
        m[4] * n[0] + m[5] * n[2] + n[4],
        m[4] * n[1] + m[5] * n[3] + n[5],
    ]
}

fn matrix_of(operands: &[Object]) -> Option<Matrix> {
    let [a, b, c, d, e, f] = operands else { return None };
    let mut m = [0.0; 6];
    for (slot, o) in m.iter_mut().zip([a, b, c, d, e, f]) {
        *slot = f64::from(o.as_float().ok()?);
    }
    m.iter().all(|v| v.is_finite()).then_some(m)
}

/// The XObject dictionary of a resources entry (direct or referenced): name → object.
fn xobjects_of<'a>(doc: &'a Document, resources: Option<&'a Object>) -> Option<&'a lopdf::Dictionary> {
    let resources = match resources? {
        Object::Reference(id) => doc.get_dictionary(*id).ok()?,
        Object::Dictionary(d) => d,
        _ => return None,
    };
    match resources.get(b"XObject").ok()? {
        Object::Reference(id) => doc.get_dictionary(*id).ok(),
        Object::Dictionary(d) => Some(d),
        _ => None,
    }
}

/// pdf-extract caches fonts by resource name for a whole page, so a form whose `/F0` is another
/// font than the page's `/F0` is decoded with the page's font (Chromium names fonts from `/F0`
/// in every form): its text comes out empty or wrong. Gives the form's fonts names of their
/// own (the font's object number in the name) in its resources and its content.
fn own_font_names(doc: &mut Document, form_id: ObjectId) {
    let Ok(Object::Stream(form)) = doc.get_object(form_id) else {
        return;
    };
    let resources = match form.dict.get(b"Resources") {
        Ok(Object::Reference(id)) => doc.get_dictionary(*id).ok(),
        Ok(Object::Dictionary(d)) => Some(d),
        _ => None,
    };
    let Some(mut resources) = resources.cloned() else {
        return;
    };
    let fonts = match resources.get(b"Font") {
        Ok(Object::Reference(id)) => doc.get_dictionary(*id).ok(),
        Ok(Object::Dictionary(d)) => Some(d),
        _ => None,
    };
    let Some(fonts) = fonts else {
        return;
    };
    let mut renamed: BTreeMap<Vec<u8>, Vec<u8>> = BTreeMap::new();
    let mut own_fonts = lopdf::Dictionary::new();
    for (name, font) in fonts.iter() {
        let (num, generation) = font.as_reference().unwrap_or(form_id);
        let mut new_name = name.clone();
        new_name.extend_from_slice(format!("_cv{num}_{generation}").as_bytes());
        own_fonts.set(new_name.clone(), font.clone());
        renamed.insert(name.clone(), new_name);
    }
    let Ok(mut content) = lopdf::content::Content::decode(&form.content) else {
        return;
    };
    for op in &mut content.operations {
        if op.operator == "Tf"
            && let Some(Object::Name(n)) = op.operands.first_mut()
            && let Some(new_name) = renamed.get(n.as_slice())
        {
            *n = new_name.clone();
        }
    }
    let Ok(encoded) = content.encode() else {
        return;
    };
    resources.set("Font", Object::Dictionary(own_fonts));
    if let Ok(Object::Stream(form)) = doc.get_object_mut(form_id) {
        form.dict.set("Resources", Object::Dictionary(resources));
        form.set_content(encoded);
    }
}

/// pdf-extract draws a Form XObject's content from an identity transform: the transform in
/// force where the page draws it, and the form's own `/Matrix`, are lost, so text inside a
/// form (Chromium draws text with opacity, section headings among them, that way) lands
/// somewhere else or off the page. For each form with text that the pages draw with one
/// transform, that transform is written in front of the form's content.
fn place_text_forms(doc: &mut Document, pages: &BTreeMap<u32, ObjectId>) {
    let text_forms: BTreeSet<ObjectId> = doc
        .objects
        .iter()
        .filter_map(|(id, o)| match o {
            Object::Stream(s)
                if name_of(&s.dict, b"Subtype") == Some(b"Form")
                    && !s.dict.has(b"Filter")
                    && s.content.windows(2).any(|w| w == b"BT") =>
            {
                Some(*id)
            }
            _ => None,
        })
        .collect();
    if text_forms.is_empty() {
        return;
    }
    for id in &text_forms {
        own_font_names(doc, *id);
    }
    let mut uses: BTreeMap<ObjectId, Vec<Matrix>> = BTreeMap::new();
    for page_id in pages.values() {
        let Ok(page) = doc.get_dictionary(*page_id) else {
            continue;
        };
        let Some(xobjects) = xobjects_of(doc, page.get(b"Resources").ok()) else {
            continue;
        };
        let named: BTreeMap<&[u8], ObjectId> = xobjects
            .iter()
            .filter_map(|(k, v)| {
                v.as_reference().ok().filter(|id| text_forms.contains(id)).map(|id| (k.as_slice(), id))
            })
            .collect();
        if named.is_empty() {
            continue;
        }
        let Ok(content) = doc.get_and_decode_page_content(*page_id) else {
            continue;
        };
        let mut ctm = IDENTITY;
        let mut stack: Vec<Matrix> = Vec::new();
        for op in &content.operations {
            match op.operator.as_str() {
                "q" => stack.push(ctm),
                "Q" => ctm = stack.pop().unwrap_or(IDENTITY),
                "cm" => {
                    if let Some(m) = matrix_of(&op.operands) {
                        ctm = concat(&m, &ctm);
                    }
                }
                "Do" => {
                    if let Some(id) = op.operands.first().and_then(|o| o.as_name().ok()).and_then(|n| named.get(n)) {
                        uses.entry(*id).or_default().push(ctm);
                    }
                }
                _ => {}
            }
        }
    }
    for (id, ctms) in uses {
        let Some(first) = ctms.first().copied() else {
            continue;
        };
        if ctms.iter().any(|m| m != &first) {
            continue;
        }
        let Ok(Object::Stream(form)) = doc.get_object_mut(id) else {
            continue;
        };
        let own = form.dict.get(b"Matrix").ok().and_then(|m| m.as_array().ok()).and_then(|a| matrix_of(a));
        let m = concat(&own.unwrap_or(IDENTITY), &first);
        if m == IDENTITY {
            continue;
        }
        let mut content = format!("{} {} {} {} {} {} cm\n", m[0], m[1], m[2], m[3], m[4], m[5]).into_bytes();
        content.extend_from_slice(&form.content);
        form.set_content(content);
    }
}

#[derive(Debug, Clone)]
struct Glyph {
    x: f64,
    y: f64,
    w: f64,
    size: f64,
    text: String,
    /// Glyphs without a known advance, merged in stream order (see `output_character`).
    zero_width_run: bool,
    /// Where the last glyph merged into this one was drawn.
    last_x: f64,
}

impl Glyph {
    /// A width-less glyph at (x, y) continues this run: same baseline, drawn where the
    /// previous one was (kerning moves it a little) or one plausible advance further on.
    fn continues(&self, x: f64, y: f64, size: f64) -> bool {
        (y - self.y).abs() < 0.1 * size && (self.size - size).abs() < 0.01 && (x - self.last_x).abs() <= 0.8 * size
    }
}

/// Typical advance of a character in ems, for glyphs whose font gives no width.
fn estimated_advance(s: &str) -> f64 {
    s.chars()
        .map(|c| match c {
            ' ' => 0.25,
            'i' | 'j' | 'l' | 'I' | '.' | ',' | ':' | ';' | '\'' | '|' | '!' => 0.25,
            'f' | 't' | 'r' | '(' | ')' | '-' | '/' => 0.35,
            'm' | 'w' | 'M' | 'W' => 0.8,
            c if c.is_ascii_uppercase() => 0.65,
            c if c.is_ascii_digit() => 0.5,
            _ => 0.5,
        })
        .sum()
}

/// A run of glyphs on one baseline without a wide gap.
#[derive(Debug, Clone)]
struct Segment {
    x0: f64,
    x1: f64,
    y: f64,
    size: f64,
    text: String,
}

#[derive(Default)]
struct Collector {
    page: u32,
    page_height: f64,
    page_width: f64,
    glyphs: Vec<Glyph>,
    text: String,
    chars: usize,
    truncated: bool,
    multi_column_pages: Vec<u32>,
    title_line: Option<String>,
}

impl Collector {
    fn finish_page(&mut self) {
        if self.glyphs.is_empty() {
            return;
        }
        let glyphs = std::mem::take(&mut self.glyphs);
        let segments = segments_of(glyphs);
        if self.text.is_empty() && self.title_line.is_none() {
            self.title_line = title_line(&segments, self.page_height);
        }
        let (page_text, columns) = layout_segments(segments, self.page_width);
        if columns {
            self.multi_column_pages.push(self.page);
        }
        if !self.text.is_empty() {
            self.text.push_str("\u{c}\n");
        }
        self.text.push_str(&page_text);
    }
}

impl OutputDev for Collector {
    fn begin_page(
        &mut self,
        page_num: u32,
        media_box: &MediaBox,
        _art_box: Option<(f64, f64, f64, f64)>,
    ) -> Result<(), OutputError> {
        self.finish_page();
        self.page = page_num;
        self.page_height = media_box.ury - media_box.lly;
        self.page_width = (media_box.urx - media_box.llx).abs();
        Ok(())
    }
    fn end_page(&mut self) -> Result<(), OutputError> {
        self.finish_page();
        Ok(())
    }
    fn output_character(
        &mut self,
        trm: &Transform,
        width: f64,
        _spacing: f64,
        font_size: f64,
        char: &str,
    ) -> Result<(), OutputError> {
        if self.chars >= MAX_TEXT_CHARS {
            self.truncated = true;
            return Err(OutputError::FormatError(std::fmt::Error));
        }
        let vx = font_size * (trm.m11 + trm.m21);
        let vy = font_size * (trm.m12 + trm.m22);
        let size = (vx * vy).abs().sqrt();
        let (x, y) = (trm.m31, self.page_height - trm.m32);
        if !(x.is_finite() && y.is_finite() && size.is_finite()) {
            return Ok(());
        }
        self.chars += char.chars().count();
        let size = size.max(0.1);
        if width <= 0.0 {
            // No advance width known for this glyph (pdf-extract reads none from some CID fonts,
            // e.g. Typst's and Chromium's): the position no longer advances, so glyphs drawn
            // next to each other would sort in any order. Keep stream order instead: a glyph
            // that starts where the previous width-less one did (within kerning) extends it,
            // with an estimated advance.
            if let Some(last) = self.glyphs.last_mut().filter(|g| g.zero_width_run && g.continues(x, y, size)) {
                last.text.push_str(char);
                last.w += estimated_advance(char) * size;
                last.last_x = x;
                return Ok(());
            }
            let w = estimated_advance(char) * size;
            self.glyphs.push(Glyph { x, y, w, size, text: char.to_owned(), zero_width_run: true, last_x: x });
            return Ok(());
        }
        self.glyphs.push(Glyph {
            x,
            y,
            w: (width * size).max(0.0),
            size,
            text: char.to_owned(),
            zero_width_run: false,
            last_x: x,
        });
        Ok(())
    }
    fn begin_word(&mut self) -> Result<(), OutputError> {
        Ok(())
    }
    fn end_word(&mut self) -> Result<(), OutputError> {
        Ok(())
    }
    fn end_line(&mut self) -> Result<(), OutputError> {
        Ok(())
    }
}

fn expand_ligature(s: &str) -> String {
    let mut out = String::with_capacity(s.len());
    for c in s.chars() {
        match c {
            '\u{FB00}' => out.push_str("ff"),
            '\u{FB01}' => out.push_str("fi"),
            '\u{FB02}' => out.push_str("fl"),
            '\u{FB03}' => out.push_str("ffi"),
            '\u{FB04}' => out.push_str("ffl"),
            // Word for Mac writes "-", U+00AD and U+2010 for one hyphen, so a run of hyphen
            // glyphs is one hyphen. (A soft hyphen is drawn: LaTeX classes set date ranges
            // with it.)
            '\u{2010}' | '\u{2011}' | '\u{00AD}' | '-' if out.ends_with('-') => {}
            '\u{2010}' | '\u{2011}' | '\u{00AD}' => out.push('-'),
            '\u{00A0}' => out.push(' '),
            other => out.push(other),
        }
    }
    out
}

/// Drops running headers and footers: a first or last line of a page that, digits aside,
/// is the first or last line of another page too ("February 10, 2026  Jane Doe · Résumé  2",
/// "Jane Doe - Page 2 of 3"). They would otherwise land inside whatever section the page
/// break falls in.
fn without_running_lines(text: &str) -> String {
    let pages: Vec<&str> = text.split("\u{c}\n").collect();
    if pages.len() < 2 {
        return text.to_owned();
    }
    let key = |l: &str| -> String {
        l.chars().filter(|c| !c.is_ascii_digit()).collect::<String>().split_whitespace().collect::<Vec<_>>().join(" ")
    };
    let edge = |p: &str, last: bool| -> Option<String> {
        let mut lines = p.lines().filter(|l| !l.trim().is_empty());
        let l = if last { lines.next_back() } else { lines.next() }?;
        let k = key(l);
        (k.chars().filter(|c| c.is_alphabetic()).count() >= 3).then_some(k)
    };
    let mut repeated: Vec<(bool, String)> = Vec::new();
    for last in [false, true] {
        let keys: Vec<String> = pages.iter().filter_map(|p| edge(p, last)).collect();
        for k in &keys {
            if keys.iter().filter(|o| *o == k).count() >= 2 && !repeated.contains(&(last, k.clone())) {
                repeated.push((last, k.clone()));
            }
        }
    }
    if repeated.is_empty() {
        return text.to_owned();
    }
    let mut out = Vec::with_capacity(pages.len());
    for p in &pages {
        let mut lines: Vec<&str> = p.lines().collect();
        for last in [false, true] {
            let idx = if last {
                lines.iter().rposition(|l| !l.trim().is_empty())
            } else {
                lines.iter().position(|l| !l.trim().is_empty())
            };
            if let Some(i) = idx
                && repeated.contains(&(last, key(lines[i])))
            {
                lines.remove(i);
            }
        }
        let mut page = lines.join("\n");
        if p.ends_with('\n') && !page.is_empty() {
            page.push('\n');
        }
        out.push(page);
    }
    out.join("\u{c}\n")
}

/// Groups glyphs into baselines, then splits each baseline at wide gaps into segments.
///
/// Glyphs share a baseline only within half the *smaller* font size, so a large name and a
/// smaller headline set just below it stay two lines instead of interleaving.
fn segments_of(mut glyphs: Vec<Glyph>) -> Vec<Segment> {
    glyphs.sort_by(|a, b| a.y.total_cmp(&b.y).then(a.x.total_cmp(&b.x)));
    let mut lines: Vec<Vec<Glyph>> = Vec::new();
    for g in glyphs {
        match lines.last_mut() {
            Some(line) if (g.y - line[0].y).abs() <= 0.5 * line[0].size.min(g.size) => line.push(g),
            _ => lines.push(vec![g]),
        }
    }
    let mut segments = Vec::new();
    for mut line in lines {
        line.sort_by(|a, b| a.x.total_cmp(&b.x));
        let mut run: Vec<Glyph> = Vec::new();
        for g in line {
            let blank = g.text.trim().is_empty();
            if let Some(last) = run.last() {
                let x1 = run.iter().map(|r| r.x + r.w).fold(f64::MIN, f64::max);
                // A gap after a blank glyph splits only when it is far wider than a justified
                // space: a trailing space drawn at the end of a sidebar item is no bridge to
                // the main column's text on the same baseline.
                let gap = g.x - x1;
                let split = if last.text.trim().is_empty() { gap > 2.5 * g.size } else { gap > 1.0 * g.size };
                if split && !blank {
                    segments.extend(segment_of(std::mem::take(&mut run)));
                }
            }
            if run.is_empty() && blank {
                continue;
            }
            run.push(g);
        }
        segments.extend(segment_of(run));
    }
    segments
}

/// The text of one run of glyphs. Spaces come from blank glyphs and from gaps; in
/// letter-spaced text ("J O H N   D O E", "E X P E R I E N C E") nearly every gap is wide, so
/// only gaps clearly wider than the letter spacing count as spaces.
fn segment_of(run: Vec<Glyph>) -> Option<Segment> {
    let first = run.first()?;
    let size = first.size;
    let mut gaps = Vec::new();
    for w in run.windows(2) {
        if !w[0].text.trim().is_empty() && !w[1].text.trim().is_empty() {
            gaps.push(w[1].x - (w[0].x + w[0].w));
        }
    }
    let mut threshold = 0.15 * size;
    let mut letter_spaced = false;
    // Letter spacing is for short runs (names, headings); a long line with every gap wide has
    // glyph widths we cannot trust, and dropping its word spaces would glue words together.
    if (3..=40).contains(&gaps.len()) {
        let mut sorted = gaps.clone();
        sorted.sort_by(f64::total_cmp);
        let median = sorted[sorted.len() / 2];
        let wide = gaps.iter().filter(|g| **g > threshold).count();
        if median > threshold && median < 0.6 * size && wide * 10 >= gaps.len() * 8 {
            threshold = median + 0.15 * size;
            letter_spaced = true;
        }
    }
    let mut seg = Segment { x0: first.x, x1: first.x + first.w, y: first.y, size, text: String::new() };
    let mut prev_end: Option<f64> = None;
    for g in &run {
        let blank = g.text.trim().is_empty();
        if blank {
            if !seg.text.is_empty() && !seg.text.ends_with(' ') {
                seg.text.push(' ');
            }
        } else {
            let threshold = if letter_spaced { threshold } else { 0.15 * g.size };
            if let Some(end) = prev_end
                && g.x - end > threshold
                && !seg.text.ends_with(' ')
            {
                seg.text.push(' ');
            }
            let piece = expand_ligature(&g.text);
            // One hyphen drawn as several hyphen glyphs ("-", U+2010) reads as one.
            let piece = if seg.text.ends_with('-') { piece.trim_start_matches('-') } else { piece.as_str() };
            seg.text.push_str(piece);
            prev_end = Some(g.x + g.w);
        }
        seg.x1 = seg.x1.max(g.x + g.w);
    }
    // The size of the letters: icon-font glyphs beside them are often drawn larger.
    seg.size = run.iter().filter(|g| g.text.chars().any(char::is_alphabetic)).map(|g| g.size).fold(0.0, f64::max);
    if seg.size == 0.0 {
        seg.size = size;
    }
    let trimmed = seg.text.trim_end().len();
    seg.text.truncate(trimmed);
    (!seg.text.is_empty()).then_some(seg)
}

/// Text set clearly larger than the body near the top of the page (a typeset name), lines of
/// that size joined in reading order.
fn title_line(segments: &[Segment], page_height: f64) -> Option<String> {
    let mut sizes: Vec<(f64, usize)> = segments.iter().map(|s| (s.size, s.text.len())).collect();
    let total: usize = sizes.iter().map(|s| s.1).sum();
    if total == 0 {
        return None;
    }
    // The size most of the text is set in.
    sizes.sort_by(|a, b| a.0.total_cmp(&b.0));
    let mut acc = 0;
    let body = sizes
        .iter()
        .find(|(_, n)| {
            acc += n;
            acc * 2 >= total
        })?
        .0;
    let top = segments
        .iter()
        .filter(|s| (page_height <= 0.0 || s.y < page_height * 0.4) && s.text.chars().any(char::is_alphabetic));
    let max = top.clone().map(|s| s.size).fold(0.0, f64::max);
    if max < 1.15 * body {
        return None;
    }
    let mut big: Vec<&Segment> = top.filter(|s| s.size >= 0.95 * max).collect();
    // Letters only: an icon-font glyph beside the name is no part of it.
    let letters = |t: &str| {
        t.chars()
            .filter(|c| c.is_alphanumeric() || c.is_whitespace() || matches!(c, '.' | '-' | '\''))
            .collect::<String>()
    };
    big.sort_by(|a, b| a.y.total_cmp(&b.y).then(a.x0.total_cmp(&b.x0)));
    let text = big.iter().map(|s| letters(&s.text)).collect::<Vec<_>>().join(" ");
    let words = text.split_whitespace().count();
    (1..=6).contains(&words).then_some(text)
}

/// A vertical gutter that splits the page into two text columns, if there is one.
///
/// Tab-stop layouts ("Engineer, Acme ........ 2019 – 2021") also leave an empty corridor, so
/// a gutter also needs the right-hand text to start at a common left edge (a column) and to
/// carry a real share of the page's text.
fn find_gutter(segments: &[Segment], page_width: f64) -> Option<f64> {
    if segments.len() < 8 || page_width <= 0.0 {
        return None;
    }
    let step = 2.0;
    let mut best: Option<(usize, f64, f64)> = None; // (crossings, run start, run end)
    let mut x = page_width * 0.2;
    let mut run: Option<(usize, f64)> = None;
    while x <= page_width * 0.8 {
        // A corridor only counts with text on both sides of it.
        let left = segments.iter().filter(|s| s.x1 <= x).count();
        let right = segments.iter().filter(|s| s.x0 >= x).count();
        let crossings =
            if left >= 3 && right >= 4 { segments.iter().filter(|s| s.x0 < x && s.x1 > x).count() } else { usize::MAX };
        match run {
            Some((c, _)) if c == crossings => {}
            Some((c, start)) => {
                consider(&mut best, c, start, x - step);
                run = Some((crossings, x));
            }
            None => run = Some((crossings, x)),
        }
        x += step;
    }
    if let Some((c, start)) = run {
        consider(&mut best, c, start, x - step);
    }
    fn consider(best: &mut Option<(usize, f64, f64)>, c: usize, start: f64, end: f64) {
        if end - start < 6.0 {
            return;
        }
        let better = match best {
            None => true,
            Some((bc, bs, be)) => c < *bc || (c == *bc && end - start > *be - *bs),
        };
        if better {
            *best = Some((c, start, end));
        }
    }
    let (crossings, start, end) = best?;
    if crossings == usize::MAX {
        return None;
    }
    let gutter = (start + end) / 2.0;
    if crossings * 10 > segments.len() {
        return None;
    }
    let right: Vec<&Segment> = segments.iter().filter(|s| s.x0 >= gutter).collect();
    let left_chars: usize = segments.iter().filter(|s| s.x1 <= gutter).map(|s| s.text.len()).sum();
    let right_chars: usize = right.iter().map(|s| s.text.len()).sum();
    let all_chars: usize = segments.iter().map(|s| s.text.len()).sum();
    if right.len() < 4 || right_chars * 5 < all_chars || left_chars * 10 < all_chars {
        return None;
    }
    let edge = right.iter().map(|s| s.x0).fold(f64::INFINITY, f64::min);
    let aligned = right.iter().filter(|s| s.x0 - edge < 30.0).count();
    if aligned * 10 < right.len() * 6 {
        return None;
    }
    Some(gutter)
}

/// Joins segments (already in reading order within one region) into lines.
fn lines_of(segments: &[&Segment], out: &mut String) {
    let mut last_y: Option<f64> = None;
    for s in segments {
        if let Some(y) = last_y {
            if (s.y - y).abs() < 0.5 {
                out.push('\t');
            } else {
                out.push('\n');
            }
        }
        out.push_str(&s.text);
        last_y = Some(s.y);
    }
    if last_y.is_some() {
        out.push('\n');
    }
}

/// Rebuilds a page's text in reading order; true when two columns were detected.
#[cfg(test)]
fn layout_page(glyphs: Vec<Glyph>, page_width: f64) -> (String, bool) {
    layout_segments(segments_of(glyphs), page_width)
}

fn layout_segments(segments: Vec<Segment>, page_width: f64) -> (String, bool) {
    let mut out = String::new();
    let Some(gutter) = find_gutter(&segments, page_width) else {
        let all: Vec<&Segment> = segments.iter().collect();
        lines_of(&all, &mut out);
        return (out, false);
    };
    let crosses = |s: &Segment| s.x0 < gutter && s.x1 > gutter;
    let column_top = segments.iter().filter(|s| !crosses(s)).map(|s| s.y).fold(f64::INFINITY, f64::min);
    // Full-width lines above the columns (name, contact line) come first.
    let header: Vec<&Segment> =
        segments.iter().filter(|s| s.y < column_top || (crosses(s) && s.y <= column_top)).collect();
    let in_header = |s: &Segment| s.y < column_top || (crosses(s) && s.y <= column_top);
    let left: Vec<&Segment> = segments.iter().filter(|s| !in_header(s) && s.x0 < gutter).collect();
    let right: Vec<&Segment> = segments.iter().filter(|s| !in_header(s) && s.x0 >= gutter).collect();
    lines_of(&header, &mut out);
    lines_of(&left, &mut out);
    lines_of(&right, &mut out);
    (out, true)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn word(x: f64, y: f64, text: &str) -> Vec<Glyph> {
        text.chars()
            .enumerate()
            .map(|(i, c)| Glyph {
                x: x + i as f64 * 5.0,
                y,
                w: 5.0,
                size: 10.0,
                text: c.to_string(),
                zero_width_run: false,
                last_x: x + i as f64 * 5.0,
            })
            .collect()
    }

    #[test]
    fn two_columns_read_left_column_before_right() {
        let mut g = word(50.0, 40.0, "JANE DOE  Senior Engineer and more words here to cross");
        for i in 0..6 {
            let y = 80.0 + i as f64 * 14.0;
            g.extend(word(40.0, y, &format!("left{i}")));
            g.extend(word(320.0, y, &format!("right column line {i}")));
        }
        let (text, columns) = layout_page(g, 600.0);
        assert!(columns);
        let lines: Vec<&str> = text.lines().collect();
        assert!(lines[0].starts_with("JANE DOE"));
        assert_eq!(lines[1], "left0");
        assert_eq!(lines[6], "left5");
        assert_eq!(lines[7], "right column line 0");
    }

    #[test]
    fn right_aligned_dates_are_not_a_second_column() {
        let mut g = Vec::new();
        for i in 0..6 {
            let y = 80.0 + i as f64 * 14.0;
            let title = format!("Engineer number {i}");
            g.extend(word(40.0, y, &title));
            let date = if i % 2 == 0 { "2019 - 2021" } else { "Jan 2019 - Present" };
            let x = 560.0 - date.len() as f64 * 5.0;
            g.extend(word(x, y, date));
        }
        let (text, columns) = layout_page(g, 600.0);
        assert!(!columns);
        assert!(text.starts_with("Engineer number 0\t2019 - 2021\n"));
    }

    fn sized(x: f64, y: f64, size: f64, text: &str) -> Vec<Glyph> {
        let step = size * 0.5;
        text.chars()
            .enumerate()
            .map(|(i, c)| Glyph {
                x: x + i as f64 * step,
                y,
                w: step,
                size,
                text: c.to_string(),
                zero_width_run: false,
                last_x: x + i as f64 * step,
            })
            .collect()
    }

    #[test]
    fn glyphs_without_widths_keep_stream_order() {
        // Typst/Chromium CID fonts: every glyph of "Last updated" reported at nearly the same x,
        // kerning nudging later chunks slightly left.
        let mut c = Collector { page_height: 800.0, page_width: 600.0, ..Collector::default() };
        let t = |x: f64| Transform::row_major(1.0, 0.0, 0.0, 1.0, x, 700.0);
        for (i, ch) in "Last updated".chars().enumerate() {
            let x = 400.0 - (i / 4) as f64 * 0.1;
            c.output_character(&t(x), 0.0, 0.0, 9.0, &ch.to_string()).unwrap();
        }
        c.finish_page();
        assert_eq!(c.text, "Last updated\n");
    }

    #[test]
    fn name_above_a_smaller_headline_does_not_interleave() {
        // A 32pt name whose baseline is 9pt above a 10pt headline.
        let mut g = sized(100.0, 100.0, 32.0, "Byungjin Park");
        g.extend(sized(110.0, 109.0, 10.0, "DevOps Engineer"));
        let (text, _) = layout_page(g, 600.0);
        assert_eq!(text, "Byungjin Park\nDevOps Engineer\n");
    }

    #[test]
    fn letter_spaced_name_reads_as_words() {
        // Each letter followed by a wide gap; a space glyph between the words.
        let mut g = Vec::new();
        let mut x = 200.0;
        for ch in "JOHN DOE".chars() {
            g.push(Glyph { x, y: 50.0, w: 9.0, size: 14.0, text: ch.to_string(), zero_width_run: false, last_x: x });
            x += 17.0;
        }
        let (text, _) = layout_page(g, 600.0);
        assert_eq!(text, "JOHN DOE\n");
    }

    /// A page whose `/F0` re-encodes "H" as "X" and draws a form (moved up the page) whose
    /// own `/F0` is plain Helvetica.
    fn page_with_a_text_form() -> Vec<u8> {
        use lopdf::{Stream, dictionary};
        let mut doc = Document::with_version("1.5");
        let pages_id = doc.new_object_id();
        let page_font = doc.add_object(dictionary! {
            "Type" => "Font", "Subtype" => "Type1", "BaseFont" => "Helvetica",
            "Encoding" => dictionary! { "Type" => "Encoding", "BaseEncoding" => "WinAnsiEncoding",
                "Differences" => vec![72.into(), Object::Name(b"X".to_vec())] },
        });
        let form_font = doc.add_object(dictionary! {
            "Type" => "Font", "Subtype" => "Type1", "BaseFont" => "Helvetica", "Encoding" => "WinAnsiEncoding",
        });
        let form = doc.add_object(Stream::new(
            dictionary! { "Type" => "XObject", "Subtype" => "Form", "BBox" => vec![0.into(), 0.into(), 300.into(), 40.into()],
                "Resources" => dictionary! { "Font" => dictionary! { "F0" => form_font } } },
            b"BT /F0 14 Tf 0 0 Td (HEADING) Tj ET".to_vec(),
        ));
        let content = doc.add_object(Stream::new(
            dictionary! {},
            b"BT /F0 11 Tf 72 700 Td (Body text below) Tj ET q 1 0 0 1 72 750 cm /X0 Do Q".to_vec(),
        ));
        let page = doc.add_object(dictionary! {
            "Type" => "Page", "Parent" => pages_id, "Contents" => content,
            "MediaBox" => vec![0.into(), 0.into(), 612.into(), 792.into()],
            "Resources" => dictionary! { "Font" => dictionary! { "F0" => page_font }, "XObject" => dictionary! { "X0" => form } },
        });
        doc.objects.insert(
            pages_id,
            Object::Dictionary(dictionary! { "Type" => "Pages", "Kids" => vec![page.into()], "Count" => 1 }),
        );
        let catalog = doc.add_object(dictionary! { "Type" => "Catalog", "Pages" => pages_id });
        doc.trailer.set("Root", catalog);
        let mut bytes = Vec::new();
        doc.save_to(&mut bytes).unwrap();
        bytes
    }

    #[test]
    fn text_inside_a_form_reads_with_its_own_font_where_the_page_draws_it() {
        let text = extract(&page_with_a_text_form()).unwrap().text;
        let lines: Vec<&str> = text.lines().collect();
        // Its own font (not the page's /F0, which would give "XEADING"), and above the body
        // text because the page moved it there (not at the form's origin, the page bottom).
        assert_eq!(lines, ["HEADING", "Body text below"], "{text:?}");
    }

    #[test]
    fn a_trailing_space_glyph_does_not_join_a_sidebar_item_to_the_main_column() {
        let mut g = word(40.0, 100.0, "Node.js ");
        g.extend(word(300.0, 100.0, "Penetration, University A"));
        let texts: Vec<String> = segments_of(g).into_iter().map(|s| s.text).collect();
        assert_eq!(texts, ["Node.js", "Penetration, University A"]);
        // A justified space (a blank glyph and a gap well under three letters) still joins.
        let mut j = word(40.0, 120.0, "wide ");
        j.extend(word(40.0 + 5.0 * 5.0 + 12.0, 120.0, "gap"));
        let texts: Vec<String> = segments_of(j).into_iter().map(|s| s.text).collect();
        assert_eq!(texts, ["wide gap"]);
    }

    #[test]
    fn malformed_cmap_name_is_replaced() {
        let mut cmap = b"/CIDInit /ProcSet findresource begin\nbegincmap\n/CMapName /-System-Library-Fonts-STHeiti Medium.ttc,000-UTF16 def\n1 beginbfchar\n<0003> <0020>\nendbfchar\nendcmap".to_vec();
        sanitize_cmap_name(&mut cmap);
        let text = String::from_utf8(cmap).unwrap();
        assert!(text.contains("/CMapName /ClearViewUCS def"), "{text}");
        let mut fine = b"begincmap\n/CMapName /Adobe-Identity-UCS def\n".to_vec();
        sanitize_cmap_name(&mut fine);
        assert_eq!(fine, b"begincmap\n/CMapName /Adobe-Identity-UCS def\n");
    }

    #[test]
    fn title_line_is_the_largest_text_at_the_top() {
        let mut g = sized(200.0, 40.0, 24.0, "Jane Smith");
        for i in 0..10 {
            g.extend(sized(40.0, 120.0 + i as f64 * 14.0, 10.0, "Body text of the resume goes here"));
        }
        let segments = segments_of(g);
        assert_eq!(title_line(&segments, 800.0).as_deref(), Some("Jane Smith"));
    }

    #[test]
    fn one_hyphen_drawn_as_several_hyphen_glyphs_reads_as_one() {
        assert_eq!(expand_ligature("-\u{ad}\u{2010}"), "-");
        let g = sized(10.0, 10.0, 10.0, "on-\u{ad}\u{2010}campus");
        assert_eq!(layout_page(g, 600.0).0, "on-campus\n");
    }

    #[test]
    fn running_footers_are_dropped() {
        let text = "Jane Doe\nExperience\nFebruary 10, 2026 Jane Doe · Résumé 1\n\u{c}\nAcme\nFebruary 10, 2026 Jane Doe · Résumé 2\n";
        assert_eq!(without_running_lines(text), "Jane Doe\nExperience\n\u{c}\nAcme\n");
    }

    #[test]
    fn garbage_after_header_is_corrupt_not_a_panic() {
        let err = extract(b"%PDF-1.7\n1 0 obj << /Type /Catalog /Pages 2 0 R >>\ngarbage").unwrap_err();
        assert_eq!(err.code(), "corrupt");
    }
}
