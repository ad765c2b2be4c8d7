//! ClearView screening: pure, deterministic resume processing.
//!
//! The chain the Lambda queue consumers (and the dev server) run is
//! [`structure::parse_resume_at`] → [`anonymize::anonymize`] → [`score::score`] →
//! [`bias`] checks. Nothing here does I/O besides reading the bytes it is given, nothing
//! is async, and nothing depends on the wall clock: the "as of" date for "Present" is a
//! parameter, so the same inputs always give the same outputs (see
//! [`score::ScoreResult::input_fingerprint`]).
//!
//! Every public type is `Serialize + Deserialize + Clone + Debug`: results are stored as JSON.
//! Hostile documents end as an [`extract::ParseFailure`] with a stable machine code, never a
//! panic or a hang.

pub mod anonymize;
pub mod bias;
pub mod careers;
pub mod extract;
pub mod models;
pub mod ocr;
pub mod score;
pub mod structure;
pub mod taxonomy;
mod text;

/// Version of the extraction + structuring code; stored with every parsed resume.
pub const PARSER_VERSION: &str = "cv-parse-1.1.0";
/// Version of the scoring model; stored with every score so a score can be reproduced.
pub const MODEL_VERSION: &str = "cv-score-1.0.0";

pub use anonymize::{AnonymizedProfile, RedactionCategory, anonymize};
pub use extract::{DocKind, ExtractedText, MAX_RESUME_BYTES, ParseFailure};
pub use models::{ScoringModel, scoring_model};
pub use ocr::{OcrSource, ParsedDocument, parse_recognized_at};
pub use score::{ScoreResult, ScoringCriteria, Weights, score, score_with};
pub use structure::{ParsedResume, parse_resume, parse_resume_at};
pub use taxonomy::{CanonicalSkill, Taxonomy};
pub use text::PartialDate;
