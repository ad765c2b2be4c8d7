//! DOCX (Office Open XML) text: paragraphs and tables of `word/document.xml`, with zip-bomb
//! and macro checks before anything is decompressed.

use std::io::{Cursor, Read};

use quick_xml::events::Event;

use super::{DocKind, ExtractedText, ParseFailure};

/// More entries than any real resume has; a flood of entries is an attack on the reader.
const MAX_ENTRIES: usize = 2_000;
/// Declared uncompressed size of one entry.
const MAX_ENTRY_BYTES: u64 = 32 * 1024 * 1024;
/// Declared uncompressed size of all entries together.
const MAX_TOTAL_BYTES: u64 = 128 * 1024 * 1024;
/// Compression ratio above which a large entry is considered a bomb (real XML: ~5–20x).
const MAX_RATIO: u64 = 200;
/// Entries smaller than this are never judged by ratio (tiny files compress oddly).
const RATIO_FLOOR_BYTES: u64 = 1024 * 1024;
/// Bytes we will actually decompress from any one part, whatever its header claims.
const MAX_READ_BYTES: u64 = 32 * 1024 * 1024;

const DOCUMENT_PART: &str = "word/document.xml";
const CONTENT_TYPES: &str = "[Content_Types].xml";

fn corrupt(detail: impl std::fmt::Display) -> ParseFailure {
    ParseFailure::Corrupt { detail: detail.to_string() }
}

struct Inspection {
    images: u32,
}

/// Checks the central directory only (no decompression): entry count, declared sizes and
/// ratios, macro parts. Returns what it learnt.
fn inspect(archive: &mut zip::ZipArchive<Cursor<&[u8]>>) -> Result<Inspection, ParseFailure> {
    if archive.len() > MAX_ENTRIES {
        return Err(ParseFailure::ZipBomb { detail: format!("{} entries", archive.len()) });
    }
    let mut total: u64 = 0;
    let mut images = 0;
    let mut has_document = false;
    for i in 0..archive.len() {
        let entry = archive.by_index_raw(i).map_err(corrupt)?;
        let name = entry.name().map_err(corrupt)?.to_ascii_lowercase();
        let size = entry.size();
        let compressed = entry.compressed_size().max(1);
        if name.ends_with("vbaproject.bin") || name.ends_with("vbadata.xml") {
            return Err(ParseFailure::MacroEnabled);
        }
        if size > MAX_ENTRY_BYTES {
            return Err(ParseFailure::ZipBomb { detail: format!("{name} declares {size} bytes") });
        }
        if size > RATIO_FLOOR_BYTES && size / compressed > MAX_RATIO {
            return Err(ParseFailure::ZipBomb { detail: format!("{name} expands {}x", size / compressed) });
        }
        total = total.saturating_add(size);
        if total > MAX_TOTAL_BYTES {
            return Err(ParseFailure::ZipBomb {
                detail: format!("archive declares more than {MAX_TOTAL_BYTES} bytes"),
            });
        }
        if name.starts_with("word/media/") {
            images += 1;
        }
        has_document |= name == DOCUMENT_PART;
    }
    if !has_document {
        return Err(ParseFailure::UnsupportedType { detail: "zip archive that is not a Word document".to_owned() });
    }
    let content_types = read_part(archive, CONTENT_TYPES)?;
    if String::from_utf8_lossy(&content_types).to_ascii_lowercase().contains("macroenabled") {
        return Err(ParseFailure::MacroEnabled);
    }
    Ok(Inspection { images })
}

/// Reads one part, stopping at [`MAX_READ_BYTES`] of actual output whatever the header says.
fn read_part(archive: &mut zip::ZipArchive<Cursor<&[u8]>>, name: &str) -> Result<Vec<u8>, ParseFailure> {
    let entry = match archive.by_name(name) {
        Ok(e) => e,
        Err(zip::result::ZipError::FileNotFound) => return Ok(Vec::new()),
        Err(e) => return Err(corrupt(e)),
    };
    let capacity = usize::try_from(entry.size().min(MAX_READ_BYTES)).unwrap_or(0);
    let mut out = Vec::with_capacity(capacity);
    entry.take(MAX_READ_BYTES + 1).read_to_end(&mut out).map_err(corrupt)?;
    if out.len() as u64 > MAX_READ_BYTES {
        return Err(ParseFailure::ZipBomb { detail: format!("{name} decompresses past {MAX_READ_BYTES} bytes") });
    }
    Ok(out)
}

fn open(bytes: &[u8]) -> Result<zip::ZipArchive<Cursor<&[u8]>>, ParseFailure> {
    zip::ZipArchive::new(Cursor::new(bytes)).map_err(corrupt)
}

/// Succeeds when the zip is a Word document we are willing to read.
pub(super) fn classify_zip(bytes: &[u8]) -> Result<(), ParseFailure> {
    inspect(&mut open(bytes)?).map(|_| ())
}

pub(super) fn extract(bytes: &[u8]) -> Result<ExtractedText, ParseFailure> {
    let mut archive = open(bytes)?;
    let inspection = inspect(&mut archive)?;
    let xml = read_part(&mut archive, DOCUMENT_PART)?;
    let text = document_text(&xml)?;
    Ok(ExtractedText {
        kind: DocKind::Docx,
        text,
        pages: 1,
        multi_column_pages: Vec::new(),
        image_count: inspection.images,
        notes: Vec::new(),
        title_line: None,
    })
}

/// Table state: rows of cells of paragraphs, so that a row of one-line cells becomes one
/// tab-separated line and a layout table (one big cell per side) reads cell by cell.
#[derive(Default)]
struct Table {
    rows: Vec<Vec<Vec<String>>>,
}

#[derive(Default)]
struct Walker {
    out: String,
    para: String,
    tables: Vec<Table>,
    in_text: bool,
    skip_depth: u32,
}

impl Walker {
    fn end_paragraph(&mut self) {
        let para = std::mem::take(&mut self.para);
        let para = para.trim_end().to_owned();
        if let Some(cell) = self.tables.last_mut().and_then(|t| t.rows.last_mut()).and_then(|r| r.last_mut()) {
            cell.push(para);
        } else {
            self.out.push_str(&para);
            self.out.push('\n');
        }
    }

    fn end_table(&mut self) {
        let Some(table) = self.tables.pop() else {
            return;
        };
        let mut lines = Vec::new();
        for row in table.rows {
            let cells: Vec<Vec<String>> =
                row.into_iter().map(|c| c.into_iter().filter(|p| !p.trim().is_empty()).collect()).collect();
            let simple = cells.iter().all(|c| c.len() <= 1);
            if simple {
                let joined: Vec<&str> = cells.iter().filter_map(|c| c.first().map(String::as_str)).collect();
                lines.push(joined.join("\t"));
            } else {
                for cell in cells {
                    lines.extend(cell);
                }
            }
        }
        // A nested table's lines belong to the enclosing cell.
        if let Some(cell) = self.tables.last_mut().and_then(|t| t.rows.last_mut()).and_then(|r| r.last_mut()) {
            cell.extend(lines);
        } else {
            for l in lines {
                self.out.push_str(&l);
                self.out.push('\n');
            }
        }
    }
}

fn document_text(xml: &[u8]) -> Result<String, ParseFailure> {
    let mut reader = quick_xml::Reader::from_reader(xml);
    let mut buf = Vec::new();
    let mut w = Walker::default();
    loop {
        let event = reader.read_event_into(&mut buf).map_err(corrupt)?;
        match event {
            Event::Start(e) => match e.local_name().as_ref() {
                // Deleted text, field codes and alternate (fallback) content are not read.
                "delText" | "instrText" | "Fallback" => w.skip_depth += 1,
                _ if w.skip_depth > 0 => {}
                "t" => w.in_text = true,
                "tbl" => w.tables.push(Table::default()),
                "tr" => {
                    if let Some(t) = w.tables.last_mut() {
                        t.rows.push(Vec::new());
                    }
                }
                "tc" => {
                    if let Some(r) = w.tables.last_mut().and_then(|t| t.rows.last_mut()) {
                        r.push(Vec::new());
                    }
                }
                _ => {}
            },
            Event::Empty(e) if w.skip_depth == 0 => match e.local_name().as_ref() {
                "tab" => w.para.push('\t'),
                "br" | "cr" => w.para.push('\n'),
                "p" => w.end_paragraph(),
                _ => {}
            },
            Event::End(e) => match e.local_name().as_ref() {
                "delText" | "instrText" | "Fallback" => {
                    w.skip_depth = w.skip_depth.saturating_sub(1);
                }
                _ if w.skip_depth > 0 => {}
                "t" => w.in_text = false,
                "p" => w.end_paragraph(),
                "tbl" => w.end_table(),
                _ => {}
            },
            Event::Text(t) if w.in_text && w.skip_depth == 0 => {
                w.para.push_str(&t.xml10_content());
            }
            Event::CData(t) if w.in_text && w.skip_depth == 0 => {
                w.para.push_str(&t.xml10_content());
            }
            Event::GeneralRef(r) if w.in_text && w.skip_depth == 0 => {
                if let Ok(Some(c)) = r.resolve_char_ref() {
                    w.para.push(c);
                } else {
                    let name = r.xml10_content();
                    let c = match name.as_ref() {
                        "amp" => '&',
                        "lt" => '<',
                        "gt" => '>',
                        "quot" => '"',
                        "apos" => '\'',
                        _ => ' ',
                    };
                    w.para.push(c);
                }
            }
            Event::Eof => break,
            _ => {}
        }
        buf.clear();
    }
    while !w.tables.is_empty() {
        w.end_table();
    }
    Ok(w.out)
}

#[cfg(test)]
mod tests {
    use super::*;

    const NS: &str = r#"xmlns:w="http://schemas.openxmlformats.org/wordprocessingml/2006/main""#;

    #[test]
    fn paragraphs_and_table_rows_become_lines() {
        let xml = format!(
            r#"<w:document {NS}><w:body>
            <w:p><w:r><w:t>Jane Doe</w:t></w:r></w:p>
            <w:p><w:r><w:t xml:space="preserve">R&amp;D </w:t></w:r><w:r><w:tab/><w:t>Lead</w:t></w:r></w:p>
            <w:tbl><w:tr>
              <w:tc><w:p><w:r><w:t>Engineer</w:t></w:r></w:p></w:tc>
              <w:tc><w:p><w:r><w:t>Acme</w:t></w:r></w:p></w:tc>
            </w:tr></w:tbl>
            <w:p><w:r><w:delText>secret</w:delText><w:instrText>HYPERLINK</w:instrText><w:t>End</w:t></w:r></w:p>
            </w:body></w:document>"#
        );
        let text = document_text(xml.as_bytes()).unwrap();
        assert_eq!(text, "Jane Doe\nR&D \tLead\nEngineer\tAcme\nEnd\n");
    }

    #[test]
    fn layout_table_cells_read_one_after_another() {
        let xml = format!(
            r#"<w:document {NS}><w:body><w:tbl><w:tr>
              <w:tc><w:p><w:r><w:t>Skills</w:t></w:r></w:p><w:p><w:r><w:t>Rust</w:t></w:r></w:p></w:tc>
              <w:tc><w:p><w:r><w:t>Experience</w:t></w:r></w:p><w:p><w:r><w:t>Engineer</w:t></w:r></w:p></w:tc>
            </w:tr></w:tbl></w:body></w:document>"#
        );
        let text = document_text(xml.as_bytes()).unwrap();
        assert_eq!(text, "Skills\nRust\nExperience\nEngineer\n");
    }

    #[test]
    fn malformed_xml_is_corrupt() {
        let err = document_text(b"<w:document><w:body><w:p></w:body>").unwrap_err();
        assert_eq!(err.code(), "corrupt");
    }
}
