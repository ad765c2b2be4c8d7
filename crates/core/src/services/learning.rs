//! Learning (issue 14): a course catalogue kept by content editors (platform admins) and
//! non-profits (their `npo` members), each course with the skills it teaches (names of the skills
//! vocabulary, indexed by skill so a gap finds its courses with one bounded query), a link or an
//! uploaded material (presigned PUT under `resources/courses/`); candidates' enrolment, progress
//! and completion. A completion adds the course's skills to the candidate's skills as `learned`
//! (not verified), in the same transaction as the completion.

use super::Listed;
use super::careers::{LearnedSkill, career_change};
use crate::error::{AppError, AppResult};
use crate::keys;
use crate::ports::Deps;
use crate::ports::blobs::UploadTicket;
use crate::ports::store::{Condition, Index, PageToken, Query, StoreError, TxWrite, attr};
use crate::principal::Principal;
use crate::rbac::Role;
use crate::record::{self, Record};
use crate::values::{Checks, TextRule, UserId};
use serde::{Deserialize, Serialize};
use time::OffsetDateTime;
use utoipa::openapi::schema::Object;

const SHORT: TextRule = TextRule::new(1, 200);
const LONG: TextRule = TextRule::new(1, 2000);
/// At most this many skills a course teaches.
pub const MAX_COURSE_SKILLS: usize = 10;
/// The largest course material (checked when it is read: a presigned PUT cannot bound it).
pub const MATERIAL_MAX_BYTES: u64 = 50 * 1024 * 1024;

fn short_schema() -> Object {
    SHORT.schema()
}
fn long_opt_schema() -> Object {
    LONG.opt_schema()
}
fn url_schema() -> Object {
    TextRule::new(1, 500).opt_schema()
}
fn material_type_schema() -> Object {
    crate::values::choice_schema(super::platform::RESOURCE_TYPES.iter().copied())
}
fn skills_schema() -> utoipa::openapi::schema::Array {
    utoipa::openapi::schema::ArrayBuilder::new()
        .items(TextRule::new(1, 100).schema())
        .min_items(Some(1))
        .max_items(Some(MAX_COURSE_SKILLS))
        .build()
}

/// A course's downloadable material (uploaded through a presigned PUT).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, utoipa::ToSchema)]
#[serde(rename_all = "camelCase")]
pub struct CourseMaterial {
    pub file_name: String,
    pub content_type: String,
}

impl CourseMaterial {
    /// Where the file lives in the bucket (under `resources/`, as offerings' resources).
    pub fn key(&self, course: &str) -> String {
        format!("resources/courses/{course}/material")
    }
}

/// A course of the catalogue.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, utoipa::ToSchema)]
#[serde(rename_all = "camelCase")]
pub struct Course {
    pub id: String,
    pub title: String,
    /// Who teaches it (a school, a platform, the non-profit).
    pub provider: String,
    pub description: Option<String>,
    /// Where the course is taken, when it is online.
    pub url: Option<String>,
    /// The uploaded material, if any (`GET /api/learning/courses/{id}/material`).
    pub material: Option<CourseMaterial>,
    /// The skills it teaches: canonical names of the skills vocabulary.
    pub skills: Vec<String>,
    /// Length in hours.
    pub hours: u32,
    /// Cost in US cents (0: free).
    pub cost_cents: u32,
    /// The non-profit that offers it (null: the platform's editors).
    pub nonprofit_id: Option<String>,
    #[schema(value_type = String)]
    pub created_by: UserId,
    #[serde(with = "time::serde::rfc3339")]
    #[schema(value_type = String, format = DateTime)]
    pub created_at: OffsetDateTime,
    pub version: u64,
}

impl Record for Course {
    const ENTITY: &'static str = "Course";
    fn key(&self) -> crate::ports::store::Key {
        keys::course(&self.id)
    }
    /// gsi1: the catalogue.
    fn gsi1(&self) -> Option<crate::ports::store::Key> {
        Some(keys::course_in_catalogue(&self.id))
    }
    fn version(&self) -> u64 {
        self.version
    }
}

/// One entry of the skill index of courses: enough to recommend the course without reading it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct CourseBySkill {
    pub skill: String,
    pub course_id: String,
    pub title: String,
    pub provider: String,
    pub hours: u32,
    pub cost_cents: u32,
}

impl Record for CourseBySkill {
    const ENTITY: &'static str = "CourseBySkill";
    fn key(&self) -> crate::ports::store::Key {
        keys::course_by_skill(&self.skill, &self.course_id)
    }
    fn version(&self) -> u64 {
        1
    }
}

/// `POST /api/learning/courses`.
#[derive(Debug, Clone, Deserialize, utoipa::ToSchema)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct CourseInput {
    #[schema(schema_with = short_schema, example = "PostgreSQL for MySQL users")]
    pub title: String,
    #[schema(schema_with = short_schema, example = "Bridges to Work")]
    pub provider: String,
    #[schema(schema_with = long_opt_schema)]
    pub description: Option<String>,
    /// An http(s) link to the course; a course has a link, a material or both.
    #[schema(schema_with = url_schema)]
    pub url: Option<String>,
    /// A material to upload: the answer carries a presigned PUT for it (15 minutes).
    pub material: Option<MaterialInput>,
    /// 1–10 skills it teaches, each one the skills vocabulary knows (`PostgreSQL`, `Python`).
    #[schema(schema_with = skills_schema, example = json!(["PostgreSQL"]))]
    pub skills: Vec<String>,
    /// Length in hours, 1–2000.
    #[schema(minimum = 1, maximum = 2000)]
    pub hours: u32,
    /// Cost in US cents, 0 (free) to 10,000,000.
    #[schema(minimum = 0, maximum = 10_000_000)]
    pub cost_cents: u32,
    /// The non-profit offering it: required of a non-profit member (who must be one of its
    /// members), optional for a platform admin.
    #[schema(min_length = 1, max_length = 100)]
    pub nonprofit_id: Option<String>,
}

#[derive(Debug, Clone, Deserialize, utoipa::ToSchema)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct MaterialInput {
    #[schema(schema_with = short_schema, example = "postgres-workbook.pdf")]
    pub file_name: String,
    #[schema(schema_with = material_type_schema)]
    pub content_type: String,
}

/// A created course and, when it has a material, where to upload it.
#[derive(Debug, Clone, Serialize, utoipa::ToSchema)]
#[serde(rename_all = "camelCase")]
pub struct CourseCreated {
    pub course: Course,
    pub upload: Option<UploadTicket>,
}

/// The skills vocabulary's name for each of `raw` (422 naming the entry it does not know).
pub(crate) fn vocabulary_skills(c: &mut Checks, field: &str, raw: &[String], max: usize) -> Vec<String> {
    if raw.is_empty() || raw.len() > max {
        c.push(field, format!("name 1 to {max} skills"));
    }
    let tax = clearview_screening::Taxonomy::global();
    let mut out: Vec<String> = Vec::new();
    for (i, s) in raw.iter().enumerate().take(max) {
        let s = s.split_whitespace().collect::<Vec<_>>().join(" ");
        match tax.canonical_name(&s) {
            Some(name) if s.chars().count() <= 100 => {
                if !out.iter().any(|x| x.eq_ignore_ascii_case(name)) {
                    out.push(name.to_owned());
                }
            }
            _ => c.push(format!("{field}[{i}]"), "is not a skill of the skills vocabulary"),
        }
    }
    out
}

/// `PUT /api/learning/courses/{id}`: the editable fields of a course (the whole set, as a PUT
/// replaces them). Its material and non-profit stay as they are.
#[derive(Debug, Clone, Deserialize, utoipa::ToSchema)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct CourseUpdate {
    #[schema(schema_with = short_schema, example = "PostgreSQL for MySQL users")]
    pub title: String,
    #[schema(schema_with = short_schema, example = "Bridges to Work")]
    pub provider: String,
    #[schema(schema_with = long_opt_schema)]
    pub description: Option<String>,
    /// An http(s) link to the course; a course keeps a link, a material or both.
    #[schema(schema_with = url_schema)]
    pub url: Option<String>,
    /// 1–10 skills it teaches, each one the skills vocabulary knows; the skill index follows.
    #[schema(schema_with = skills_schema, example = json!(["PostgreSQL", "MySQL"]))]
    pub skills: Vec<String>,
    /// Length in hours, 1–2000.
    #[schema(minimum = 1, maximum = 2000)]
    pub hours: u32,
    /// Cost in US cents, 0 (free) to 10,000,000.
    #[schema(minimum = 0, maximum = 10_000_000)]
    pub cost_cents: u32,
}

/// The skill index entry of `course` for `skill`.
fn index_entry(course: &Course, skill: &str) -> CourseBySkill {
    CourseBySkill {
        skill: skill.to_owned(),
        course_id: course.id.clone(),
        title: course.title.clone(),
        provider: course.provider.clone(),
        hours: course.hours,
        cost_cents: course.cost_cents,
    }
}

/// Who may edit a course: the platform's content editors (platform admins), the members of the
/// non-profit offering it, and whoever added it.
fn may_edit(course: &Course, p: &Principal, nonprofit: Option<&crate::model::platform::Nonprofit>) -> bool {
    p.roles.contains(&Role::PlatformAdmin)
        || course.created_by == p.user_id
        || nonprofit.is_some_and(|n| n.is_member(&p.user_id))
}

/// Edits a course (If-Match required) and keeps its skill index right in the same transaction:
/// the entries of skills it no longer teaches are deleted, those of the skills it teaches are
/// written again (their title, provider, hours and cost are copies of the course's).
pub async fn update_course(
    deps: &Deps,
    p: &Principal,
    id: &str,
    if_match: Option<u64>,
    input: CourseUpdate,
) -> AppResult<Course> {
    let before = load_course(deps, id).await?;
    let nonprofit = match &before.nonprofit_id {
        Some(n) => Some(super::platform::load_nonprofit(deps, n).await?),
        None => None,
    };
    if !may_edit(&before, p, nonprofit.as_ref()) {
        return Err(AppError::Forbidden(
            "only the platform's editors, the course's non-profit or whoever added it edit a course".into(),
        ));
    }
    let mut c = Checks::default();
    let title = c.take(SHORT.parse("title", &input.title)).unwrap_or_default();
    let provider = c.take(SHORT.parse("provider", &input.provider)).unwrap_or_default();
    let description = c.take(LONG.parse_opt("description", input.description.as_deref())).flatten();
    let url = super::platform::parse_url(&mut c, "url", input.url.as_deref(), false);
    if url.is_none() && before.material.is_none() && input.url.as_deref().is_none_or(|u| u.trim().is_empty()) {
        c.push("url", "a course needs a link, a material or both");
    }
    let skills = vocabulary_skills(&mut c, "skills", &input.skills, MAX_COURSE_SKILLS);
    if !(1..=2000).contains(&input.hours) {
        c.push("hours", "must be a number from 1 to 2000");
    }
    if input.cost_cents > 10_000_000 {
        c.push("costCents", "must be a number from 0 to 10000000");
    }
    c.finish()?;
    super::check_version(if_match, before.version, true)?;
    let after = Course {
        title,
        provider,
        description,
        url,
        skills,
        hours: input.hours,
        cost_cents: input.cost_cents,
        version: before.version + 1,
        ..before.clone()
    };
    let mut writes = vec![after.tx_put("course", Condition::VersionIs(before.version))?];
    for gone in before.skills.iter().filter(|s| !after.skills.iter().any(|n| n.eq_ignore_ascii_case(s))) {
        writes.push(TxWrite::delete("skill-index", keys::course_by_skill(gone, &after.id), Condition::None));
    }
    for s in &after.skills {
        writes.push(index_entry(&after, s).tx_put("skill-index", Condition::None)?);
    }
    match deps.store.transact(writes).await {
        Ok(()) => Ok(after),
        Err(StoreError::TransactionCanceled { failed }) if failed.iter().any(|f| f == "course") => {
            Err(AppError::conflict("concurrent-update", "the course changed since it was read; read it again"))
        }
        Err(e) => Err(e.into()),
    }
}

pub async fn create_course(deps: &Deps, p: &Principal, input: CourseInput) -> AppResult<CourseCreated> {
    let mut c = Checks::default();
    let title = c.take(SHORT.parse("title", &input.title)).unwrap_or_default();
    let provider = c.take(SHORT.parse("provider", &input.provider)).unwrap_or_default();
    let description = c.take(LONG.parse_opt("description", input.description.as_deref())).flatten();
    let url = super::platform::parse_url(&mut c, "url", input.url.as_deref(), false);
    let material = input.material.as_ref().and_then(|m| {
        let file_name = c.take(SHORT.parse("material.fileName", &m.file_name));
        let content_type = m.content_type.trim().to_owned();
        if !super::platform::RESOURCE_TYPES.contains(&content_type.as_str()) {
            c.push("material.contentType", format!("must be one of {}", super::platform::RESOURCE_TYPES.join(", ")));
            return None;
        }
        Some(CourseMaterial { file_name: file_name?, content_type })
    });
    if url.is_none() && input.material.is_none() {
        c.push("url", "a course needs a link, a material or both");
    }
    let skills = vocabulary_skills(&mut c, "skills", &input.skills, MAX_COURSE_SKILLS);
    if !(1..=2000).contains(&input.hours) {
        c.push("hours", "must be a number from 1 to 2000");
    }
    if input.cost_cents > 10_000_000 {
        c.push("costCents", "must be a number from 0 to 10000000");
    }
    let is_admin = p.roles.contains(&Role::PlatformAdmin);
    let nonprofit_id = c.take(TextRule::new(1, 100).parse_opt("nonprofitId", input.nonprofit_id.as_deref())).flatten();
    if nonprofit_id.is_none() && !is_admin {
        c.push("nonprofitId", "name the non-profit you offer the course for");
    }
    c.finish()?;
    if let Some(n) = &nonprofit_id {
        let n = super::platform::load_nonprofit(deps, n).await?;
        if !n.is_member(&p.user_id) && !is_admin {
            return Err(AppError::Forbidden("only the non-profit's members add its courses".into()));
        }
    }
    let course = Course {
        id: deps.ids.new_id().to_string(),
        title,
        provider,
        description,
        url,
        material,
        skills,
        hours: input.hours,
        cost_cents: input.cost_cents,
        nonprofit_id,
        created_by: p.user_id.clone(),
        created_at: deps.clock.now(),
        version: 1,
    };
    let mut writes = vec![course.tx_put("course", Condition::NotExists)?];
    for s in &course.skills {
        writes.push(index_entry(&course, s).tx_put("skill-index", Condition::None)?);
    }
    deps.store.transact(writes).await?;
    let upload = match &course.material {
        None => None,
        Some(m) => Some(
            deps.blobs
                .presign_put(
                    &m.key(&course.id),
                    &m.content_type,
                    MATERIAL_MAX_BYTES,
                    std::time::Duration::from_secs(15 * 60),
                )
                .await
                .map_err(|e| AppError::Unavailable(e.to_string()))?,
        ),
    };
    Ok(CourseCreated { course, upload })
}

pub async fn load_course(deps: &Deps, id: &str) -> AppResult<Course> {
    record::get(deps.store.as_ref(), &keys::course(id)).await?.ok_or(AppError::NotFound("course"))
}

/// The catalogue (oldest first), or the courses teaching one skill.
pub async fn courses(
    deps: &Deps,
    skill: Option<&str>,
    limit: usize,
    after: Option<PageToken>,
) -> AppResult<Listed<Course>> {
    match skill {
        None => {
            let q = Query::index(Index::Gsi1, keys::COURSES_PK).limit(limit).after(after);
            let (items, page) = record::query::<Course>(deps.store.as_ref(), &q).await?;
            Ok(Listed { items, next: page.next })
        }
        Some(s) => {
            let (entries, next) = courses_teaching(deps, s, limit, after).await?;
            let mut items = Vec::with_capacity(entries.len());
            for e in entries {
                items.push(load_course(deps, &e.course_id).await?);
            }
            Ok(Listed { items, next })
        }
    }
}

/// One page of the skill index: the courses teaching `skill` (bounded by `limit`).
pub(crate) async fn courses_teaching(
    deps: &Deps,
    skill: &str,
    limit: usize,
    after: Option<PageToken>,
) -> AppResult<(Vec<CourseBySkill>, Option<PageToken>)> {
    let q = Query::table(keys::course_by_skill_pk(skill)).limit(limit).after(after);
    let (items, page) = record::query::<CourseBySkill>(deps.store.as_ref(), &q).await?;
    Ok((items, page.next))
}

/// Where to download a course's material: a presigned GET of five minutes.
pub async fn material_download(deps: &Deps, course: &str) -> AppResult<super::platform::ResourceDownload> {
    let c = load_course(deps, course).await?;
    let m = c.material.as_ref().ok_or(AppError::NotFound("material"))?;
    let key = m.key(&c.id);
    match deps.blobs.head(&key).await.map_err(|e| AppError::Unavailable(e.to_string()))? {
        Some(meta) if meta.size <= MATERIAL_MAX_BYTES => {}
        Some(_) => return Err(AppError::conflict("material-too-large", "the uploaded file is larger than 50 MB")),
        None => return Err(AppError::NotFound("material (not uploaded yet)")),
    }
    let (url, expires_at) = deps
        .blobs
        .presign_get(&key, std::time::Duration::from_secs(300), Some(&m.file_name))
        .await
        .map_err(|e| AppError::Unavailable(e.to_string()))?;
    Ok(super::platform::ResourceDownload { url, expires_at })
}

// ------------------------------------------------------------------ enrolment and progress

/// A candidate's enrolment in a course and how far along they are.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, utoipa::ToSchema)]
#[serde(rename_all = "camelCase")]
pub struct Learning {
    pub course_id: String,
    pub title: String,
    pub provider: String,
    pub skills: Vec<String>,
    #[schema(value_type = String)]
    pub candidate_id: UserId,
    /// 0–100; 100 is completion.
    #[schema(minimum = 0, maximum = 100)]
    pub percent: u8,
    #[serde(with = "time::serde::rfc3339")]
    #[schema(value_type = String, format = DateTime)]
    pub enrolled_at: OffsetDateTime,
    #[serde(with = "time::serde::rfc3339::option")]
    #[schema(value_type = Option<String>, format = DateTime)]
    pub completed_at: Option<OffsetDateTime>,
    pub version: u64,
}

impl Record for Learning {
    const ENTITY: &'static str = "Learning";
    fn key(&self) -> crate::ports::store::Key {
        keys::learning(&self.candidate_id, &self.course_id)
    }
    fn version(&self) -> u64 {
        self.version
    }
}

/// `POST /api/learning/enroll`.
#[derive(Debug, Clone, Deserialize, utoipa::ToSchema)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct EnrollInput {
    #[schema(min_length = 1, max_length = 100)]
    pub course_id: String,
}

/// An enrolment and the course's enrolment count (a counter moved in the enrolment's transaction).
#[derive(Debug, Clone, Serialize, utoipa::ToSchema)]
#[serde(rename_all = "camelCase")]
pub struct CourseEnrolled {
    pub learning: Learning,
    pub enrolled_count: i64,
}

async fn enrolled_count(deps: &Deps, course: &str) -> AppResult<i64> {
    Ok(deps.store.get(&keys::course_enrolled(course)).await?.and_then(|i| i.data[attr::COUNT].as_i64()).unwrap_or(0))
}

/// Enrols the candidate; enrolling again answers the first enrolment and counts nothing twice.
pub async fn enroll(deps: &Deps, candidate: &UserId, input: EnrollInput) -> AppResult<CourseEnrolled> {
    let id = input.course_id.trim();
    if id.is_empty() || id.chars().count() > 100 {
        return Err(AppError::field("courseId", "name a course of the catalogue"));
    }
    let course = load_course(deps, id).await?;
    let l = Learning {
        course_id: course.id.clone(),
        title: course.title.clone(),
        provider: course.provider.clone(),
        skills: course.skills.clone(),
        candidate_id: candidate.clone(),
        percent: 0,
        enrolled_at: deps.clock.now(),
        completed_at: None,
        version: 1,
    };
    let writes = vec![
        l.tx_put("learning", Condition::NotExists)?,
        TxWrite::add("count", keys::course_enrolled(&course.id), "CourseEnrolmentCount", None, 1),
    ];
    let learning = match deps.store.transact(writes).await {
        Ok(()) => l,
        Err(StoreError::TransactionCanceled { failed }) if failed.iter().any(|f| f == "learning") => {
            record::get(deps.store.as_ref(), &l.key()).await?.ok_or(AppError::NotFound("enrolment"))?
        }
        Err(e) => return Err(e.into()),
    };
    Ok(CourseEnrolled { learning, enrolled_count: enrolled_count(deps, &course.id).await? })
}

/// `POST /api/learning/progress`.
#[derive(Debug, Clone, Deserialize, utoipa::ToSchema)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct ProgressInput {
    #[schema(min_length = 1, max_length = 100)]
    pub course_id: String,
    /// 0–100, never below the progress already recorded; 100 completes the course.
    #[schema(minimum = 0, maximum = 100)]
    pub percent: u32,
}

/// Records progress on a course the candidate is enrolled in. Reaching 100 completes it: the
/// course's skills join the candidate's skills as `learned` in the same transaction. Progress
/// only goes forward; a completed course stays completed (reporting it again changes nothing).
pub async fn record_progress(deps: &Deps, candidate: &UserId, input: ProgressInput) -> AppResult<Learning> {
    if input.percent > 100 {
        return Err(AppError::field("percent", "must be a number from 0 to 100"));
    }
    let id = input.course_id.trim();
    if id.is_empty() || id.chars().count() > 100 {
        return Err(AppError::field("courseId", "name a course you are enrolled in"));
    }
    for _ in 0..5 {
        let before: Learning = record::get(deps.store.as_ref(), &keys::learning(candidate, id))
            .await?
            .ok_or(AppError::NotFound("enrolment"))?;
        if before.completed_at.is_some() {
            return Ok(before);
        }
        let percent = input.percent as u8;
        if percent < before.percent {
            return Err(AppError::field(
                "percent",
                format!("progress only goes forward: you are at {}%", before.percent),
            ));
        }
        if percent == before.percent {
            return Ok(before);
        }
        let now = deps.clock.now();
        let mut after = before.clone();
        after.percent = percent;
        after.version += 1;
        let mut writes = Vec::new();
        if percent == 100 {
            after.completed_at = Some(now);
            let (_, career) = career_change(deps, candidate, |r| {
                for s in &after.skills {
                    if !r.learned.iter().any(|l| l.skill.eq_ignore_ascii_case(s)) {
                        r.learned.push(LearnedSkill {
                            skill: s.clone(),
                            course_id: after.course_id.clone(),
                            learned_at: now,
                        });
                    }
                }
                Ok(())
            })
            .await?;
            writes.push(career);
        }
        writes.push(after.tx_put("learning", Condition::VersionIs(before.version))?);
        match deps.store.transact(writes).await {
            Ok(()) => return Ok(after),
            Err(StoreError::TransactionCanceled { .. }) => continue,
            Err(e) => return Err(e.into()),
        }
    }
    Err(AppError::conflict("concurrent-update", "your progress kept changing; send it again"))
}

/// The candidate's enrolments, in course order.
pub async fn progress(
    deps: &Deps,
    candidate: &UserId,
    limit: usize,
    after: Option<PageToken>,
) -> AppResult<Listed<Learning>> {
    let q = Query::table(keys::learner_pk(candidate)).prefix("COURSE#").limit(limit).after(after);
    let (items, page) = record::query::<Learning>(deps.store.as_ref(), &q).await?;
    Ok(Listed { items, next: page.next })
}

// ------------------------------------------------------------------ recommendations

/// A course that teaches a gap.
#[derive(Debug, Clone, Serialize, utoipa::ToSchema)]
#[serde(rename_all = "camelCase")]
pub struct CourseSuggestion {
    pub course_id: String,
    pub title: String,
    pub provider: String,
    pub hours: u32,
    pub cost_cents: u32,
    /// The gap it closes.
    pub closes: String,
}

/// A mentor who covers a gap.
#[derive(Debug, Clone, Serialize, utoipa::ToSchema)]
#[serde(rename_all = "camelCase")]
pub struct MentorSuggestion {
    #[schema(value_type = String)]
    pub mentor_id: UserId,
    pub name: String,
    pub places_left: u32,
    /// The gap they help close.
    pub closes: String,
}

/// A non-profit's offering tagged with a gap.
#[derive(Debug, Clone, Serialize, utoipa::ToSchema)]
#[serde(rename_all = "camelCase")]
pub struct OfferingSuggestion {
    pub offering_id: String,
    pub title: String,
    pub nonprofit_id: String,
    pub nonprofit_name: String,
    pub category: crate::model::platform::OfferingCategory,
    /// The gap it closes.
    pub closes: String,
}

/// One of the candidate's top gaps and what closes it.
#[derive(Debug, Clone, Serialize, utoipa::ToSchema)]
#[serde(rename_all = "camelCase")]
pub struct GapRecommendations {
    pub gap: super::careers::GapView,
    /// At most three, cheapest first.
    pub courses: Vec<CourseSuggestion>,
    /// At most three with room, most places left first.
    pub mentors: Vec<MentorSuggestion>,
    /// Non-profits' offerings tagged with the gap: at most three, oldest first.
    pub offerings: Vec<OfferingSuggestion>,
}

/// `GET /api/skills/recommendations`.
#[derive(Debug, Clone, Serialize, utoipa::ToSchema)]
#[serde(rename_all = "camelCase")]
pub struct Recommendations {
    pub occupation: Option<super::careers::OccupationRef>,
    pub job: Option<super::careers::JobRef>,
    /// Your five most useful gaps against the target, most useful first.
    pub gaps: Vec<GapRecommendations>,
}

/// Courses, mentors and non-profits' offerings that close the candidate's top gaps against the
/// query's target (else their newest goal's occupation). Reads are bounded: one query of each
/// skill index a gap.
pub async fn recommendations(
    deps: &Deps,
    candidate: &UserId,
    q: &super::careers::GapsQuery,
) -> AppResult<Recommendations> {
    let target = super::network::target_or_goal(deps, candidate, q).await?;
    let (_, have) = super::careers::skills_of(deps, candidate).await?;
    let gaps = super::careers::gaps_of(deps, &have, &target).await?;
    let mut out = Vec::new();
    for gap in gaps.gaps.into_iter().take(super::network::TOP_GAPS) {
        let (entries, _) = courses_teaching(deps, &gap.skill, 25, None).await?;
        let mut courses: Vec<CourseSuggestion> = entries
            .into_iter()
            .map(|e| CourseSuggestion {
                course_id: e.course_id,
                title: e.title,
                provider: e.provider,
                hours: e.hours,
                cost_cents: e.cost_cents,
                closes: gap.skill.clone(),
            })
            .collect();
        courses.sort_by_key(|c| (c.cost_cents, c.hours));
        courses.truncate(3);
        let mentors = super::network::mentors_for(deps, std::slice::from_ref(&gap.skill), Some(candidate))
            .await?
            .into_iter()
            .take(3)
            .map(|m| MentorSuggestion {
                mentor_id: m.mentor_id,
                name: m.name,
                places_left: m.places_left,
                closes: gap.skill.clone(),
            })
            .collect();
        let offerings = super::platform::offerings_for_skill(deps, &gap.skill, 3)
            .await?
            .into_iter()
            .map(|o| OfferingSuggestion {
                offering_id: o.offering_id,
                title: o.title,
                nonprofit_id: o.nonprofit_id,
                nonprofit_name: o.nonprofit_name,
                category: o.category,
                closes: gap.skill.clone(),
            })
            .collect();
        out.push(GapRecommendations { gap, courses, mentors, offerings });
    }
    Ok(Recommendations { occupation: gaps.occupation, job: gaps.job, gaps: out })
}
