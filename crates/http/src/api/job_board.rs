//! `/api/job-board`: the public board of active jobs across employers.

use super::jobs::JobView;
use super::{Page, PageQuery, page, page_of};
use crate::App;
use crate::handler;
use crate::request::Req;
use crate::routes::{Access::*, Grant::*, Json, Query, Route};
use clearview_core::model::Job;
use clearview_core::ports::store::{Index, Query as StoreQuery};
use clearview_core::services::Listed;
use clearview_core::{AppError, keys, record};

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
async fn list(app: App, _: Req, Query(q): Query<PageQuery>) -> Result<Json<Page<JobView>>, AppError> {
    let scope = "job-board";
    let (limit, after) = page(&app, scope, &q)?;
    let query = StoreQuery::index(Index::Gsi2, keys::ACTIVE_JOBS_PK).limit(limit).after(after).descending();
    let (items, page) = record::query::<Job>(app.deps.store.as_ref(), &query).await?;
    Ok(Json(page_of(&app, scope, Listed { items, next: page.next }, JobView::of)))
}
