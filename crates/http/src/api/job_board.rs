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

pub static ROUTES: &[Route] = &[LIST, FEED, GET, JSON_LD];

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

// ------------------------------------------------------------------ feeds for job boards

/// The most jobs the XML feed holds (the newest active ones).
pub const FEED_MAX: usize = 1000;

/// Where a job's page is: `CAREERS_JOB_URL` with `{id}` (the SPA's job page), else this API's
/// public job on the host the request came to.
fn job_url(req: &Req, id: &str) -> String {
    if let Ok(t) = std::env::var("CAREERS_JOB_URL")
        && t.contains("{id}")
    {
        return t.replace("{id}", id);
    }
    let host = req.headers.get(http::header::HOST).and_then(|h| h.to_str().ok()).unwrap_or("localhost");
    let scheme = req.headers.get("x-forwarded-proto").and_then(|h| h.to_str().ok()).unwrap_or("http");
    format!("{scheme}://{host}/api/job-board/{id}")
}

/// "Berlin, Germany" → (city, region, country): the first part is the city, the last the country.
fn place(location: &Option<String>) -> (Option<String>, Option<String>, Option<String>) {
    let parts: Vec<String> = location
        .as_deref()
        .unwrap_or("")
        .split(',')
        .map(|p| p.trim().to_owned())
        .filter(|p| !p.is_empty() && !p.eq_ignore_ascii_case("remote"))
        .collect();
    match parts.len() {
        0 => (None, None, None),
        1 => (Some(parts[0].clone()), None, None),
        2 => (Some(parts[0].clone()), None, Some(parts[1].clone())),
        _ => (Some(parts[0].clone()), Some(parts[1].clone()), parts.last().cloned()),
    }
}

async fn company(app: &App, cache: &mut std::collections::BTreeMap<String, String>, job: &Job) -> String {
    let org = job.org_id.to_string();
    if let Some(n) = cache.get(&org) {
        return n.clone();
    }
    let name = record::get::<clearview_core::model::Organization>(app.deps.store.as_ref(), &keys::org(&job.org_id))
        .await
        .ok()
        .flatten()
        .map(|o| o.company_name)
        .unwrap_or_default();
    cache.insert(org, name.clone());
    name
}

fn salary_text(j: &PublicJob) -> Option<String> {
    match (j.salary_min, j.salary_max) {
        (Some(a), Some(b)) => Some(format!("{a}-{b} {} per year", j.salary_currency)),
        (Some(a), None) => Some(format!("from {a} {} per year", j.salary_currency)),
        (None, Some(b)) => Some(format!("up to {b} {} per year", j.salary_currency)),
        (None, None) => None,
    }
}

/// The aggregator feed's job type (`fulltime`, `parttime`, `contract`, `internship`).
fn feed_job_type(t: JobType) -> &'static str {
    match t {
        JobType::FullTime => "fulltime",
        JobType::PartTime => "parttime",
        JobType::Contract => "contract",
        JobType::Internship => "internship",
    }
}

/// schema.org `employmentType`.
fn schema_employment_type(t: JobType) -> &'static str {
    match t {
        JobType::FullTime => "FULL_TIME",
        JobType::PartTime => "PART_TIME",
        JobType::Contract => "CONTRACTOR",
        JobType::Internship => "INTERN",
    }
}

/// The XML feed of active jobs, in the shape job aggregators ingest.
pub fn feed_xml(jobs: &[(PublicJob, String, String)], built: OffsetDateTime) -> Result<String, AppError> {
    use quick_xml::Writer;
    use quick_xml::events::{BytesCData, BytesDecl, BytesEnd, BytesStart, BytesText, Event};
    let err = |e: std::io::Error| AppError::Internal(format!("writing the job feed: {e}"));
    let rfc2822 = |t: OffsetDateTime| t.format(&time::format_description::well_known::Rfc2822).unwrap_or_default();
    let mut w = Writer::new_with_indent(Vec::new(), b' ', 2);
    w.write_event(Event::Decl(BytesDecl::new("1.0", Some("utf-8"), None))).map_err(err)?;
    w.write_event(Event::Start(BytesStart::new("source"))).map_err(err)?;
    w.create_element("publisher").write_text_content(BytesText::new("ClearView")).map_err(err)?;
    w.create_element("lastBuildDate").write_text_content(BytesText::new(&rfc2822(built))).map_err(err)?;
    for (j, company, url) in jobs {
        w.write_event(Event::Start(BytesStart::new("job"))).map_err(err)?;
        let (city, state, country) = place(&j.location);
        let mut field = |name: &str, value: Option<String>| -> Result<(), AppError> {
            let Some(v) = value else { return Ok(()) };
            // CDATA cannot hold "]]>": split it across two sections.
            let v = v.replace("]]>", "]]]]><![CDATA[>");
            w.create_element(name).write_cdata_content(BytesCData::new(v)).map_err(err)?;
            Ok(())
        };
        field("title", Some(j.title.clone()))?;
        field("date", j.published_at.map(rfc2822))?;
        field("referencenumber", Some(j.id.clone()))?;
        field("url", Some(url.clone()))?;
        field("company", Some(company.clone()))?;
        field("city", city)?;
        field("state", state)?;
        field("country", country)?;
        field("postalcode", None)?;
        field("description", Some(j.description_html.clone()))?;
        field("salary", salary_text(j))?;
        field("jobtype", Some(feed_job_type(j.job_type).to_owned()))?;
        field("remotetype", j.is_remote.then(|| "Fully remote".to_owned()))?;
        field("expirationdate", j.deadline.map(|d| d.to_string()))?;
        w.write_event(Event::End(BytesEnd::new("job"))).map_err(err)?;
    }
    w.write_event(Event::End(BytesEnd::new("source"))).map_err(err)?;
    String::from_utf8(w.into_inner()).map_err(|e| AppError::Internal(e.to_string()))
}

/// A job as schema.org `JobPosting` JSON-LD (what Google for Jobs reads).
pub fn json_ld(j: &PublicJob, company: &str, url: &str) -> serde_json::Value {
    use serde_json::json;
    let (city, region, country) = place(&j.location);
    let mut v = json!({
        "@context": "https://schema.org/",
        "@type": "JobPosting",
        "title": j.title,
        "description": j.description_html,
        "identifier": {"@type": "PropertyValue", "name": company, "value": j.id},
        "datePosted": j.published_at.map(|t| t.date().to_string()),
        "employmentType": schema_employment_type(j.job_type),
        "hiringOrganization": {"@type": "Organization", "name": company},
        "url": url,
        "directApply": true,
    });
    if city.is_some() || country.is_some() {
        v["jobLocation"] = json!({"@type": "Place", "address": {"@type": "PostalAddress",
            "addressLocality": city, "addressRegion": region, "addressCountry": country}});
    }
    if j.is_remote {
        v["jobLocationType"] = json!("TELECOMMUTE");
        v["applicantLocationRequirements"] = match &country {
            Some(c) => json!({"@type": "Country", "name": c}),
            None => json!({"@type": "AdministrativeArea", "name": "Anywhere"}),
        };
    }
    if let Some(d) = j.deadline {
        v["validThrough"] = json!(format!("{d}T23:59:59Z"));
    }
    if j.salary_min.is_some() || j.salary_max.is_some() {
        let mut value = json!({"@type": "QuantitativeValue", "unitText": "YEAR"});
        match (j.salary_min, j.salary_max) {
            (Some(a), Some(b)) if a != b => {
                value["minValue"] = json!(a);
                value["maxValue"] = json!(b);
            }
            (Some(a), _) | (None, Some(a)) => value["value"] = json!(a),
            (None, None) => {}
        }
        v["baseSalary"] = json!({"@type": "MonetaryAmount", "currency": j.salary_currency, "value": value});
    }
    if !j.screening.required_skills.is_empty() {
        v["skills"] = json!(j.screening.required_skills.join(", "));
    }
    v
}

pub const FEED: Route = Route {
    name: "job-board-feed",
    method: "GET",
    path: "/api/job-board/feed.xml",
    access: Public,
    summary: "The newest 1,000 active jobs as an XML feed in the shape job aggregators ingest (title, date, reference number, URL, company, city, state, country, description, salary, job type)",
    idempotent: false,
    grants: &[TableRead],
    handler: handler!(feed),
};
async fn feed(app: App, req: Req, _: ()) -> Result<crate::reply::XmlText, AppError> {
    let mut jobs = Vec::new();
    let mut names = std::collections::BTreeMap::new();
    let mut after = None;
    while jobs.len() < FEED_MAX {
        let query = StoreQuery::index(Index::Gsi2, keys::ACTIVE_JOBS_PK).limit(100).after(after).descending();
        let (items, page) = record::query::<Job>(app.deps.store.as_ref(), &query).await?;
        for job in items.into_iter().take(FEED_MAX - jobs.len()) {
            let name = company(&app, &mut names, &job).await;
            let url = job_url(&req, job.id.as_ref());
            jobs.push((PublicJob::of(job), name, url));
        }
        match page.next {
            Some(n) => after = Some(n),
            None => break,
        }
    }
    Ok(crate::reply::XmlText(feed_xml(&jobs, app.deps.clock.now())?))
}

fn public_job_id(req: &Req) -> Result<clearview_core::values::JobId, AppError> {
    req.id("id", clearview_core::values::JobId::parse, "job")
}

/// An active job across employers, or 404 (drafts, paused and closed jobs are not public).
async fn active_job(app: &App, req: &Req) -> Result<Job, AppError> {
    let id = public_job_id(req)?;
    // The active-jobs index holds every public job; its key names the organisation, which the
    // public id does not: read the job's locator.
    let job = clearview_core::services::jobs::public_job(&app.deps, &id).await?;
    Ok(job)
}

pub const GET: Route = Route {
    name: "job-board-get",
    method: "GET",
    path: "/api/job-board/{id}",
    access: Public,
    summary: "One active job as the public board shows it (drafts, paused and closed jobs answer 404)",
    idempotent: false,
    grants: &[TableRead],
    handler: handler!(get),
};
async fn get(app: App, req: Req, _: ()) -> Result<Json<PublicJob>, AppError> {
    Ok(Json(PublicJob::of(active_job(&app, &req).await?)))
}

pub const JSON_LD: Route = Route {
    name: "job-board-json-ld",
    method: "GET",
    path: "/api/job-board/{id}/json-ld",
    access: Public,
    summary: "One active job as schema.org JobPosting JSON-LD (application/ld+json), for a job page's <script type=\"application/ld+json\"> (Google for Jobs)",
    idempotent: false,
    grants: &[TableRead],
    handler: handler!(get_json_ld),
};
async fn get_json_ld(app: App, req: Req, _: ()) -> Result<crate::reply::JsonLd, AppError> {
    let job = active_job(&app, &req).await?;
    let name = company(&app, &mut Default::default(), &job).await;
    let url = job_url(&req, job.id.as_ref());
    Ok(crate::reply::JsonLd(json_ld(&PublicJob::of(job), &name, &url)))
}
