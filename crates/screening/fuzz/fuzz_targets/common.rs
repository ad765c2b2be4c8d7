//! Shared set-up for the fuzz targets.

/// The PDF path catches panics from pdf-extract/lopdf (which unwrap on malformed input) and
/// turns them into `ParseFailure::Corrupt`. libFuzzer's default hook aborts on any panic,
/// caught or not, so for the PDF targets we keep the process alive for caught panics and
/// still abort on anything that escapes `extract_text` (the contract under test).
pub fn quiet_caught_panics() {
    static ONCE: std::sync::Once = std::sync::Once::new();
    ONCE.call_once(|| std::panic::set_hook(Box::new(|_| {})));
}
