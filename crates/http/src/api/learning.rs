//! `/api/learning/*`: the course catalogue (kept by platform admins and non-profits' members),
//! candidates' enrolment, progress and completion.

use super::{Page, PageQuery, page, page_of, uuid_id};
use crate::App;
use crate::handler;
use crate::request::Req;
use crate::routes::{Access::*, Created, Grant::*, IfMatch, Json, Query, Route, Tagged};
use clearview_core::AppError;
use clearview_core::rbac::Role;
use clearview_core::services::learning::{self, Course, Learning};
use clearview_core::services::platform::ResourceDownload;
use serde::Deserialize;

pub static ROUTES: &[Route] = &[COURSES, COURSE_CREATE, COURSE_UPDATE, MATERIAL, ENROLL, PROGRESS, PROGRESS_UPDATE];

/// Who keeps the catalogue: platform admins (the platform's content editors) and non-profits'
/// members (for their non-profit).
pub const EDITORS: &[Role] = &[Role::PlatformAdmin, Role::Npo];

/// `GET /api/learning/courses?skill=&limit=&cursor=`.
#[derive(Debug, Default, Deserialize, utoipa::IntoParams)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct CoursesQuery {
    /// Only the courses teaching this skill.
    #[param(min_length = 1, max_length = 100)]
    pub skill: Option<String>,
    #[param(minimum = 1, maximum = 100)]
    pub limit: Option<u32>,
    /// The `nextCursor` of the previous page.
    #[param(min_length = 1, max_length = 2048)]
    pub cursor: Option<String>,
}

pub const COURSES: Route = Route {
    name: "learning-courses-list",
    method: "GET",
    path: "/api/learning/courses",
    access: Platform(&Role::PLATFORM),
    summary: "The course catalogue, optionally only the courses teaching one skill (read from the skill index)",
    idempotent: false,
    grants: &[TableRead],
    handler: handler!(courses),
};
async fn courses(app: App, _: Req, Query(q): Query<CoursesQuery>) -> Result<Json<Page<Course>>, AppError> {
    let skill = match q.skill.as_deref().map(str::trim) {
        Some("") => return Err(AppError::field("skill", "name a skill")),
        Some(s) if s.chars().count() > 100 => return Err(AppError::field("skill", "at most 100 characters")),
        Some(s) => Some(clearview_core::services::careers::canonical(s)),
        None => None,
    };
    let scope = format!("courses:{}", skill.as_deref().unwrap_or("").to_lowercase());
    let (limit, after) = page(&app, &scope, &PageQuery { limit: q.limit, cursor: q.cursor })?;
    let listed = learning::courses(&app.deps, skill.as_deref(), limit, after).await?;
    Ok(Json(page_of(&app, &scope, listed, |c| c)))
}

pub const COURSE_CREATE: Route = Route {
    name: "learning-courses-create",
    method: "POST",
    path: "/api/learning/courses",
    access: Platform(EDITORS),
    summary: "Add a course to the catalogue (platform admins; non-profit members for their non-profit): a link or an uploaded material (the answer carries its presigned PUT), the skills it teaches (names of the skills vocabulary), length and cost",
    idempotent: true,
    grants: &[TableRead, TableWrite, ResourcesWrite],
    handler: handler!(create),
};
async fn create(
    app: App,
    req: Req,
    Json(input): Json<learning::CourseInput>,
) -> Result<Created<learning::CourseCreated>, AppError> {
    let created = learning::create_course(&app.deps, req.candidate()?, input).await?;
    let location = format!("/api/learning/courses?skill={}", created.course.skills[0].replace(' ', "%20"));
    Ok(Created { body: created, location, version: None })
}

pub const COURSE_UPDATE: Route = Route {
    name: "learning-courses-update",
    method: "PUT",
    path: "/api/learning/courses/{id}",
    access: Platform(EDITORS),
    summary: "Edit a course (platform admins, the course's non-profit members, whoever added it; If-Match required): title, provider, description, link, the skills it teaches (the skill index follows in the same transaction), length and cost",
    idempotent: false,
    grants: &[TableRead, TableWrite],
    handler: handler!(update),
};
async fn update(
    app: App,
    req: Req,
    (IfMatch(version), Json(input)): (IfMatch, Json<learning::CourseUpdate>),
) -> Result<Tagged<Course>, AppError> {
    let id = uuid_id(&req, "course")?;
    let course = learning::update_course(&app.deps, req.candidate()?, &id, version, input).await?;
    let v = course.version;
    Ok(Tagged(course, v))
}

pub const MATERIAL: Route = Route {
    name: "learning-courses-material",
    method: "GET",
    path: "/api/learning/courses/{id}/material",
    access: Platform(&Role::PLATFORM),
    summary: "Where to download a course's material: a presigned URL valid for five minutes (404 until its file is uploaded)",
    idempotent: false,
    grants: &[TableRead, ResourcesRead],
    handler: handler!(material),
};
async fn material(app: App, req: Req, _: ()) -> Result<Json<ResourceDownload>, AppError> {
    let id = uuid_id(&req, "course")?;
    Ok(Json(learning::material_download(&app.deps, &id).await?))
}

pub const ENROLL: Route = Route {
    name: "learning-enroll",
    method: "POST",
    path: "/api/learning/enroll",
    access: Candidate,
    summary: "Enrol in a course (enrolling again answers the same enrolment and counts once)",
    idempotent: false,
    grants: &[TableRead, TableWrite],
    handler: handler!(enroll),
};
async fn enroll(
    app: App,
    req: Req,
    Json(input): Json<learning::EnrollInput>,
) -> Result<Json<learning::CourseEnrolled>, AppError> {
    Ok(Json(learning::enroll(&app.deps, &req.candidate()?.user_id, input).await?))
}

pub const PROGRESS: Route = Route {
    name: "learning-progress",
    method: "GET",
    path: "/api/learning/progress",
    access: Candidate,
    summary: "Your courses: enrolment, progress and completion",
    idempotent: false,
    grants: &[TableRead],
    handler: handler!(progress),
};
async fn progress(app: App, req: Req, Query(q): Query<PageQuery>) -> Result<Json<Page<Learning>>, AppError> {
    let me = &req.candidate()?.user_id;
    let scope = format!("learning:{me}");
    let (limit, after) = page(&app, &scope, &q)?;
    let listed = learning::progress(&app.deps, me, limit, after).await?;
    Ok(Json(page_of(&app, &scope, listed, |l| l)))
}

pub const PROGRESS_UPDATE: Route = Route {
    name: "learning-progress-update",
    method: "POST",
    path: "/api/learning/progress",
    access: Candidate,
    summary: "Record progress on a course you are enrolled in (only forward); 100 completes it and adds its skills to yours as learned (not verified)",
    idempotent: false,
    grants: &[TableRead, TableWrite],
    handler: handler!(progress_update),
};
async fn progress_update(
    app: App,
    req: Req,
    Json(input): Json<learning::ProgressInput>,
) -> Result<Json<Learning>, AppError> {
    Ok(Json(learning::record_progress(&app.deps, &req.candidate()?.user_id, input).await?))
}
