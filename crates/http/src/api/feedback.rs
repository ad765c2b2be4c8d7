//! `/api/feedback/*`: candidates' feedback on the hiring experience, anonymous to the employer,
//! and the aggregates staff see once a scope has at least 5 answers. (Interviewers' scorecards
//! are under `/api/interviews/{id}/feedback`; the seed's staff rating route is
//! `POST /api/employers/{id}/feedback`.)

use crate::App;
use crate::handler;
use crate::request::Req;
use crate::routes::{Access::*, Grant::*, Json, Route};
use clearview_core::AppError;
use clearview_core::rbac::Permission as P;
use clearview_core::services::experience;

pub static ROUTES: &[Route] = &[EXPERIENCE_SUBMIT, EXPERIENCE_REPORT];

pub const EXPERIENCE_SUBMIT: Route = Route {
    name: "feedback-experience-submit",
    method: "POST",
    path: "/api/feedback/experience",
    access: Candidate,
    summary: "A candidate rates the hiring experience of an interview they had (1-5, themes), once: stored only as counts, with nothing that leads back to them",
    idempotent: false,
    grants: &[TableRead, TableWrite],
    handler: handler!(experience_submit),
};
async fn experience_submit(
    app: App,
    req: Req,
    Json(input): Json<experience::ExperienceInput>,
) -> Result<Json<experience::ExperienceReceipt>, AppError> {
    Ok(Json(experience::submit(&app.deps, &req.candidate()?.user_id, input).await?))
}

pub const EXPERIENCE_REPORT: Route = Route {
    name: "feedback-experience-report",
    method: "GET",
    path: "/api/feedback/experience",
    access: Staff(Some(P::AnalyticsRead)),
    summary: "Candidates' feedback on the hiring experience, as aggregates (rating distribution, themes) for the organisation and each job; a scope with fewer than 5 answers is withheld",
    idempotent: false,
    grants: &[TableRead],
    handler: handler!(experience_report),
};
async fn experience_report(app: App, req: Req, _: ()) -> Result<Json<experience::ExperienceReport>, AppError> {
    Ok(Json(experience::report(&app.deps, req.actor()?).await?))
}
