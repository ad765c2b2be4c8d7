//! DOCX extraction (zip + XML) must end in text or a ParseFailure.
#![no_main]

use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    let _ = clearview_screening::extract::extract_text(
        data,
        Some("application/vnd.openxmlformats-officedocument.wordprocessingml.document"),
    );
});
