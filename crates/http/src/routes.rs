//! What a route is: a named-field item (name, method, path, who may call it, what its function
//! may touch in AWS) next to its typed handler in its area's module under [`crate::api`]. The
//! handler's own types say what it reads (`Json<T>`, `Query<T>`, `IfMatch`) and what it answers
//! (`Json<T>`, `Tagged<T>`, `Created<T>`, `Accepted<T>`, `NoContent`), so the OpenAPI document,
//! the dev server's router, the Lambda functions, template.yaml and the CDK app all come from the
//! one table ([`ROUTES`]) and cannot drift from the code.

use crate::App;
use crate::request::{Reply, Req};
use clearview_core::AppError;
use clearview_core::rbac::{Permission, Role};
use std::future::Future;
use std::pin::Pin;
use std::sync::LazyLock;
use utoipa::openapi::{RefOr, schema::Schema};

pub use crate::extract::{BodySpec, Csv, FromRequest, IfMatch, IfMatchToReplace, Json, OptionalIfMatch, Query};
pub use crate::reply::{Accepted, CalendarText, Created, NoContent, Responds, Tagged, WhenReady};

pub type HandlerFuture = Pin<Box<dyn Future<Output = Result<Reply, AppError>> + Send>>;
/// Schemas a document collects while it describes operations.
pub type Defs = Vec<(String, RefOr<Schema>)>;

/// Who may call a route.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Access {
    /// No token (API Gateway: no authorizer).
    Public,
    /// A staff member of the token's tenant; with a permission, the matrix must grant it.
    Staff(Option<Permission>),
    /// A signed-in candidate.
    Candidate,
    /// A candidate (the handler limits them to their own things) or a staff member holding the
    /// permission.
    Member(Option<Permission>),
    /// A platform user whose token carries at least one of these roles (`cognito:groups`); the
    /// handler checks ownership (a non-profit's members, the caller's own profile).
    Platform(&'static [Role]),
    /// Any verified token, with or without roles: a social sign-in's first visit, before the
    /// person has chosen their roles.
    SignedIn,
}

/// What a route's function may touch in AWS; template.yaml and the CDK app derive each
/// function's least-privilege policy from this.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Grant {
    /// GetItem, Query on the table and its indexes.
    TableRead,
    /// PutItem, DeleteItem, ConditionCheckItem (TransactWriteItems rides on these).
    TableWrite,
    /// The named cognito-idp admin actions on the user pool.
    UserPoolAdmin(&'static [&'static str]),
    /// sns:Publish on the application-events topic.
    PublishEvents,
    /// sqs:SendMessage on one work queue (by `WorkQueue::name`).
    SendQueue(&'static str),
    /// s3:PutObject on resumes (to presign uploads).
    ResumesWrite,
    /// s3:GetObject on resumes (to presign downloads).
    ResumesRead,
    /// s3:GetObjectTagging on resumes: GuardDuty Malware Protection's verdict (its scan-status
    /// tag), read before a stored resume is parsed.
    ResumeScanTags,
    /// s3:GetObject on generated reports (to presign their downloads).
    ReportsRead,
    /// s3:PutObject under `resources/` (non-profits' downloadable offering resources).
    ResourcesWrite,
    /// s3:GetObject under `resources/` (to check and presign their downloads).
    ResourcesRead,
    /// Reads the key that seals voluntary self-identification.
    SealingKey,
    /// Reads `PLATFORM_ADMIN_EMAILS` (the deployment's `PlatformAdminEmails` parameter): who may
    /// register as the first platform admins.
    PlatformAdminEmails,
    /// s3:GetObject under `exports/` (to presign personal-data export downloads).
    ExportsRead,
    /// s3:DeleteObject and s3:DeleteObjectVersion on resumes, s3:ListBucketVersions on the
    /// bucket (to delete every stored version of a file).
    ResumesDelete,
    /// textract:DetectDocumentText (OCR of scanned resumes).
    Ocr,
    /// Secrets Manager: create, tag and delete this deployment's integration secrets
    /// (`<table>/integrations/…`).
    IntegrationSecretsWrite,
    /// Secrets Manager: read this deployment's integration secrets.
    IntegrationSecretsRead,
}

/// What a handler's types say about its operation, for the OpenAPI document.
#[derive(Default)]
pub struct OperationDoc {
    pub params: Vec<utoipa::openapi::path::Parameter>,
    pub body: Option<RefOr<Schema>>,
    /// The body's media type (`application/json` when `None`).
    pub body_media: Option<&'static str>,
    /// The success status, its body and the headers it sets.
    pub status: u16,
    pub response: Option<RefOr<Schema>>,
    /// The success body's media type (`application/json` when `None`).
    pub response_media: Option<&'static str>,
    pub response_headers: Vec<(&'static str, &'static str)>,
    /// Error statuses the inputs can cause (a body: 400, 413, 415, 422; If-Match: 412, 428 …).
    pub errors: Vec<(u16, &'static str)>,
}

/// A handler with its types erased, and the description those types give.
#[derive(Clone, Copy)]
pub struct Handler {
    pub call: fn(App, Req) -> HandlerFuture,
    pub describe: fn(&mut OperationDoc, &mut Defs),
    /// The body its input reads, if any.
    pub body: Option<BodySpec>,
}

/// Erases a typed handler `async fn(App, Req, I) -> Result<O, AppError>` into a [`Handler`].
/// Its input `I` is read from the request first (refusals are field errors), then the answer
/// `O` becomes the reply, so the document's schemas are the handler's own types.
#[macro_export]
macro_rules! handler {
    ($f:path) => {{
        fn call(app: $crate::App, req: $crate::request::Req) -> $crate::routes::HandlerFuture {
            Box::pin($crate::routes::run_typed(app, req, $f))
        }
        fn describe(doc: &mut $crate::routes::OperationDoc, defs: &mut $crate::routes::Defs) {
            $crate::routes::describe_typed(doc, defs, &$f)
        }
        $crate::routes::Handler { call, describe, body: $crate::routes::body_of(&$f) }
    }};
}

/// The body a typed handler's input reads (see [`FromRequest::BODY`]).
pub const fn body_of<F, Fut, I, O>(_: &F) -> Option<BodySpec>
where
    F: FnOnce(App, Req, I) -> Fut,
    Fut: Future<Output = Result<O, AppError>>,
    I: FromRequest,
    O: Responds,
{
    I::BODY
}

/// Runs a typed handler: reads `I`, calls it, turns `O` into a reply.
pub async fn run_typed<F, Fut, I, O>(app: App, req: Req, f: F) -> Result<Reply, AppError>
where
    F: FnOnce(App, Req, I) -> Fut,
    Fut: Future<Output = Result<O, AppError>>,
    I: FromRequest,
    O: Responds,
{
    let input = I::from_request(&req)?;
    f(app, req, input).await?.into_reply()
}

/// Describes a typed handler's operation from its types.
pub fn describe_typed<F, Fut, I, O>(doc: &mut OperationDoc, defs: &mut Defs, _: &F)
where
    F: FnOnce(App, Req, I) -> Fut,
    Fut: Future<Output = Result<O, AppError>>,
    I: FromRequest,
    O: Responds,
{
    I::describe(doc, defs);
    O::describe(doc, defs);
}

/// One route of the table.
pub struct Route {
    /// The function's name: its Lambda handler, the SAM logical id's stem, the OpenAPI operationId.
    pub name: &'static str,
    pub method: &'static str,
    /// API Gateway syntax (`/api/jobs/{id}`), which is also axum's.
    pub path: &'static str,
    pub access: Access,
    pub summary: &'static str,
    /// Accepts `Idempotency-Key` (mutating POSTs that create something).
    pub idempotent: bool,
    pub grants: &'static [Grant],
    pub handler: Handler,
}

impl Route {
    /// The largest body the route reads.
    pub fn body_limit(&self) -> usize {
        self.handler.body.map_or(crate::request::MAX_BODY, |b| b.max)
    }

    /// Whether a concrete request path is this route's (`{param}` matches one segment).
    pub fn matches_path(&self, path: &str) -> bool {
        let (mut want, mut got) = (self.path.split('/'), path.split('/'));
        loop {
            match (want.next(), got.next()) {
                (None, None) => return true,
                (Some(w), Some(g)) if w == g || (w.starts_with('{') && !g.is_empty()) => {}
                _ => return false,
            }
        }
    }

    /// The API area: the path's first segment after `/api/` (`jobs`, `auth`, `job-board` …).
    pub fn area(&self) -> &'static str {
        self.path.trim_start_matches("/api/").split('/').next().unwrap_or("")
    }
}

impl std::fmt::Debug for Route {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "{} {} ({})", self.method, self.path, self.name)
    }
}

/// Registers a type's schema (and those it refers to) and returns a reference to it.
pub fn schema<T: utoipa::ToSchema>(defs: &mut Defs) -> RefOr<Schema> {
    T::schemas(defs);
    defs.push((T::name().into_owned(), T::schema()));
    RefOr::Ref(utoipa::openapi::Ref::from_schema_name(T::name()))
}

/// THE route table: every area's routes, in area order.
pub static ROUTES: LazyLock<Vec<&'static Route>> =
    LazyLock::new(|| crate::api::AREAS.iter().flat_map(|area| area.iter()).collect());

/// The largest body any route at `path` reads (what an over-size refusal there should name).
pub fn body_limit_for(path: &str) -> usize {
    ROUTES.iter().filter(|r| r.matches_path(path)).map(|r| r.body_limit()).max().unwrap_or(crate::request::MAX_BODY)
}

/// The route a function name serves.
pub fn by_name(name: &str) -> Option<&'static Route> {
    ROUTES.iter().copied().find(|r| r.name == name)
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::collections::BTreeSet;

    #[test]
    fn route_names_and_method_paths_are_unique() {
        let names: BTreeSet<_> = ROUTES.iter().map(|r| r.name).collect();
        assert_eq!(names.len(), ROUTES.len());
        let paths: BTreeSet<_> = ROUTES.iter().map(|r| (r.method, r.path)).collect();
        assert_eq!(paths.len(), ROUTES.len());
    }

    #[test]
    fn each_route_lives_in_the_module_of_its_area() {
        for (module, routes) in crate::api::AREA_MODULES.iter().zip(crate::api::AREAS) {
            for r in *routes {
                assert_eq!(r.area().replace('-', "_"), *module, "{r:?} belongs in api/{}.rs", r.area());
            }
        }
    }

    #[test]
    fn read_routes_get_no_write_grant() {
        for r in ROUTES.iter().filter(|r| r.method == "GET") {
            let read_only = |g: &Grant| {
                matches!(
                    g,
                    Grant::TableRead
                        | Grant::ResumesRead
                        | Grant::ReportsRead
                        | Grant::ResourcesRead
                        | Grant::ExportsRead
                        | Grant::SealingKey
                        | Grant::IntegrationSecretsRead
                )
            };
            assert!(r.grants.iter().all(read_only), "{r:?}");
        }
    }

    #[test]
    fn staff_routes_can_read_the_table_to_load_the_actor() {
        for r in ROUTES.iter().filter(|r| matches!(r.access, Access::Staff(_) | Access::Member(_))) {
            assert!(r.grants.contains(&Grant::TableRead), "{r:?}");
        }
    }

    #[test]
    fn a_route_reads_the_body_its_input_declares() {
        let import = by_name("jobs-import").unwrap();
        assert_eq!(import.handler.body, Some(BodySpec::CSV));
        assert_eq!(import.body_limit(), 1024 * 1024);
        assert_eq!(by_name("jobs-create").unwrap().handler.body, Some(BodySpec::JSON));
        assert_eq!(by_name("jobs-version-restore").unwrap().handler.body, None);
        assert_eq!(body_limit_for("/api/jobs/import"), 1024 * 1024);
        assert_eq!(body_limit_for("/api/jobs/0191e0c8-7f5a-7cc4-9d1e-2b7a1f3e4d5c"), crate::request::MAX_BODY);
        assert!(BodySpec::CSV.accepts("text/csv; charset=utf-8") && !BodySpec::CSV.accepts("application/json"));
        assert!(BodySpec::JSON.accepts("application/problem+json") && !BodySpec::JSON.accepts("text/csv"));
    }

    #[test]
    fn function_names_are_lambda_safe() {
        for r in ROUTES.iter() {
            assert!(r.name.len() <= 40 && r.name.chars().all(|c| c.is_ascii_lowercase() || c == '-'), "{r:?}");
        }
    }
}
