//! What the parser read from a resume, for people: an application's stored parse result
//! (`GET /api/applications/{id}/parsed-resume`), a file's preview (`GET /api/files/{id}/preview`)
//! and a fresh parse of a stored file (`POST /api/files/parse-resume`).
//!
//! The parser's own type ([`clearview_screening::ParsedResume`]) carries personal data in
//! snake_case; these views are camelCase, and blind: while the candidate's identity is withheld
//! from the reader (blind review), no contact details, no employer or school names, no bullet
//! points and no raw text — only what the scorer reads (titles, dates, degrees, skills).
//!
//! [`read_resume`] is how every parse starts: the document's own text, or for a scan (an
//! image-only PDF, a PNG, a JPEG) the text the OCR port reads from it.

use super::applications::{load_in_org, stage_output, visible_file};
use super::review::identity_visible;
use super::{Actor, Caller, pipeline};
use crate::error::{AppError, AppResult};
use crate::keys;
use crate::model::Application;
use crate::ports::Deps;
use crate::ports::ocr::{OcrError, ScanKind};
use crate::record;
use clearview_screening::PartialDate;
use clearview_screening::{ParseFailure, ParsedDocument};
use serde::{Deserialize, Serialize};

#[derive(Debug, Clone, Serialize, utoipa::ToSchema)]
#[serde(rename_all = "camelCase")]
pub struct ContactView {
    pub name: Option<String>,
    pub email: Option<String>,
    pub phone: Option<String>,
    pub links: Vec<String>,
    /// City, region, country as the resume gives them.
    pub location: Option<String>,
}

#[derive(Debug, Clone, Serialize, utoipa::ToSchema)]
#[serde(rename_all = "camelCase")]
#[schema(as = ParsedExperienceView)]
pub struct ExperienceView {
    pub title: Option<String>,
    /// Withheld in blind review.
    pub company: Option<String>,
    /// `YYYY` or `YYYY-MM`.
    pub start: Option<String>,
    /// `YYYY` or `YYYY-MM`; null while current.
    pub end: Option<String>,
    pub current: bool,
    /// Bullet points (withheld in blind review: they can name people and places).
    pub details: Vec<String>,
}

#[derive(Debug, Clone, Serialize, utoipa::ToSchema)]
#[serde(rename_all = "camelCase")]
#[schema(as = ParsedEducationView)]
pub struct EducationView {
    /// Withheld in blind review.
    pub institution: Option<String>,
    pub degree: Option<String>,
    /// `none`, `high_school`, `associate`, `bachelor`, `master` or `doctorate`.
    pub level: String,
    pub field: Option<String>,
    pub end_year: Option<i32>,
}

/// A parse result as a person may read it (`resume_parsing_results` of the scope).
#[derive(Debug, Clone, Serialize, utoipa::ToSchema)]
#[serde(rename_all = "camelCase")]
pub struct ParsedResumeView {
    pub parser_version: String,
    /// 0..1: how much of what a resume normally has was found.
    pub confidence: f64,
    /// True when the reader does not see who the candidate is: contact, company and school
    /// names, details and the summary are withheld.
    pub blind: bool,
    /// `pdf`, `docx`, `text`, `png` or `jpeg`.
    pub document_kind: String,
    /// `text` (the document's own text) or `ocr` (read from a scan by an OCR engine: see
    /// `ocr`; the confidence is then the structure's times the engine's).
    #[schema(pattern = "^(text|ocr)$")]
    pub extraction: String,
    /// How a scan was read; null for documents with text.
    pub ocr: Option<OcrView>,
    pub pages: u32,
    pub contact: Option<ContactView>,
    pub summary: Option<String>,
    pub experience: Vec<ExperienceView>,
    pub education: Vec<EducationView>,
    /// Canonical skill names.
    pub skills: Vec<String>,
    /// Items listed under skills that the taxonomy does not know.
    pub unrecognized_skills: Vec<String>,
    pub certifications: Vec<String>,
    pub languages: Vec<String>,
    pub total_experience_years: f64,
}

/// How a scanned resume's text was read.
#[derive(Debug, Clone, Serialize, utoipa::ToSchema)]
#[serde(rename_all = "camelCase")]
pub struct OcrView {
    /// The engine and its version: `tesseract 5.3.0` (embedded default) or `amazon-textract …`.
    pub engine: String,
    /// 0..1: the engine's mean confidence over what it read.
    pub mean_confidence: f64,
    /// Pages read.
    pub pages: u32,
}

/// `GET /api/applications/{id}/parsed-resume`.
#[derive(Debug, Clone, Serialize, utoipa::ToSchema)]
#[serde(rename_all = "camelCase")]
pub struct ApplicationParse {
    pub application_id: String,
    pub file_id: Option<String>,
    pub result: ParsedResumeView,
}

fn partial(d: &Option<PartialDate>) -> Option<String> {
    d.as_ref().map(|d| match d.month {
        Some(m) => format!("{:04}-{m:02}", d.year),
        None => format!("{:04}", d.year),
    })
}

fn lower(v: impl Serialize) -> String {
    serde_json::to_value(v).ok().and_then(|v| v.as_str().map(str::to_owned)).unwrap_or_default()
}

/// The view of a parse, blind or not.
pub fn view(d: &ParsedDocument, blind: bool) -> ParsedResumeView {
    let p = &d.resume;
    let contact = (!blind).then(|| ContactView {
        name: p.contact.name.clone(),
        email: p.contact.email.clone(),
        phone: p.contact.phone.clone(),
        links: p.contact.links.clone(),
        location: p.contact.location.as_ref().map(|l| {
            let parts: Vec<&str> = [&l.city, &l.region, &l.country].into_iter().filter_map(|s| s.as_deref()).collect();
            if parts.is_empty() && l.remote { "Remote".to_owned() } else { parts.join(", ") }
        }),
    });
    ParsedResumeView {
        parser_version: p.parser_version.clone(),
        confidence: p.confidence,
        blind,
        document_kind: lower(p.document.kind),
        extraction: d.extraction().to_owned(),
        ocr: d.ocr.as_ref().map(|o| OcrView {
            engine: o.engine.clone(),
            mean_confidence: o.mean_confidence,
            pages: o.pages,
        }),
        pages: p.document.pages,
        contact,
        summary: if blind { None } else { p.summary.clone() },
        experience: p
            .experience
            .iter()
            .map(|e| ExperienceView {
                title: e.title.clone(),
                company: if blind { None } else { e.company.clone() },
                start: partial(&e.start),
                end: partial(&e.end),
                current: e.current,
                details: if blind { Vec::new() } else { e.details.clone() },
            })
            .collect(),
        education: p
            .education
            .iter()
            .map(|e| EducationView {
                institution: if blind { None } else { e.institution.clone() },
                degree: e.degree.clone(),
                level: lower(e.level),
                field: e.field.clone(),
                end_year: e.end.as_ref().map(|d| d.year),
            })
            .collect(),
        skills: p.skills.clone(),
        unrecognized_skills: p.unrecognized_skills.clone(),
        certifications: p.certifications.clone(),
        languages: p.languages.clone(),
        total_experience_years: p.total_experience_years,
    }
}

/// The current run's stored parse of an application, if its resume has been parsed.
async fn stored_parse(deps: &Deps, app: &Application) -> AppResult<Option<ParsedDocument>> {
    stage_output(deps, app, "parsed").await
}

fn not_parsed() -> AppError {
    AppError::conflict(
        "not-parsed",
        "this resume has not been parsed yet (or its parse failed): see the application's processing",
    )
}

/// An application's parse result, blind unless the reader sees who the candidate is.
pub async fn of_application(deps: &Deps, actor: &Actor, id: &str) -> AppResult<ApplicationParse> {
    let app = load_in_org(deps, actor.org(), id).await?;
    let pipeline = pipeline::load(deps, actor.org()).await?;
    let parsed = stored_parse(deps, &app).await?.ok_or_else(not_parsed)?;
    Ok(ApplicationParse {
        application_id: app.id.clone(),
        file_id: app.resume.as_ref().map(|r| r.file_id.clone()),
        result: view(&parsed, !identity_visible(&pipeline, &app)),
    })
}

/// `GET /api/files/{id}/preview`: what a browser can show of a resume without the file.
#[derive(Debug, Clone, Serialize, utoipa::ToSchema)]
#[serde(rename_all = "camelCase")]
pub struct FilePreview {
    pub file_id: String,
    pub application_id: String,
    /// True when the text is the anonymised one (blind review).
    pub anonymised: bool,
    pub pages: u32,
    /// The extracted text (for blind reviewers: with names, contact details, links, dates,
    /// organisations and other identifiers replaced by `[category]` markers).
    pub text: String,
}

/// What the anonymize stage stored: the text blind reviewers read.
#[derive(Deserialize)]
struct Anonymised {
    text: String,
}

pub async fn preview(deps: &Deps, caller: &Caller, file_id: &str) -> AppResult<FilePreview> {
    let file = visible_file(deps, caller, file_id).await?;
    let app: Application = record::get(deps.store.as_ref(), &keys::application(&file.org_id, &file.application_id))
        .await?
        .ok_or(AppError::NotFound("file"))?;
    if app.resume.as_ref().map(|r| r.file_id.as_str()) != Some(file.id.as_str()) {
        return Err(AppError::conflict(
            "not-current",
            "only an application's current resume has a preview; a replaced file can be downloaded",
        ));
    }
    let parsed = stored_parse(deps, &app).await?.ok_or_else(not_parsed)?;
    let blind = match caller {
        Caller::Staff(actor) => !identity_visible(&pipeline::load(deps, actor.org()).await?, &app),
        Caller::Candidate(_) => false,
    };
    let text = if blind {
        stage_output::<Anonymised>(deps, &app, "anonymized").await?.ok_or_else(not_parsed)?.text
    } else {
        parsed.resume.text.clone()
    };
    Ok(FilePreview {
        file_id: file.id,
        application_id: app.id,
        anonymised: blind,
        pages: parsed.resume.document.pages,
        text,
    })
}

/// `POST /api/files/parse-resume`.
#[derive(Debug, Clone, Deserialize, utoipa::ToSchema)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct ParseFileInput {
    /// A resume file of the organisation (an application's upload).
    #[schema(schema_with = crate::values::id_schema)]
    pub file_id: String,
}

/// Parses a stored resume again with today's parser and returns the result (nothing is stored:
/// the application keeps its own run; reprocess it to score with a new parser). The original
/// file shows who the candidate is, so in blind review the view is blind too.
pub async fn parse_file(deps: &Deps, actor: &Actor, input: ParseFileInput) -> AppResult<ParsedResumeView> {
    let id = uuid::Uuid::parse_str(input.file_id.trim())
        .map_err(|_| AppError::field("fileId", "is not a file id"))?
        .to_string();
    // A well-formed id naming no file of the organisation: 404, like any id that names nothing.
    let file = visible_file(deps, &Caller::Staff(actor.clone()), &id).await?;
    let app = load_in_org(deps, actor.org(), &file.application_id).await?;
    let blind = !identity_visible(&pipeline::load(deps, actor.org()).await?, &app);
    let blob = deps
        .blobs
        .get(&file.key, clearview_screening::MAX_RESUME_BYTES as u64)
        .await
        .map_err(|e| AppError::Unavailable(format!("reading the file: {e}")))?;
    scanned_clean(deps, &file.key, &blob.bytes).await?;
    let parsed = read_resume(deps, &blob.bytes, Some(&file.content_type), deps.clock.now().date()).await.map_err(
        |e| match e {
            ReadError::Document(f) => AppError::conflict("unparseable", format!("the file could not be parsed: {f}")),
            ReadError::OcrUnavailable(why) => AppError::Unavailable(format!("reading the scanned file: {why}")),
        },
    )?;
    Ok(view(&parsed, blind))
}

/// Asks the malware scanner about a stored file before it is opened: only a clean file passes.
/// An infected or unscannable one is refused (409, naming what the scan found); a scan not
/// finished yet or a scanner that cannot answer is a 503 to try again.
async fn scanned_clean(deps: &Deps, key: &str, bytes: &[u8]) -> AppResult<()> {
    use crate::ports::malware::Verdict;
    match deps.malware.verdict(key, bytes).await {
        Ok(Verdict::Clean) => Ok(()),
        Ok(Verdict::Infected { signature }) => {
            tracing::warn!(key, signature = %signature, "malware found in a stored resume; not parsed");
            Err(AppError::conflict(
                "malware-detected",
                format!("the malware scan found {signature} in this file, so it was not opened"),
            ))
        }
        Ok(Verdict::Unscannable { reason }) => Err(AppError::conflict(
            "unscannable",
            format!("the malware scan could not check this file ({reason}), so it was not opened"),
        )),
        Ok(Verdict::Pending) => {
            Err(AppError::Unavailable("the malware scan of this file has not finished; try again shortly".into()))
        }
        Err(e) => Err(AppError::Unavailable(e.to_string())),
    }
}

/// Why a resume could not be read.
#[derive(Debug, Clone, PartialEq)]
pub enum ReadError {
    /// The document's own fault: it will never parse (the candidate is told why).
    Document(ParseFailure),
    /// A scan that the OCR engine could not read now (not installed, not configured, throttled,
    /// down): try again later.
    OcrUnavailable(String),
}

/// Extracts and structures a resume, "Present" meaning `as_of`. A scan (an image-only PDF, a
/// PNG or a JPEG) is read by the OCR port and its text structured like any text resume; the
/// result says so (`ocr`). An engine that refuses the scan leaves the scan's own failure.
pub async fn read_resume(
    deps: &Deps,
    bytes: &[u8],
    content_type: Option<&str>,
    as_of: time::Date,
) -> Result<ParsedDocument, ReadError> {
    let failure = match clearview_screening::parse_resume_at(bytes, content_type, as_of) {
        Ok(p) => return Ok(ParsedDocument::text_layer(p)),
        Err(f) if f.needs_ocr() => f,
        Err(f) => return Err(ReadError::Document(f)),
    };
    let kind = match &failure {
        ParseFailure::ImageDocument { kind } => ScanKind::of(*kind).unwrap_or(ScanKind::Png),
        _ => ScanKind::Pdf,
    };
    let started = std::time::Instant::now();
    match deps.ocr.recognize(bytes, kind).await {
        Ok(read) => {
            tracing::info!(
                engine = %read.engine,
                pages = read.pages,
                lines = read.lines.len(),
                mean_confidence = read.mean_confidence,
                ms = started.elapsed().as_millis() as u64,
                "scanned resume read by OCR"
            );
            clearview_screening::parse_recognized_at(&read.text, kind.doc_kind(), &read.source(), as_of)
                .map_err(ReadError::Document)
        }
        Err(OcrError::Unavailable(why)) => Err(ReadError::OcrUnavailable(why)),
        Err(OcrError::Unreadable(why)) => {
            tracing::warn!(reason = %why, "OCR refused the scan");
            Err(ReadError::Document(failure))
        }
    }
}
