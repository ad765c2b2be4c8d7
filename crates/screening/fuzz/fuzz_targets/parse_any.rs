//! Content sniffing with no declared type, then the full parse.
#![no_main]

use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    common::quiet_caught_panics();
    let _ = clearview_screening::parse_resume_at(data, None, time::macros::date!(2025 - 01 - 15));
});

#[path = "common.rs"]
mod common;
