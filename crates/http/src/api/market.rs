//! `/api/market/*`: market insight from the platform's own postings and applications, with
//! every cell of too few postings or employers suppressed.

use crate::App;
use crate::handler;
use crate::request::Req;
use crate::routes::{Access::*, Grant::*, Json, Query, Route};
use clearview_core::AppError;
use clearview_core::services::market;

pub static ROUTES: &[Route] = &[DEMAND, TRENDS, SALARIES];

pub const DEMAND: Route = Route {
    name: "market-demand",
    method: "GET",
    path: "/api/market/demand",
    access: Member(None),
    summary: "Postings published on the platform in a month by skill, occupation or location, with their employers and applications; cells of fewer than 5 postings or 3 employers are suppressed",
    idempotent: false,
    grants: &[TableRead],
    handler: handler!(demand),
};
async fn demand(app: App, _: Req, Query(q): Query<market::DemandQuery>) -> Result<Json<market::Demand>, AppError> {
    Ok(Json(market::demand(&app.deps, &q).await?))
}

pub const TRENDS: Route = Route {
    name: "market-trends",
    method: "GET",
    path: "/api/market/trends",
    access: Member(None),
    summary: "One skill's, occupation's or location's postings month over month up to this month; suppressed months show no figures",
    idempotent: false,
    grants: &[TableRead],
    handler: handler!(trends),
};
async fn trends(app: App, _: Req, Query(q): Query<market::TrendsQuery>) -> Result<Json<market::Trends>, AppError> {
    Ok(Json(market::trends(&app.deps, &q).await?))
}

pub const SALARIES: Route = Route {
    name: "market-salaries",
    method: "GET",
    path: "/api/market/salaries",
    access: Member(None),
    summary: "Posted salary ranges of an occupation (O*NET code or job title) by location and currency; cells of fewer than 5 postings or 3 employers are suppressed",
    idempotent: false,
    grants: &[TableRead],
    handler: handler!(salaries),
};
async fn salaries(
    app: App,
    _: Req,
    Query(q): Query<market::SalariesQuery>,
) -> Result<Json<market::Salaries>, AppError> {
    Ok(Json(market::salaries(&app.deps, &q).await?))
}
