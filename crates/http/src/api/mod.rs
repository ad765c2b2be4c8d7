//! The API by area, one module per first path segment after `/api/` (`POST
//! /api/jobs/{id}/publish` is in `jobs.rs`). Each module holds its routes as named-field items,
//! each next to its typed handler, and lists them in its `ROUTES`.

pub mod ai_models;
pub mod analytics;
pub mod applications;
pub mod audit;
pub mod auth;
pub mod candidates;
pub mod careers;
pub mod communities;
pub mod content;
pub mod email_templates;
pub mod employers;
pub mod feedback;
pub mod files;
pub mod integrations;
pub mod interviews;
pub mod job_alerts;
pub mod job_board;
pub mod job_templates;
pub mod jobs;
pub mod learning;
pub mod market;
pub mod meetings;
pub mod network;
pub mod nonprofits;
pub mod offerings;
pub mod onboarding;
pub mod pipeline;
pub mod privacy;
pub mod reports;
pub mod settings;
pub mod skills;
pub mod sso;
pub mod users;
pub mod webhooks;

use crate::App;
use crate::request::{DEFAULT_PAGE, MAX_PAGE, Req};
use crate::routes::{Route, schema};
use clearview_core::AppError;
use clearview_core::ports::store::PageToken;
use clearview_core::services::Listed;
use clearview_core::values::{JobId, UserId};
use serde::{Deserialize, Serialize};
use utoipa::openapi::schema::{ArrayBuilder, ObjectBuilder, Type};
use utoipa::openapi::{RefOr, Schema};

/// Every area's routes; [`crate::routes::ROUTES`] is their concatenation.
pub static AREAS: &[&[Route]] = &[
    auth::ROUTES,
    employers::ROUTES,
    users::ROUTES,
    jobs::ROUTES,
    job_templates::ROUTES,
    job_board::ROUTES,
    job_alerts::ROUTES,
    candidates::ROUTES,
    email_templates::ROUTES,
    applications::ROUTES,
    files::ROUTES,
    pipeline::ROUTES,
    interviews::ROUTES,
    feedback::ROUTES,
    skills::ROUTES,
    careers::ROUTES,
    learning::ROUTES,
    network::ROUTES,
    content::ROUTES,
    market::ROUTES,
    analytics::ROUTES,
    ai_models::ROUTES,
    reports::ROUTES,
    onboarding::ROUTES,
    audit::ROUTES,
    privacy::ROUTES,
    settings::ROUTES,
    sso::ROUTES,
    nonprofits::ROUTES,
    offerings::ROUTES,
    communities::ROUTES,
    meetings::ROUTES,
    webhooks::ROUTES,
    integrations::ROUTES,
];

/// The module of each of [`AREAS`], in the same order (a test checks each route's area).
pub static AREA_MODULES: &[&str] = &[
    "auth",
    "employers",
    "users",
    "jobs",
    "job_templates",
    "job_board",
    "job_alerts",
    "candidates",
    "email_templates",
    "applications",
    "files",
    "pipeline",
    "interviews",
    "feedback",
    "skills",
    "careers",
    "learning",
    "network",
    "content",
    "market",
    "analytics",
    "ai_models",
    "reports",
    "onboarding",
    "audit",
    "privacy",
    "settings",
    "sso",
    "nonprofits",
    "offerings",
    "communities",
    "meetings",
    "webhooks",
    "integrations",
];

/// The user-pool actions of a sign-up (employer or candidate): set the attributes, join the
/// group, and undo the account if the rest of the sign-up fails.
pub const SIGNUP_ADMIN: &[&str] = &["AdminUpdateUserAttributes", "AdminAddUserToGroup", "AdminDeleteUser"];

/// A page of a list: the items and, when there are more, the cursor to the next page.
#[derive(Debug, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct Page<T> {
    pub items: Vec<T>,
    pub next_cursor: Option<String>,
}

impl<T: utoipa::ToSchema> utoipa::PartialSchema for Page<T> {
    fn schema() -> RefOr<Schema> {
        let item = RefOr::Ref(utoipa::openapi::Ref::from_schema_name(T::name()));
        let next = ObjectBuilder::new()
            .schema_type(utoipa::openapi::schema::SchemaType::from_iter([Type::String, Type::Null]))
            .description(Some("pass as ?cursor= for the next page; null on the last page"));
        ObjectBuilder::new()
            .property("items", ArrayBuilder::new().items(item))
            .required("items")
            .property("nextCursor", next)
            .required("nextCursor")
            .build()
            .into()
    }
}

impl<T: utoipa::ToSchema> utoipa::ToSchema for Page<T> {
    fn name() -> std::borrow::Cow<'static, str> {
        format!("{}Page", T::name()).into()
    }
    fn schemas(defs: &mut Vec<(String, RefOr<Schema>)>) {
        schema::<T>(defs);
    }
}

/// `?limit=&cursor=` of a list.
#[derive(Debug, Default, Deserialize, utoipa::IntoParams)]
#[serde(deny_unknown_fields)]
pub struct PageQuery {
    /// Page size (default 25).
    #[param(minimum = 1, maximum = 100)]
    pub limit: Option<u32>,
    /// `nextCursor` from the previous page.
    #[param(min_length = 1, max_length = 2048)]
    pub cursor: Option<String>,
}

/// Opens a list's page: the limit (1–100) and the cursor, unsealed against the list's scope.
pub fn page(app: &App, scope: &str, q: &PageQuery) -> Result<(usize, Option<PageToken>), AppError> {
    let limit = match q.limit {
        None => DEFAULT_PAGE,
        Some(n) if (1..=MAX_PAGE as u32).contains(&n) => n as usize,
        Some(_) => return Err(AppError::field("limit", format!("must be a number from 1 to {MAX_PAGE}"))),
    };
    let after = q.cursor.as_deref().map(|c| app.cursors.open(scope, c)).transpose()?;
    Ok((limit, after))
}

/// A page of `listed`, its cursor sealed to the list's scope.
pub fn page_of<T, U>(app: &App, scope: &str, listed: Listed<T>, view: impl Fn(T) -> U) -> Page<U> {
    let next_cursor = listed.next.as_ref().map(|t| app.cursors.seal(scope, t));
    Page { items: listed.items.into_iter().map(view).collect(), next_cursor }
}

/// A job id from the path; a malformed one answers 404, like any id that names nothing.
pub fn job_id(req: &Req) -> Result<JobId, AppError> {
    req.id("id", JobId::parse, "job")
}

/// Staff user ids are the identity provider's subjects (UUIDs in Cognito and locally).
pub fn user_id(req: &Req, name: &str) -> Result<UserId, AppError> {
    req.id(name, UserId::parse, "user")
}

/// Application and file ids are UUIDs; anything else names nothing.
pub fn uuid_id(req: &Req, what: &'static str) -> Result<String, AppError> {
    req.id("id", |s| JobId::parse(s).map(|_| s.to_owned()), what)
}
