//! One function per route: read the request, call the use case, shape the answer.

use crate::App;
use crate::request::{Reply, Req};
use crate::routes::HandlerFuture;
use clearview_core::AppError;
use clearview_core::keys;
use clearview_core::model::job::JobTransition;
use clearview_core::model::{Application, Job, JobStatus, User};
use clearview_core::ports::store::{Index, Query};
use clearview_core::record;
use clearview_core::services::{Listed, applications, auth, candidates, employers, jobs, users};
use clearview_core::values::{JobId, UserId};
use serde::Serialize;

macro_rules! handler {
    ($name:ident, |$app:ident, $req:ident| $body:block) => {
        pub fn $name<'a>($app: &'a App, $req: Req) -> HandlerFuture<'a> {
            Box::pin(async move $body)
        }
    };
    ($name:ident, |$app:ident, $req:ident| $body:expr) => {
        pub fn $name<'a>($app: &'a App, $req: Req) -> HandlerFuture<'a> {
            Box::pin(async move { $body })
        }
    };
}

/// A page of a list: the items and, when there are more, the cursor to the next page.
#[derive(Debug, Serialize, utoipa::ToSchema)]
#[serde(rename_all = "camelCase")]
pub struct JobPage {
    pub items: Vec<Job>,
    pub next_cursor: Option<String>,
}

#[derive(Debug, Serialize, utoipa::ToSchema)]
#[serde(rename_all = "camelCase")]
pub struct UserPage {
    pub items: Vec<User>,
    pub next_cursor: Option<String>,
}

fn next_cursor<T>(app: &App, scope: &str, listed: &Listed<T>) -> Option<String> {
    listed.next.as_ref().map(|t| app.cursors.seal(scope, t))
}

fn job_id(req: &Req) -> Result<JobId, AppError> {
    req.id("id", JobId::parse, "job")
}

/// Staff user ids are the identity provider's subjects (UUIDs in Cognito and locally).
fn user_id(req: &Req, name: &str) -> Result<UserId, AppError> {
    req.id(name, UserId::parse, "user")
}

fn job_reply(job: Job) -> Result<Reply, AppError> {
    Ok(Reply::ok(&JobView::of(&job))?.with_etag(job.version))
}

// ---- employers and auth ----

handler!(employers_register, |app, req| {
    let out = employers::register(&app.deps, req.json()?).await?;
    let loc = format!("/api/users/{}", out.user.id);
    Reply::created(&out, loc)
});

handler!(auth_confirm, |app, req| {
    auth::confirm(&app.deps, req.json()?).await?;
    Ok(Reply::no_content())
});

handler!(auth_login, |app, req| Reply::ok(&auth::login(&app.deps, req.json()?).await?));

handler!(auth_refresh, |app, req| Reply::ok(&auth::refresh(&app.deps, req.json()?).await?));

handler!(auth_forgot_password, |app, req| {
    auth::forgot_password(&app.deps, req.json()?).await?;
    Ok(Reply::accepted("If an account exists for this email, a reset code is on its way."))
});

handler!(auth_reset_password, |app, req| {
    auth::reset_password(&app.deps, req.json()?).await?;
    Ok(Reply::no_content())
});

handler!(auth_complete_invite, |app, req| Reply::ok(&auth::complete_invite(&app.deps, req.json()?).await?));

handler!(auth_logout, |app, req| {
    let actor = req.actor()?;
    auth::logout(&app.deps, &actor.user.email, req.json()?).await?;
    Ok(Reply::no_content())
});

handler!(auth_me, |app, req| Reply::ok(&auth::me(&app.deps, req.actor()?).await?));

// ---- users ----

handler!(users_list, |app, req| {
    let actor = req.actor()?;
    let scope = format!("users-list:{}", actor.org());
    let (limit, after) = req.page(app, &scope)?;
    let listed = users::list(&app.deps, actor, limit, after).await?;
    let next_cursor = next_cursor(app, &scope, &listed);
    Reply::ok(&UserPage { items: listed.items, next_cursor })
});

handler!(users_create, |app, req| {
    let user = users::invite(&app.deps, req.actor()?, req.json()?).await?;
    let loc = format!("/api/users/{}", user.id);
    Ok(Reply::created(&user, loc)?.with_etag(user.version))
});

handler!(users_get, |app, req| {
    let user = users::get(&app.deps, req.actor()?, &user_id(&req, "id")?).await?;
    Ok(Reply::ok(&user)?.with_etag(user.version))
});

handler!(users_update, |app, req| {
    let user = users::update(&app.deps, req.actor()?, &user_id(&req, "id")?, req.if_match()?, req.json()?).await?;
    Ok(Reply::ok(&user)?.with_etag(user.version))
});

handler!(users_delete, |app, req| {
    users::remove(&app.deps, req.actor()?, &user_id(&req, "id")?, req.if_match()?).await?;
    Ok(Reply::no_content())
});

handler!(users_permissions_get, |app, req| {
    let p = users::get_permissions(&app.deps, req.actor()?, &user_id(&req, "id")?).await?;
    Ok(Reply::ok(&p)?.with_etag(p.version))
});

handler!(users_permissions_put, |app, req| {
    let p =
        users::set_permissions(&app.deps, req.actor()?, &user_id(&req, "id")?, req.if_match()?, req.json()?).await?;
    Ok(Reply::ok(&p)?.with_etag(p.version))
});

handler!(employers_users_role, |app, req| {
    let user = users::change_role(
        &app.deps,
        req.actor()?,
        req.path("id")?,
        &user_id(&req, "userId")?,
        req.if_match()?,
        req.json()?,
    )
    .await?;
    Ok(Reply::ok(&user)?.with_etag(user.version))
});

// ---- jobs ----

handler!(jobs_list, |app, req| {
    let actor = req.actor()?;
    let status = match req.query_param("status") {
        None => None,
        Some(s) => Some(
            serde_json::from_value::<JobStatus>(serde_json::Value::String(s.to_owned()))
                .map_err(|_| AppError::field("status", "must be one of draft, active, paused, closed, cancelled"))?,
        ),
    };
    let scope = format!("jobs-list:{}:{}", actor.org(), status.map(JobStatus::as_str).unwrap_or("*"));
    let (limit, after) = req.page(app, &scope)?;
    let listed = jobs::list(&app.deps, actor, status, limit, after).await?;
    let next_cursor = next_cursor(app, &scope, &listed);
    Reply::ok(&JobPage { items: listed.items, next_cursor })
});

handler!(jobs_create, |app, req| {
    let job = jobs::create(&app.deps, req.actor()?, req.json()?).await?;
    let loc = format!("/api/jobs/{}", job.id);
    Ok(Reply::created(&JobView::of(&job), loc)?.with_etag(job.version))
});

handler!(employers_job_postings_create, |app, req| {
    let job = jobs::create_for_employer(&app.deps, req.actor()?, req.path("id")?, req.json()?).await?;
    let loc = format!("/api/jobs/{}", job.id);
    Ok(Reply::created(&JobView::of(&job), loc)?.with_etag(job.version))
});

handler!(jobs_get, |app, req| job_reply(jobs::get(&app.deps, req.actor()?, &job_id(&req)?).await?));

handler!(jobs_update, |app, req| {
    job_reply(jobs::update(&app.deps, req.actor()?, &job_id(&req)?, req.if_match()?, req.json()?).await?)
});

handler!(jobs_delete, |app, req| {
    jobs::delete(&app.deps, req.actor()?, &job_id(&req)?, req.if_match()?).await?;
    Ok(Reply::no_content())
});

async fn move_job(app: &App, req: Req, t: JobTransition) -> Result<Reply, AppError> {
    job_reply(jobs::transition(&app.deps, req.actor()?, &job_id(&req)?, req.if_match()?, t).await?)
}

handler!(jobs_publish, |app, req| move_job(app, req, JobTransition::Publish).await);
handler!(jobs_pause, |app, req| move_job(app, req, JobTransition::Pause).await);
handler!(jobs_close, |app, req| move_job(app, req, JobTransition::Close).await);

handler!(jobs_criteria, |app, req| {
    job_reply(jobs::set_criteria(&app.deps, req.actor()?, &job_id(&req)?, req.if_match()?, req.json()?).await?)
});

// ---- job views: every job answer carries its ad-language report ----

/// A job as the API shows it: its fields and the job ad's coded-language report
/// (masculine/feminine-coded words, age-coded phrases), computed from the current text.
#[derive(Debug, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct JobView<'a> {
    #[serde(flatten)]
    pub job: &'a Job,
    pub ad_language: serde_json::Value,
}

impl<'a> JobView<'a> {
    pub fn of(job: &'a Job) -> Self {
        Self { job, ad_language: serde_json::to_value(clearview_chain::job_ad_language(job)).unwrap_or_default() }
    }
}

#[derive(Debug, Serialize, utoipa::ToSchema)]
#[serde(rename_all = "camelCase")]
pub struct ApplicationPage {
    pub items: Vec<Application>,
    pub next_cursor: Option<String>,
}

fn app_id(req: &Req) -> Result<String, AppError> {
    // Application ids are UUIDs; anything else names nothing.
    req.id("id", |s| JobId::parse(s).map(|_| s.to_owned()), "application")
}

handler!(jobs_bias_audit, |app, req| {
    Reply::ok(&clearview_chain::audit::job_bias_audit(&app.deps, req.actor()?, &job_id(&req)?).await?)
});

handler!(job_board, |app, req| {
    let scope = "job-board";
    let (limit, after) = req.page(app, scope)?;
    let q = Query::index(Index::Gsi2, keys::ACTIVE_JOBS_PK).limit(limit).after(after).descending();
    let (items, page) = record::query::<Job>(app.deps.store.as_ref(), &q).await?;
    let listed = Listed { items, next: page.next };
    let next_cursor = next_cursor(app, scope, &listed);
    Reply::ok(&JobPage { items: listed.items, next_cursor })
});

handler!(candidates_register, |app, req| {
    let c = candidates::register(&app.deps, req.json()?).await?;
    let loc = format!("/api/candidates/{}", c.id);
    Ok(Reply::created(&c, loc)?.with_etag(c.version))
});

handler!(candidates_get, |app, req| {
    let c = candidates::get(&app.deps, &req.caller()?, &user_id(&req, "id")?).await?;
    Ok(Reply::ok(&c)?.with_etag(c.version))
});

handler!(candidates_update, |app, req| {
    let c = candidates::update(&app.deps, &req.caller()?, &user_id(&req, "id")?, req.if_match()?, req.json()?).await?;
    Ok(Reply::ok(&c)?.with_etag(c.version))
});

handler!(candidates_applications, |app, req| {
    let caller = req.caller()?;
    let candidate = user_id(&req, "id")?;
    let scope = format!("candidate-apps:{}:{}", caller.id(), candidate);
    let (limit, after) = req.page(app, &scope)?;
    let listed = applications::list_for_candidate(&app.deps, &caller, &candidate, limit, after).await?;
    let next_cursor = next_cursor(app, &scope, &listed);
    Reply::ok(&ApplicationPage { items: listed.items, next_cursor })
});

handler!(applications_create, |app, req| {
    let a = applications::apply(&app.deps, req.candidate()?, req.json()?).await?;
    let loc = format!("/api/applications/{}", a.id);
    Ok(Reply::created(&a, loc)?.with_etag(a.version))
});

handler!(applications_get, |app, req| {
    let a = applications::load(&app.deps, &req.caller()?, &app_id(&req)?).await?;
    Ok(Reply::ok(&a)?.with_etag(a.version))
});

handler!(jobs_applications, |app, req| {
    let actor = req.actor()?;
    let job = job_id(&req)?;
    let scope = format!("job-apps:{}:{}", actor.org(), job);
    let (limit, after) = req.page(app, &scope)?;
    let listed = applications::list_for_job(&app.deps, actor, &job, limit, after).await?;
    let next_cursor = next_cursor(app, &scope, &listed);
    Reply::ok(&ApplicationPage { items: listed.items, next_cursor })
});

handler!(applications_withdraw, |app, req| {
    let a = applications::withdraw(&app.deps, req.candidate()?, &app_id(&req)?).await?;
    Ok(Reply::ok(&a)?.with_etag(a.version))
});

handler!(applications_resume_upload_url, |app, req| {
    let grant = applications::upload_url(&app.deps, req.candidate()?, &app_id(&req)?, req.json()?).await?;
    Reply::json(http::StatusCode::CREATED, &grant)
});

handler!(files_upload, |app, req| {
    let input: applications::FileUploadInput = req.json()?;
    let upload = applications::UploadInput { content_type: input.content_type, file_name: input.file_name };
    let grant = applications::upload_url(&app.deps, req.candidate()?, input.application_id.trim(), upload).await?;
    Reply::json(http::StatusCode::CREATED, &grant)
});

handler!(files_get, |app, req| {
    let id = req.id("id", |s| JobId::parse(s).map(|_| s.to_owned()), "file")?;
    Reply::ok(&applications::download_url(&app.deps, &req.caller()?, &id).await?)
});

handler!(applications_ai_score, |app, req| {
    Reply::ok(&applications::ai_score(&app.deps, req.actor()?, &app_id(&req)?).await?)
});

handler!(applications_reprocess_ai, |app, req| {
    let a = applications::reprocess(&app.deps, req.actor()?, &app_id(&req)?).await?;
    Ok(Reply::json(http::StatusCode::ACCEPTED, &a)?.with_etag(a.version))
});

handler!(applications_decision, |app, req| {
    let a = applications::decide(&app.deps, req.actor()?, &app_id(&req)?, req.if_match()?, req.json()?).await?;
    Ok(Reply::ok(&a)?.with_etag(a.version))
});
