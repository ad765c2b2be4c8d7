//! Plain-text extraction and the whole structuring + anonymizing chain on arbitrary text.
#![no_main]

use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    if let Ok(t) = clearview_screening::extract::extract_text(data, Some("text/plain")) {
        let p = clearview_screening::structure::parse_text_at(&t.text, time_date());
        let _ = clearview_screening::anonymize(&p, &p.text);
    }
});

fn time_date() -> time::Date {
    time::macros::date!(2025 - 01 - 15)
}
