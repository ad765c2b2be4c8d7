//! The malware gate of the parse consumer: an uploaded file is opened only once the scanner
//! (GuardDuty's tag in AWS, ClamAV in the embedded default) calls it clean.

use clearview_core::model::Application;
use clearview_core::ports::Deps;
use clearview_core::ports::malware::Verdict;
use clearview_core::ports::queue::{Outcome, WorkMessage, WorkQueue};
use clearview_screening::ParseFailure;
use std::time::Duration;

/// Why an upload ends the chain: a stable code, what the recruiter reads, what the candidate
/// is told, and what the audit log keeps (the signature of an infected file).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Refusal {
    pub code: &'static str,
    pub recruiter_message: String,
    pub candidate_message: String,
    pub audit: Option<serde_json::Value>,
}

impl From<ParseFailure> for Refusal {
    fn from(f: ParseFailure) -> Self {
        Self {
            code: f.code(),
            recruiter_message: f.recruiter_message(),
            candidate_message: f.candidate_message(),
            audit: None,
        }
    }
}

/// The failure code of an upload the malware scan found infected.
pub const MALWARE_DETECTED: &str = "malware_detected";
/// The failure code of an upload the malware scan could not check.
pub const UNSCANNABLE: &str = "unscannable";

const UPLOAD_AGAIN: &str = "Please scan your device, then upload your resume again as a text-based PDF, a Word \
                            document (.docx) or a plain-text (.txt) file, without a password.";

impl Refusal {
    pub fn infected(signature: &str) -> Self {
        Self {
            code: MALWARE_DETECTED,
            recruiter_message: format!(
                "This resume was not screened: the malware scan found {signature} in the file, so it was not \
                 opened. It has not been scored; ask the candidate for a clean copy."
            ),
            candidate_message: format!(
                "Our security scan found something harmful in your file, so we did not open it. {UPLOAD_AGAIN}"
            ),
            audit: Some(serde_json::json!({ "failureCode": MALWARE_DETECTED, "signature": signature })),
        }
    }

    pub fn unscannable(reason: &str) -> Self {
        Self {
            code: UNSCANNABLE,
            recruiter_message: format!(
                "This resume was not screened: the malware scan could not check the file ({reason}), so it was \
                 not opened. It has not been scored; ask the candidate for another copy."
            ),
            candidate_message: format!(
                "Our security scan could not check your file (for example, it is password-protected or an \
                 archive), so we did not open it. {UPLOAD_AGAIN}"
            ),
            audit: Some(serde_json::json!({ "failureCode": UNSCANNABLE, "reason": reason })),
        }
    }
}

/// What the scan lets the parse consumer do with an upload.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Gate {
    /// Clean: parse it.
    Open,
    /// The application fails with this refusal; the file is not opened.
    Refuse(Refusal),
    /// The scan has not finished (GuardDuty tags an object seconds to minutes after it lands):
    /// ask again later ([`wait_for_verdict`]).
    Pending,
}

/// Asks the scanner about the upload at `key`. A scanner that cannot answer is a `Retry` with
/// the reason (after the queue's maximum receives the message is dead-lettered with it): the
/// file is never taken for clean.
pub async fn gate(deps: &Deps, app: &Application, key: &str, bytes: &[u8]) -> Result<Gate, Outcome> {
    match deps.malware.verdict(key, bytes).await {
        Ok(Verdict::Clean) => Ok(Gate::Open),
        Ok(Verdict::Infected { signature }) => {
            tracing::warn!(application = %app.id, key, signature = %signature, "malware found in an upload; not parsed");
            Ok(Gate::Refuse(Refusal::infected(&signature)))
        }
        Ok(Verdict::Unscannable { reason }) => {
            tracing::warn!(application = %app.id, key, %reason, "the malware scan cannot check this upload; not parsed");
            Ok(Gate::Refuse(Refusal::unscannable(&reason)))
        }
        Ok(Verdict::Pending) => Ok(Gate::Pending),
        Err(e) => Err(Outcome::Retry(format!("scanning {key} for malware: {e}"))),
    }
}

/// The body field counting how many times a parse message has waited for the scan.
pub const SCAN_WAITS: &str = "scanWaits";
/// How many times a parse message waits for the scan before it is retried the queue's way (and
/// in the end dead-lettered with the reason): 2, 4, 8, 16 s, then every 30 s, about 15 minutes.
pub const MAX_SCAN_WAITS: u64 = 34;

/// The wait before asking again, after `waits` waits.
pub fn scan_wait(waits: u64) -> Duration {
    Duration::from_secs((2u64 << waits.min(4)).min(30))
}

/// The scan of `key` has not finished: re-sends the parse message to ask again after a short,
/// growing wait (not the queue's visibility timeout, minutes long) and answers `Done` for this
/// delivery. After [`MAX_SCAN_WAITS`] waits, or if the re-send fails, it is an ordinary `Retry`
/// with the reason.
pub async fn wait_for_verdict(deps: &Deps, m: &WorkMessage, key: &str) -> Result<(), Outcome> {
    let waits = m.body.get(SCAN_WAITS).and_then(serde_json::Value::as_u64).unwrap_or(0);
    if waits >= MAX_SCAN_WAITS {
        return Err(Outcome::Retry(format!("the malware scan of {key} has not finished after {waits} waits")));
    }
    let mut next = m.clone();
    next.id = format!("{}#scan-wait-{}", m.id.split("#scan-wait-").next().unwrap_or(&m.id), waits + 1);
    next.body[SCAN_WAITS] = serde_json::json!(waits + 1);
    let wait = scan_wait(waits);
    match deps.queues.send_delayed(WorkQueue::PARSE, &next, wait).await {
        Ok(()) => {
            tracing::info!(key, waits = waits + 1, ?wait, "the malware scan has not finished; asking again later");
            Ok(())
        }
        Err(e) => {
            Err(Outcome::Retry(format!("the malware scan of {key} has not finished (asking again later failed: {e})")))
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_scan_waits_grow_to_thirty_seconds_and_last_about_a_quarter_of_an_hour() {
        let waits: Vec<u64> = (0..6).map(|w| scan_wait(w).as_secs()).collect();
        assert_eq!(waits, [2, 4, 8, 16, 30, 30]);
        let total: u64 = (0..MAX_SCAN_WAITS).map(|w| scan_wait(w).as_secs()).sum();
        assert!((14 * 60..=16 * 60).contains(&total), "{total} s");
    }
}
