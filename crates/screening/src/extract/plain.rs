//! Plain-text resumes: UTF-8, UTF-16 with a byte-order mark, Windows-1252 as a fallback.

use super::{DocKind, ExtractedText, ParseFailure};

/// Share of control characters above which bytes are treated as binary, not text.
const MAX_CONTROL_SHARE: f64 = 0.01;

fn decode(bytes: &[u8]) -> Result<(String, Option<&'static str>), ParseFailure> {
    if let Some(rest) = bytes.strip_prefix(b"\xEF\xBB\xBF") {
        return std::str::from_utf8(rest)
            .map(|s| (s.to_owned(), None))
            .map_err(|_| binary("invalid UTF-8 after a UTF-8 byte-order mark"));
    }
    if bytes.starts_with(b"\xFF\xFE") || bytes.starts_with(b"\xFE\xFF") {
        let enc = if bytes[0] == 0xFF { encoding_rs::UTF_16LE } else { encoding_rs::UTF_16BE };
        let (text, had_errors) = enc.decode_with_bom_removal(bytes);
        if had_errors {
            return Err(binary("invalid UTF-16"));
        }
        return Ok((text.into_owned(), Some("encoding: UTF-16")));
    }
    if bytes.contains(&0) {
        return Err(binary("NUL bytes (binary data, or UTF-16 without a byte-order mark)"));
    }
    match std::str::from_utf8(bytes) {
        Ok(s) => Ok((s.to_owned(), None)),
        Err(_) => {
            let (text, _, _) = encoding_rs::WINDOWS_1252.decode(bytes);
            Ok((text.into_owned(), Some("encoding: not UTF-8, read as Windows-1252")))
        }
    }
}

fn binary(detail: &str) -> ParseFailure {
    ParseFailure::UnsupportedType { detail: format!("not text: {detail}") }
}

fn check_not_binary(text: &str) -> Result<(), ParseFailure> {
    let total = text.chars().count().max(1);
    let control = text.chars().filter(|c| c.is_control() && !matches!(c, '\n' | '\r' | '\t' | '\u{c}')).count();
    if control as f64 / total as f64 > MAX_CONTROL_SHARE {
        return Err(binary("too many control characters"));
    }
    Ok(())
}

/// Succeeds when the bytes read as text.
pub(super) fn classify(bytes: &[u8]) -> Result<(), ParseFailure> {
    let (text, _) = decode(bytes)?;
    check_not_binary(&text)
}

pub(super) fn extract(bytes: &[u8]) -> Result<ExtractedText, ParseFailure> {
    let (text, note) = decode(bytes)?;
    check_not_binary(&text)?;
    let text = text.replace("\r\n", "\n").replace('\r', "\n");
    Ok(ExtractedText {
        kind: DocKind::Text,
        text,
        pages: 1,
        multi_column_pages: Vec::new(),
        image_count: 0,
        notes: note.map(str::to_owned).into_iter().collect(),
        title_line: None,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn utf16_with_bom_is_decoded() {
        let mut bytes = vec![0xFF, 0xFE];
        for u in "Jane Doe — Engineer".encode_utf16() {
            bytes.extend_from_slice(&u.to_le_bytes());
        }
        let t = extract(&bytes).unwrap();
        assert_eq!(t.text, "Jane Doe — Engineer");
    }

    #[test]
    fn binary_bytes_are_rejected_as_unsupported() {
        let bytes: Vec<u8> = (0u8..=255).cycle().take(4096).collect();
        assert_eq!(classify(&bytes).unwrap_err().code(), "unsupported_type");
    }

    #[test]
    fn latin1_falls_back_to_windows_1252() {
        let t = extract(b"Jos\xE9 Garc\xEDa, r\xE9sum\xE9").unwrap();
        assert_eq!(t.text, "José García, résumé");
        assert_eq!(t.notes.len(), 1);
    }
}
