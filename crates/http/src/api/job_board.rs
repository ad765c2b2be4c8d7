//! `/api/job-board`: the public board of active jobs across employers.

use super::{Page, PageQuery, page, page_of};
use crate::App;
use crate::handler;
use crate::request::Req;
use crate::routes::{Access::*, Grant::*, Json, Query, Route};
use clearview_core::model::{EducationLevel, EmploymentType, ExperienceLevel, Job, JobType};
use clearview_core::ports::store::{Index, Query as StoreQuery};
use clearview_core::services::Listed;
use clearview_core::{AppError, keys, record};
use serde::Serialize;
use time::{Date, OffsetDateTime};

pub static ROUTES: &[Route] = &[LIST];

pub const LIST: Route = Route {
    name: "job-board",
    method: "GET",
    path: "/api/job-board",
    access: Public,
    summary: "Active jobs across employers, newest first",
    idempotent: false,
    grants: &[TableRead],
    handler: handler!(list),
};
/// What the screening looks at, as a candidate is told it (NYC Local Law 144 asks employers to
/// give notice of the qualifications and characteristics an automated tool assesses). Weights
/// and thresholds are the employer's own and are not published.
#[derive(Debug, Clone, Serialize, utoipa::ToSchema)]
#[serde(rename_all = "camelCase")]
pub struct ScreeningNotice {
    pub required_skills: Vec<String>,
    pub preferred_skills: Vec<String>,
    /// Years.
    pub minimum_experience: f32,
    pub minimum_education: EducationLevel,
    pub fields_of_study: Vec<String>,
    /// What the automated screening does, and that a person decides.
    pub how_it_is_used: String,
    /// How to ask for review without the automated tool.
    pub alternative: String,
}

/// A job as the public board shows it: what a candidate needs to decide and apply. No staff
/// ids, no screening weights or thresholds, no internal timestamps.
#[derive(Debug, Clone, Serialize, utoipa::ToSchema)]
#[serde(rename_all = "camelCase")]
pub struct PublicJob {
    /// Apply with `POST /api/applications` and this id.
    #[schema(value_type = String)]
    pub id: String,
    /// The employer (one id per organisation).
    pub employer_id: String,
    pub title: String,
    pub department: Option<String>,
    pub location: Option<String>,
    pub is_remote: bool,
    pub job_type: JobType,
    pub employment_type: Option<EmploymentType>,
    pub experience_level: Option<ExperienceLevel>,
    pub salary_min: Option<u32>,
    pub salary_max: Option<u32>,
    /// ISO 4217.
    pub salary_currency: String,
    /// The description as plain text.
    pub description: String,
    /// The description as sanitised HTML (safe to insert into a page).
    pub description_html: String,
    pub requirements: Option<String>,
    pub nice_to_have: Option<String>,
    #[schema(value_type = Option<String>, format = Date)]
    pub deadline: Option<Date>,
    #[serde(with = "time::serde::rfc3339::option")]
    #[schema(value_type = Option<String>, format = DateTime)]
    pub published_at: Option<OffsetDateTime>,
    pub screening: ScreeningNotice,
}

impl PublicJob {
    pub fn of(job: Job) -> Self {
        let description_html = job.description_html();
        let description = job.plain_description().to_owned();
        let c = job.criteria;
        PublicJob {
            id: job.id.to_string(),
            employer_id: job.org_id.to_string(),
            title: job.title,
            department: job.department,
            location: job.location,
            is_remote: job.is_remote,
            job_type: job.job_type,
            employment_type: job.employment_type,
            experience_level: job.experience_level,
            salary_min: job.salary_min,
            salary_max: job.salary_max,
            salary_currency: job.salary_currency,
            description,
            description_html,
            requirements: job.requirements,
            nice_to_have: job.nice_to_have,
            deadline: job.deadline,
            published_at: job.published_at,
            screening: ScreeningNotice {
                required_skills: c.required_skills,
                preferred_skills: c.preferred_skills,
                minimum_experience: c.minimum_experience,
                minimum_education: c.education_requirements.minimum_level,
                fields_of_study: c.education_requirements.fields_of_study,
                how_it_is_used: "An automated tool scores resumes against these qualifications with names, contact \
                                 details, age and other personal characteristics removed; a person reviews every \
                                 decision."
                    .into(),
                alternative: clearview_core::model::application::ALTERNATIVE_REVIEW_NOTICE.into(),
            },
        }
    }
}

async fn list(app: App, _: Req, Query(q): Query<PageQuery>) -> Result<Json<Page<PublicJob>>, AppError> {
    let scope = "job-board";
    let (limit, after) = page(&app, scope, &q)?;
    let query = StoreQuery::index(Index::Gsi2, keys::ACTIVE_JOBS_PK).limit(limit).after(after).descending();
    let (items, page) = record::query::<Job>(app.deps.store.as_ref(), &query).await?;
    Ok(Json(page_of(&app, scope, Listed { items, next: page.next }, PublicJob::of)))
}
