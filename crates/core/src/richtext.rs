//! Rich job descriptions: HTML is kept only through an allow-list sanitiser (ammonia), Markdown
//! is rendered (pulldown-cmark) and then sanitised the same way, and every description also has
//! a plain-text form for the screening and ad-language code, which must never read markup.

use serde::{Deserialize, Serialize};

/// How a description is written.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, Serialize, Deserialize, utoipa::ToSchema)]
#[serde(rename_all = "lowercase")]
pub enum DescriptionFormat {
    /// Plain text (the default): stored as sent; blank lines separate paragraphs.
    #[default]
    Text,
    /// HTML: stored sanitised (no scripts, event handlers, `javascript:` URLs, styles or images).
    Html,
    /// Markdown (CommonMark with tables and strikethrough): rendered to HTML on input, then
    /// sanitised, and stored as `html`.
    Markdown,
}

/// A description as it is stored: the text or sanitised HTML, its format (`text` or `html`),
/// and for HTML its plain-text form.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Stored {
    pub description: String,
    pub format: DescriptionFormat,
    /// Present for HTML: what the screening and ad-language code read.
    pub text: Option<String>,
}

fn sanitiser() -> ammonia::Builder<'static> {
    let mut b = ammonia::Builder::default();
    // Images would let a posting load remote content (a tracking pixel) in every reader's browser.
    b.rm_tags(["img"]);
    b.link_rel(Some("noopener noreferrer nofollow"));
    b
}

/// Sanitises HTML with the allow-list: what is not known to be harmless is dropped (script and
/// style elements with their content, `on*` attributes, URLs other than http, https, mailto and
/// tel, and so on).
pub fn sanitize_html(html: &str) -> String {
    sanitiser().clean(html).to_string()
}

/// Renders Markdown to HTML (raw HTML inside it is sanitised like any other).
pub fn markdown_to_html(md: &str) -> String {
    use pulldown_cmark::{Options, Parser, html};
    let mut out = String::with_capacity(md.len() * 3 / 2);
    html::push_html(&mut out, Parser::new_ext(md, Options::ENABLE_TABLES | Options::ENABLE_STRIKETHROUGH));
    sanitize_html(&out)
}

/// A description sent in `format`, as it is to be stored.
pub fn store(format: DescriptionFormat, input: &str) -> Stored {
    let html = match format {
        DescriptionFormat::Text => {
            return Stored { description: input.to_owned(), format: DescriptionFormat::Text, text: None };
        }
        DescriptionFormat::Html => sanitize_html(input),
        DescriptionFormat::Markdown => markdown_to_html(input),
    };
    let text = html_to_text(&html);
    Stored { description: html.trim().to_owned(), format: DescriptionFormat::Html, text: Some(text) }
}

/// Plain text as HTML: escaped, blank lines separating paragraphs, single newlines as breaks.
pub fn text_to_html(text: &str) -> String {
    let text = text.replace("\r\n", "\n");
    text.split("\n\n")
        .map(str::trim)
        .filter(|p| !p.is_empty())
        .map(|p| format!("<p>{}</p>", escape(p).replace('\n', "<br>")))
        .collect()
}

/// Escapes text for HTML.
pub fn escape(s: &str) -> String {
    let mut out = String::with_capacity(s.len());
    for c in s.chars() {
        match c {
            '&' => out.push_str("&amp;"),
            '<' => out.push_str("&lt;"),
            '>' => out.push_str("&gt;"),
            '"' => out.push_str("&quot;"),
            '\'' => out.push_str("&#39;"),
            c => out.push(c),
        }
    }
    out
}

/// The text of sanitised HTML: tags dropped, block elements and `<br>` as line breaks, entities
/// decoded. Only for the sanitiser's own output (well-formed, comments and scripts gone).
pub fn html_to_text(html: &str) -> String {
    /// Elements that end a paragraph, and elements that end a line.
    const PARAGRAPHS: &[&str] = &[
        "p",
        "h1",
        "h2",
        "h3",
        "h4",
        "h5",
        "h6",
        "ul",
        "ol",
        "table",
        "blockquote",
        "pre",
        "hr",
        "dl",
        "section",
        "article",
    ];
    const LINES: &[&str] = &["br", "li", "tr", "div", "dt", "dd"];
    let mut out = String::with_capacity(html.len());
    let push_text = |out: &mut String, segment: &str| {
        // Whitespace between blocks is the markup's layout, not text.
        if segment.trim().is_empty() && (out.is_empty() || out.ends_with('\n')) {
            return;
        }
        out.push_str(&decode(segment));
    };
    let mut rest = html;
    while let Some(lt) = rest.find('<') {
        push_text(&mut out, &rest[..lt]);
        let Some(gt) = rest[lt..].find('>') else {
            rest = "";
            break;
        };
        let tag = &rest[lt + 1..lt + gt];
        let name: String = tag
            .trim_start_matches('/')
            .chars()
            .take_while(|c| c.is_ascii_alphanumeric())
            .collect::<String>()
            .to_ascii_lowercase();
        if !out.is_empty() {
            if PARAGRAPHS.contains(&name.as_str()) {
                while !out.ends_with("\n\n") {
                    out.push('\n');
                }
            } else if LINES.contains(&name.as_str()) && !out.ends_with('\n') {
                out.push('\n');
            }
        }
        if name == "li" && !tag.starts_with('/') {
            out.push_str("- ");
        }
        rest = &rest[lt + gt + 1..];
    }
    push_text(&mut out, rest);
    // Collapse runs of blank lines and trailing spaces that tags leave behind.
    let lines: Vec<&str> = out.lines().map(str::trim_end).collect();
    let mut text = String::with_capacity(out.len());
    let mut blank = false;
    for l in lines {
        if l.trim().is_empty() {
            blank = !text.is_empty();
            continue;
        }
        if !text.is_empty() {
            text.push('\n');
            if blank {
                text.push('\n');
            }
        }
        blank = false;
        text.push_str(l);
    }
    text
}

fn decode(s: &str) -> String {
    if !s.contains('&') {
        return s.to_owned();
    }
    let mut out = String::with_capacity(s.len());
    let mut rest = s;
    while let Some(amp) = rest.find('&') {
        out.push_str(&rest[..amp]);
        rest = &rest[amp..];
        let end = rest.find(';').filter(|e| *e <= 10);
        let decoded = end.and_then(|e| {
            let entity = &rest[1..e];
            let c = match entity {
                "amp" => Some('&'),
                "lt" => Some('<'),
                "gt" => Some('>'),
                "quot" => Some('"'),
                "apos" => Some('\''),
                "nbsp" => Some('\u{a0}'),
                _ => entity
                    .strip_prefix("#x")
                    .or_else(|| entity.strip_prefix("#X"))
                    .and_then(|h| u32::from_str_radix(h, 16).ok())
                    .or_else(|| entity.strip_prefix('#').and_then(|d| d.parse().ok()))
                    .and_then(char::from_u32),
            };
            c.map(|c| (c, e))
        });
        match decoded {
            Some((c, e)) => {
                out.push(c);
                rest = &rest[e + 1..];
            }
            None => {
                out.push('&');
                rest = &rest[1..];
            }
        }
    }
    out.push_str(rest);
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn scripts_event_handlers_and_javascript_urls_are_removed_from_html() {
        let s = store(
            DescriptionFormat::Html,
            r#"<p onclick="steal()">Join <b>us</b></p><script>alert(1)</script><img src=x onerror=alert(1)><a href="javascript:alert(1)">x</a><a href="https://acme.example/jobs">site</a>"#,
        );
        let html = s.description.to_ascii_lowercase();
        for bad in ["<script", "alert(1)", "onerror", "onclick", "javascript:", "<img"] {
            assert!(!html.contains(bad), "{bad} survived: {html}");
        }
        assert!(html.contains("<b>us</b>") && html.contains("https://acme.example/jobs"), "{html}");
        assert_eq!(s.format, DescriptionFormat::Html);
        assert_eq!(s.text.as_deref(), Some("Join us\n\nxsite"));
    }

    #[test]
    fn markdown_is_rendered_then_sanitised() {
        let s = store(
            DescriptionFormat::Markdown,
            "# Backend\n\nWe use **Rust** & SQL.\n\n- APIs\n- queues\n\n<script>alert(1)</script>\n\n[x](javascript:alert(1)) <span onmouseover=\"x()\">hi</span>",
        );
        assert!(s.description.contains("<h1>Backend</h1>") && s.description.contains("<strong>Rust</strong>"));
        let lower = s.description.to_ascii_lowercase();
        assert!(!lower.contains("<script") && !lower.contains("javascript:") && !lower.contains("onmouseover"));
        let text = s.text.unwrap();
        assert!(text.starts_with("Backend\n\nWe use Rust & SQL.\n\n- APIs\n- queues"), "{text}");
        assert!(!text.contains('<'), "{text}");
    }

    #[test]
    fn text_is_stored_as_sent_and_shown_escaped() {
        let s = store(DescriptionFormat::Text, "a < b\n\nnext <script>");
        assert_eq!(s.description, "a < b\n\nnext <script>");
        assert_eq!(s.text, None);
        assert_eq!(text_to_html(&s.description), "<p>a &lt; b</p><p>next &lt;script&gt;</p>");
    }

    #[test]
    fn entities_decode_once() {
        assert_eq!(html_to_text("<p>&amp;lt; &#x41;&#66; &nbsp;x &bogus</p>"), "&lt; AB \u{a0}x &bogus");
    }
}
