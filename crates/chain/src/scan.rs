//! The malware gate of the parse consumer: an uploaded file is opened only once the scanner
//! (GuardDuty's tag in AWS, ClamAV in the embedded default) calls it clean.

use clearview_core::model::Application;
use clearview_core::ports::Deps;
use clearview_core::ports::malware::Verdict;
use clearview_core::ports::queue::Outcome;
use clearview_screening::ParseFailure;

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

/// Asks the scanner about the upload at `key`. `Ok(None)`: clean, parse it. `Ok(Some(_))`: the
/// application fails with that refusal. A scan not finished yet, or a scanner that cannot
/// answer, is a `Retry` with the reason (after the queue's maximum receives the message is
/// dead-lettered with it): the file is never taken for clean.
pub async fn gate(deps: &Deps, app: &Application, key: &str, bytes: &[u8]) -> Result<Option<Refusal>, Outcome> {
    match deps.malware.verdict(key, bytes).await {
        Ok(Verdict::Clean) => Ok(None),
        Ok(Verdict::Infected { signature }) => {
            tracing::warn!(application = %app.id, key, signature = %signature, "malware found in an upload; not parsed");
            Ok(Some(Refusal::infected(&signature)))
        }
        Ok(Verdict::Unscannable { reason }) => {
            tracing::warn!(application = %app.id, key, %reason, "the malware scan cannot check this upload; not parsed");
            Ok(Some(Refusal::unscannable(&reason)))
        }
        Ok(Verdict::Pending) => Err(Outcome::Retry(format!("the malware scan of {key} has not finished yet"))),
        Err(e) => Err(Outcome::Retry(format!("scanning {key} for malware: {e}"))),
    }
}
