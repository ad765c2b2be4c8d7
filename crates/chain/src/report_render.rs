//! Rendering a report: its sections (a table each, and a chart where one helps) as a PDF (a
//! title page, then the sections; vector charts: bar, line, funnel; Helvetica, A4), as RFC 4180
//! CSV (UTF-8, a header row, one row per figure), or as JSON.

use lopdf::content::{Content, Operation};
use lopdf::{Document, Object, Stream, dictionary};
use serde::Serialize;

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "lowercase")]
pub enum ChartKind {
    Bar,
    Line,
    Funnel,
}

#[derive(Debug, Clone, PartialEq, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct Chart {
    pub kind: ChartKind,
    pub title: String,
    pub labels: Vec<String>,
    pub values: Vec<f64>,
    /// A horizontal reference line (the four-fifths threshold of impact ratios).
    pub reference: Option<f64>,
}

#[derive(Debug, Clone, PartialEq, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct Section {
    pub title: String,
    pub columns: Vec<String>,
    pub rows: Vec<Vec<String>>,
    pub chart: Option<Chart>,
    pub notes: Vec<String>,
}

#[derive(Debug, Clone, PartialEq, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct ReportDoc {
    pub title: String,
    pub lines: Vec<String>,
    pub sections: Vec<Section>,
}

/// A count as printed.
pub fn int(n: i64) -> String {
    n.to_string()
}

/// A rate or ratio as printed (three decimals; `-` when undefined).
pub fn num(x: Option<f64>) -> String {
    x.map(|v| format!("{v:.3}")).unwrap_or_else(|| "-".into())
}

/// RFC 4180 CSV: `section,row,column,value`, one row per figure (a long table a spreadsheet
/// pivots), UTF-8 with a header row.
pub fn csv(doc: &ReportDoc) -> Result<Vec<u8>, String> {
    let mut w = csv::WriterBuilder::new().terminator(csv::Terminator::CRLF).from_writer(Vec::new());
    w.write_record(["section", "row", "column", "value"]).map_err(|e| e.to_string())?;
    for s in &doc.sections {
        for row in &s.rows {
            let key = row.first().cloned().unwrap_or_default();
            for (c, v) in s.columns.iter().zip(row).skip(1) {
                w.write_record([s.title.as_str(), key.as_str(), c.as_str(), v.as_str()]).map_err(|e| e.to_string())?;
            }
        }
    }
    w.into_inner().map_err(|e| e.to_string())
}

const W: f32 = 595.0;
const H: f32 = 842.0;
const MARGIN: f32 = 50.0;
const ROW: f32 = 15.0;
const CHART_H: f32 = 200.0;

/// PDF text is WinAnsi: anything else prints as `?`.
fn ascii(s: &str) -> String {
    s.chars()
        .map(|c| match c {
            '–' | '—' => '-',
            '÷' => '/',
            '→' => '>',
            '×' => 'x',
            '≥' => '>',
            '≤' => '<',
            c if c.is_ascii() && !c.is_ascii_control() => c,
            _ => '?',
        })
        .collect()
}

struct Pages {
    pages: Vec<Vec<Operation>>,
    y: f32,
}

impl Pages {
    fn new() -> Self {
        Pages { pages: vec![Vec::new()], y: H - MARGIN }
    }
    fn ops(&mut self) -> &mut Vec<Operation> {
        self.pages.last_mut().expect("a page")
    }
    fn new_page(&mut self) {
        self.pages.push(Vec::new());
        self.y = H - MARGIN;
    }
    fn need(&mut self, height: f32) {
        if self.y - height < MARGIN {
            self.new_page();
        }
    }
    fn text(&mut self, x: f32, y: f32, size: f32, bold: bool, s: &str) {
        let font = if bold { "F2" } else { "F1" };
        self.ops().extend([
            Operation::new("BT", vec![]),
            Operation::new("Tf", vec![font.into(), size.into()]),
            Operation::new("Td", vec![x.into(), y.into()]),
            Operation::new("Tj", vec![Object::string_literal(ascii(s))]),
            Operation::new("ET", vec![]),
        ]);
    }
    fn rect(&mut self, x: f32, y: f32, w: f32, h: f32, gray: f32) {
        self.ops().extend([
            Operation::new("g", vec![gray.into()]),
            Operation::new("re", vec![x.into(), y.into(), w.into(), h.into()]),
            Operation::new("f", vec![]),
            Operation::new("g", vec![0.0f32.into()]),
        ]);
    }
    fn color_rect(&mut self, x: f32, y: f32, w: f32, h: f32, rgb: (f32, f32, f32)) {
        self.ops().extend([
            Operation::new("rg", vec![rgb.0.into(), rgb.1.into(), rgb.2.into()]),
            Operation::new("re", vec![x.into(), y.into(), w.into(), h.into()]),
            Operation::new("f", vec![]),
            Operation::new("rg", vec![0.0f32.into(), 0.0f32.into(), 0.0f32.into()]),
        ]);
    }
    fn line(&mut self, points: &[(f32, f32)], width: f32, rgb: (f32, f32, f32)) {
        let Some(first) = points.first() else { return };
        let ops = self.ops();
        ops.push(Operation::new("RG", vec![rgb.0.into(), rgb.1.into(), rgb.2.into()]));
        ops.push(Operation::new("w", vec![width.into()]));
        ops.push(Operation::new("m", vec![first.0.into(), first.1.into()]));
        for p in &points[1..] {
            ops.push(Operation::new("l", vec![p.0.into(), p.1.into()]));
        }
        ops.push(Operation::new("S", vec![]));
        ops.push(Operation::new("RG", vec![0.0f32.into(), 0.0f32.into(), 0.0f32.into()]));
    }
}

const BLUE: (f32, f32, f32) = (0.16, 0.38, 0.67);
const RED: (f32, f32, f32) = (0.80, 0.15, 0.15);

fn truncate(s: &str, n: usize) -> String {
    if s.chars().count() <= n { s.to_owned() } else { format!("{}.", s.chars().take(n - 1).collect::<String>()) }
}

fn table(p: &mut Pages, s: &Section) {
    let cols = s.columns.len().max(1);
    let width = (W - 2.0 * MARGIN) / cols as f32;
    let chars = ((width / 5.2) as usize).max(6);
    let header = |p: &mut Pages| {
        p.rect(MARGIN, p.y - 4.0, W - 2.0 * MARGIN, ROW, 0.88);
        for (i, c) in s.columns.iter().enumerate() {
            p.text(MARGIN + 3.0 + i as f32 * width, p.y, 9.0, true, &truncate(c, chars));
        }
        p.y -= ROW;
    };
    p.need(ROW * 2.0);
    header(p);
    for (n, row) in s.rows.iter().enumerate() {
        if p.y - ROW < MARGIN {
            p.new_page();
            p.text(MARGIN, p.y, 10.0, true, &format!("{} (continued)", s.title));
            p.y -= ROW * 1.5;
            header(p);
        }
        if n % 2 == 1 {
            p.rect(MARGIN, p.y - 4.0, W - 2.0 * MARGIN, ROW, 0.96);
        }
        for (i, v) in row.iter().enumerate() {
            p.text(MARGIN + 3.0 + i as f32 * width, p.y, 9.0, false, &truncate(v, chars));
        }
        p.y -= ROW;
    }
}

fn chart(p: &mut Pages, c: &Chart) {
    p.need(CHART_H + 40.0);
    p.text(MARGIN, p.y, 10.0, true, &c.title);
    p.y -= 12.0;
    let (x0, y0, w, h) = (MARGIN + 30.0, p.y - CHART_H + 20.0, W - 2.0 * MARGIN - 40.0, CHART_H - 40.0);
    let max = c.values.iter().copied().fold(c.reference.unwrap_or(0.0), f64::max).max(f64::MIN_POSITIVE);
    let n = c.values.len().max(1);
    match c.kind {
        ChartKind::Bar | ChartKind::Line => {
            p.line(&[(x0, y0 + h), (x0, y0), (x0 + w, y0)], 0.8, (0.0, 0.0, 0.0));
            p.text(x0 - 28.0, y0 + h - 3.0, 7.0, false, &trim(max));
            p.text(x0 - 10.0, y0 - 3.0, 7.0, false, "0");
            let slot = w / n as f32;
            let y_of = |v: f64| y0 + (v / max) as f32 * h;
            if c.kind == ChartKind::Bar {
                for (i, v) in c.values.iter().enumerate() {
                    let x = x0 + i as f32 * slot + slot * 0.15;
                    p.color_rect(x, y0, slot * 0.7, y_of(*v) - y0, BLUE);
                    p.text(x, y_of(*v) + 3.0, 7.0, false, &trim(*v));
                }
            } else {
                let pts: Vec<(f32, f32)> =
                    c.values.iter().enumerate().map(|(i, v)| (x0 + (i as f32 + 0.5) * slot, y_of(*v))).collect();
                p.line(&pts, 1.5, BLUE);
                for (x, y) in &pts {
                    p.color_rect(x - 1.5, y - 1.5, 3.0, 3.0, BLUE);
                }
            }
            let every = (n / 10).max(1);
            for (i, l) in c.labels.iter().enumerate().filter(|(i, _)| i % every == 0 || *i == n - 1) {
                p.text(
                    x0 + i as f32 * slot + 2.0,
                    y0 - 11.0,
                    6.5,
                    false,
                    &truncate(l, ((slot * every as f32) / 3.6) as usize),
                );
            }
            if let Some(r) = c.reference {
                p.line(&[(x0, y_of(r)), (x0 + w, y_of(r))], 1.0, RED);
                p.text(x0 + w - 60.0, y_of(r) + 3.0, 7.0, false, &format!("threshold {}", trim(r)));
            }
        }
        ChartKind::Funnel => {
            let band = h / n as f32;
            for (i, (l, v)) in c.labels.iter().zip(&c.values).enumerate() {
                let bw = ((*v / max) as f32 * (w - 120.0)).max(1.0);
                let y = y0 + h - (i as f32 + 1.0) * band;
                p.color_rect(x0 + 110.0 + (w - 120.0 - bw) / 2.0, y + 2.0, bw, band - 4.0, BLUE);
                p.text(x0 - 20.0, y + band / 2.0 - 3.0, 8.0, false, &format!("{} ({})", truncate(l, 20), trim(*v)));
            }
        }
    }
    p.y -= CHART_H + 10.0;
}

/// Words into lines of at most `width` characters.
fn wrap(text: &str, width: usize) -> Vec<String> {
    let mut lines = vec![String::new()];
    for w in text.split_whitespace() {
        let last = lines.last_mut().expect("a line");
        if !last.is_empty() && last.chars().count() + 1 + w.chars().count() > width {
            lines.push(w.to_owned());
        } else {
            if !last.is_empty() {
                last.push(' ');
            }
            last.push_str(w);
        }
    }
    lines
}

fn trim(v: f64) -> String {
    if v.fract() == 0.0 && v.abs() < 1e12 { format!("{}", v as i64) } else { format!("{v:.3}") }
}

/// The PDF: a title page, then each section's heading, table, chart and notes. Returns the bytes
/// and the page count.
pub fn pdf(doc: &ReportDoc) -> Result<(Vec<u8>, u32), String> {
    let mut p = Pages::new();
    p.text(MARGIN, H - 200.0, 26.0, true, &doc.title);
    let mut y = H - 240.0;
    for l in &doc.lines {
        p.text(MARGIN, y, 12.0, false, l);
        y -= 18.0;
    }
    y -= 20.0;
    p.text(MARGIN, y, 12.0, true, "Contents");
    for (i, s) in doc.sections.iter().enumerate() {
        y -= 16.0;
        p.text(MARGIN + 10.0, y, 11.0, false, &format!("{}. {}", i + 1, s.title));
    }
    for s in &doc.sections {
        p.new_page();
        p.text(MARGIN, p.y, 15.0, true, &s.title);
        p.y -= ROW * 2.0;
        table(&mut p, s);
        p.y -= ROW;
        if let Some(c) = &s.chart {
            chart(&mut p, c);
        }
        for n in &s.notes {
            for line in wrap(n, 115) {
                p.need(ROW);
                p.text(MARGIN, p.y, 8.0, false, &line);
                p.y -= ROW * 0.75;
            }
            p.y -= ROW * 0.3;
        }
    }
    let total = p.pages.len();
    for (i, ops) in p.pages.iter_mut().enumerate() {
        ops.extend([
            Operation::new("BT", vec![]),
            Operation::new("Tf", vec!["F1".into(), 8.0f32.into()]),
            Operation::new("Td", vec![(W - MARGIN - 60.0).into(), 25.0f32.into()]),
            Operation::new("Tj", vec![Object::string_literal(format!("Page {} of {total}", i + 1))]),
            Operation::new("ET", vec![]),
        ]);
    }

    let mut d = Document::with_version("1.5");
    let pages_id = d.new_object_id();
    let f1 = d.add_object(dictionary! {
        "Type" => "Font", "Subtype" => "Type1", "BaseFont" => "Helvetica", "Encoding" => "WinAnsiEncoding",
    });
    let f2 = d.add_object(dictionary! {
        "Type" => "Font", "Subtype" => "Type1", "BaseFont" => "Helvetica-Bold", "Encoding" => "WinAnsiEncoding",
    });
    let resources = d.add_object(dictionary! { "Font" => dictionary! { "F1" => f1, "F2" => f2 } });
    let mut kids = Vec::new();
    for ops in p.pages {
        let content = Content { operations: ops }.encode().map_err(|e| e.to_string())?;
        let content_id = d.add_object(Stream::new(dictionary! {}, content));
        let page = d.add_object(dictionary! { "Type" => "Page", "Parent" => pages_id, "Contents" => content_id });
        kids.push(Object::Reference(page));
    }
    let count = kids.len() as u32;
    d.objects.insert(
        pages_id,
        Object::Dictionary(dictionary! {
            "Type" => "Pages",
            "Kids" => kids,
            "Count" => count as i64,
            "Resources" => resources,
            "MediaBox" => vec![0.into(), 0.into(), (W as i64).into(), (H as i64).into()],
        }),
    );
    let info = d.add_object(dictionary! {
        "Title" => Object::string_literal(ascii(&doc.title)),
        "Producer" => Object::string_literal("ClearView"),
    });
    let catalog = d.add_object(dictionary! { "Type" => "Catalog", "Pages" => pages_id });
    d.trailer.set("Root", catalog);
    d.trailer.set("Info", info);
    d.compress();
    let mut out = Vec::new();
    d.save_to(&mut out).map_err(|e| e.to_string())?;
    Ok((out, count))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn doc() -> ReportDoc {
        ReportDoc {
            title: "Recruitment report".into(),
            lines: vec!["2026-01-01 to 2026-03-31".into()],
            sections: vec![Section {
                title: "Sources".into(),
                columns: vec!["source".into(), "applications".into(), "note".into()],
                rows: vec![vec!["referral".into(), "3".into(), "said \"great\", twice".into()]],
                chart: Some(Chart {
                    kind: ChartKind::Bar,
                    title: "Applications by source".into(),
                    labels: vec!["referral".into()],
                    values: vec![3.0],
                    reference: None,
                }),
                notes: vec![],
            }],
        }
    }

    #[test]
    fn csv_is_rfc_4180_with_a_header_and_one_row_per_figure() {
        let text = String::from_utf8(csv(&doc()).unwrap()).unwrap();
        assert_eq!(
            text,
            "section,row,column,value\r\nSources,referral,applications,3\r\nSources,referral,note,\"said \"\"great\"\", twice\"\r\n"
        );
    }

    #[test]
    fn the_pdf_has_a_title_page_and_a_page_per_section_and_reads_back() {
        let (bytes, pages) = pdf(&doc()).unwrap();
        assert_eq!(pages, 2);
        let back = lopdf::Document::load_mem(&bytes).unwrap();
        assert_eq!(back.get_pages().len(), 2);
    }
}
