//! `MalwareScanner` over Amazon GuardDuty Malware Protection for S3: GuardDuty scans each new
//! object of the protected bucket and tags it with `GuardDutyMalwareScanStatus`; this adapter
//! reads the tag (s3:GetObjectTagging). No tag yet means the scan has not finished
//! ([`Verdict::Pending`]: the parse consumer re-sends its message with a short, growing delay,
//! about 15 minutes in all, then retries it the queue's way until it is dead-lettered with the
//! reason; see `clearview_chain::scan::wait_for_verdict`).

use async_trait::async_trait;
use aws_sdk_s3::Client;
use aws_sdk_s3::error::{ProvideErrorMetadata, SdkError};
use clearview_core::ports::malware::{MalwareScanner, ScanError, Verdict};

/// The tag GuardDuty Malware Protection for S3 puts on each object it scanned.
pub const SCAN_STATUS_TAG: &str = "GuardDutyMalwareScanStatus";

/// What GuardDuty's tag values mean (its documented set).
pub fn verdict_of(status: Option<&str>) -> Result<Verdict, ScanError> {
    match status {
        None => Ok(Verdict::Pending),
        Some("NO_THREATS_FOUND") => Ok(Verdict::Clean),
        Some("THREATS_FOUND") => Ok(Verdict::Infected {
            signature: "a threat (GuardDuty THREATS_FOUND; its Malware Protection finding names it)".to_owned(),
        }),
        Some("UNSUPPORTED") => Ok(Verdict::Unscannable {
            reason: "GuardDuty cannot scan this file (UNSUPPORTED: e.g. a password-protected archive)".to_owned(),
        }),
        Some("ACCESS_DENIED") => Err(ScanError::Unavailable(
            "GuardDuty could not read the object (ACCESS_DENIED): check the malware protection plan's role".to_owned(),
        )),
        Some("FAILED") => Err(ScanError::Unavailable("GuardDuty's scan of the object failed (FAILED)".to_owned())),
        Some(other) => Err(ScanError::Unavailable(format!("unknown {SCAN_STATUS_TAG} value {other:?}"))),
    }
}

/// Reads GuardDuty's verdicts on the objects of one bucket.
#[derive(Debug, Clone)]
pub struct GuardDutyVerdicts {
    client: Client,
    bucket: String,
}

impl GuardDutyVerdicts {
    pub fn new(client: Client, bucket: impl Into<String>) -> Self {
        Self { client, bucket: bucket.into() }
    }
}

fn scan_error<E, R>(key: &str, err: SdkError<E, R>) -> ScanError
where
    E: ProvideErrorMetadata + std::error::Error + 'static,
    R: std::fmt::Debug,
{
    let why = match &err {
        SdkError::ServiceError(service) => {
            let e = service.err();
            format!("{}: {}", e.code().unwrap_or("Unknown"), e.message().unwrap_or_default())
        }
        _ => aws_sdk_s3::error::DisplayErrorContext(&err).to_string(),
    };
    ScanError::Unavailable(format!("reading the scan tag of {key}: {why}"))
}

#[async_trait]
impl MalwareScanner for GuardDutyVerdicts {
    /// The bytes are not read: GuardDuty scanned the stored object itself.
    async fn verdict(&self, key: &str, _bytes: &[u8]) -> Result<Verdict, ScanError> {
        let tags = self
            .client
            .get_object_tagging()
            .bucket(&self.bucket)
            .key(key)
            .send()
            .await
            .map_err(|e| scan_error(key, e))?;
        let status = tags.tag_set().iter().find(|t| t.key() == SCAN_STATUS_TAG).map(|t| t.value());
        verdict_of(status)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn each_guardduty_status_maps_to_a_verdict_or_a_retryable_error() {
        assert_eq!(verdict_of(None), Ok(Verdict::Pending));
        assert_eq!(verdict_of(Some("NO_THREATS_FOUND")), Ok(Verdict::Clean));
        assert!(matches!(verdict_of(Some("THREATS_FOUND")), Ok(Verdict::Infected { .. })));
        assert!(matches!(verdict_of(Some("UNSUPPORTED")), Ok(Verdict::Unscannable { .. })));
        for status in ["ACCESS_DENIED", "FAILED", "SOMETHING_NEW"] {
            assert!(verdict_of(Some(status)).is_err(), "{status}");
        }
    }
}
