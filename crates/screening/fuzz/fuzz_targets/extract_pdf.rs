//! PDF extraction must end in text or a ParseFailure: no escaping panic, no hang.
#![no_main]

use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    common::quiet_caught_panics();
    let _ = clearview_screening::extract::extract_text(data, Some("application/pdf"));
});

#[path = "common.rs"]
mod common;
