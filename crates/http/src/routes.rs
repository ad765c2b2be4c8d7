//! THE route table: the single source of truth for the dev server's router, the Lambda binaries
//! (one per route, named `name`), the OpenAPI document, the IAM policy each function gets, and
//! the drift checks against template.yaml and the CDK app.

use crate::App;
use crate::handlers as h;
use crate::request::{Reply, Req};
use clearview_core::AppError;
use clearview_core::rbac::Permission;
use std::future::Future;
use std::pin::Pin;
use utoipa::openapi::{RefOr, schema::Schema};

pub type HandlerFuture<'a> = Pin<Box<dyn Future<Output = Result<Reply, AppError>> + Send + 'a>>;
pub type Handler = for<'a> fn(&'a App, Req) -> HandlerFuture<'a>;
/// Registers a type's schema (and those it refers to) and returns a reference to it.
pub type SchemaFn = fn(&mut Vec<(String, RefOr<Schema>)>) -> RefOr<Schema>;

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
    /// Reads the key that seals voluntary self-identification.
    SealingKey,
}

pub struct Route {
    /// The function's name: the Lambda binary, the SAM logical id's stem, the OpenAPI operationId.
    pub name: &'static str,
    pub method: &'static str,
    /// API Gateway syntax (`/api/jobs/{id}`), which is also axum's.
    pub path: &'static str,
    pub access: Access,
    pub tag: &'static str,
    pub summary: &'static str,
    pub request: Option<SchemaFn>,
    pub response: Option<SchemaFn>,
    /// The success status.
    pub status: u16,
    /// Accepts `Idempotency-Key` (mutating POSTs that create something).
    pub idempotent: bool,
    pub grants: &'static [Grant],
    pub handler: Handler,
}

impl std::fmt::Debug for Route {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "{} {} ({})", self.method, self.path, self.name)
    }
}

pub fn schema<T: utoipa::ToSchema>(defs: &mut Vec<(String, RefOr<Schema>)>) -> RefOr<Schema> {
    T::schemas(defs);
    defs.push((T::name().into_owned(), T::schema()));
    RefOr::Ref(utoipa::openapi::Ref::from_schema_name(T::name()))
}

use Access::{Candidate, Member, Public, Staff};
use Grant::{PublishEvents as EV, ResumesRead, ResumesWrite, SealingKey, SendQueue};
use Grant::{TableRead as R, TableWrite as W, UserPoolAdmin};
use Permission as P;
use clearview_core::model::{Application, Candidate as CandidateProfile, Job, User};
use clearview_core::ports::identity::Tokens;
use clearview_core::services::{applications, auth, candidates, employers, jobs, users};

const SIGNUP_ADMIN: &[&str] = &["AdminUpdateUserAttributes", "AdminAddUserToGroup", "AdminDeleteUser"];
const INVITE_ADMIN: &[&str] = &["AdminCreateUser", "AdminAddUserToGroup", "AdminDeleteUser"];
const ROLE_ADMIN: &[&str] = &["AdminListGroupsForUser", "AdminRemoveUserFromGroup", "AdminAddUserToGroup"];
const DISABLE_ADMIN: &[&str] = &["AdminDisableUser", "AdminUserGlobalSignOut"];
const SIGNOUT_ADMIN: &[&str] = &["AdminUserGlobalSignOut"];

macro_rules! route {
    ($name:literal, $method:literal $path:literal, $access:expr, $tag:literal, $summary:literal,
     req: $req:expr, res: $res:expr, $status:literal, idem: $idem:literal, grants: $grants:expr, $handler:path) => {
        Route {
            name: $name,
            method: $method,
            path: $path,
            access: $access,
            tag: $tag,
            summary: $summary,
            request: $req,
            response: $res,
            status: $status,
            idempotent: $idem,
            grants: $grants,
            handler: $handler,
        }
    };
}

pub static ROUTES: &[Route] = &[
    // Employers and sign-in (public).
    route!("employers-register", "POST" "/api/employers/register", Public, "auth",
        "Register an employer: its organisation and first admin (email verification follows)",
        req: Some(schema::<employers::RegisterEmployer>), res: Some(schema::<employers::Registered>), 201,
        idem: true, grants: &[R, W, UserPoolAdmin(SIGNUP_ADMIN)], h::employers_register),
    route!("auth-confirm", "POST" "/api/auth/confirm", Public, "auth", "Verify an email with the emailed code",
        req: Some(schema::<auth::ConfirmInput>), res: None, 204, idem: false, grants: &[], h::auth_confirm),
    route!("auth-login", "POST" "/api/auth/login", Public, "auth", "Sign in with email and password",
        req: Some(schema::<auth::LoginInput>), res: Some(schema::<Tokens>), 200, idem: false, grants: &[], h::auth_login),
    route!("auth-refresh", "POST" "/api/auth/refresh", Public, "auth", "Exchange a refresh token for new tokens",
        req: Some(schema::<auth::RefreshInput>), res: Some(schema::<Tokens>), 200, idem: false, grants: &[],
        h::auth_refresh),
    route!("auth-forgot-password", "POST" "/api/auth/forgot-password", Public, "auth",
        "Email a password-reset code (answers the same whether or not the account exists)",
        req: Some(schema::<auth::ForgotInput>), res: None, 202, idem: false, grants: &[], h::auth_forgot_password),
    route!("auth-reset-password", "POST" "/api/auth/reset-password", Public, "auth",
        "Set a new password with the emailed code",
        req: Some(schema::<auth::ResetInput>), res: None, 204, idem: false, grants: &[], h::auth_reset_password),
    route!("auth-complete-invite", "POST" "/api/auth/complete-invite", Public, "auth",
        "First sign-in of an invited user: replace the temporary password",
        req: Some(schema::<auth::CompleteInviteInput>), res: Some(schema::<Tokens>), 200, idem: false,
        grants: &[R, W], h::auth_complete_invite),
    // Signed in.
    route!("auth-logout", "POST" "/api/auth/logout", Staff(None), "auth", "Sign out: the refresh token stops working",
        req: Some(schema::<auth::RefreshInput>), res: None, 204, idem: false,
        grants: &[R, UserPoolAdmin(SIGNOUT_ADMIN)], h::auth_logout),
    route!("auth-me", "GET" "/api/auth/me", Staff(None), "auth", "The signed-in user, organisation and permissions",
        req: None, res: Some(schema::<auth::Me>), 200, idem: false, grants: &[R], h::auth_me),
    // Staff users.
    route!("users-list", "GET" "/api/users", Staff(Some(P::UsersRead)), "users", "List the organisation's staff",
        req: None, res: Some(schema::<crate::handlers::UserPage>), 200, idem: false, grants: &[R], h::users_list),
    route!("users-create", "POST" "/api/users", Staff(Some(P::UsersManage)), "users",
        "Invite a staff member (a temporary password is emailed)",
        req: Some(schema::<users::InviteInput>), res: Some(schema::<User>), 201, idem: true,
        grants: &[R, W, UserPoolAdmin(INVITE_ADMIN)], h::users_create),
    route!("users-get", "GET" "/api/users/{id}", Staff(Some(P::UsersRead)), "users", "A staff member",
        req: None, res: Some(schema::<User>), 200, idem: false, grants: &[R], h::users_get),
    route!("users-update", "PUT" "/api/users/{id}", Staff(Some(P::UsersManage)), "users",
        "Update a staff member's profile (If-Match required)",
        req: Some(schema::<users::UpdateUserInput>), res: Some(schema::<User>), 200, idem: false, grants: &[R, W],
        h::users_update),
    route!("users-delete", "DELETE" "/api/users/{id}", Staff(Some(P::UsersManage)), "users",
        "Remove a staff member: sign-in disabled, sessions revoked, record kept for the audit trail",
        req: None, res: None, 204, idem: false, grants: &[R, W, UserPoolAdmin(DISABLE_ADMIN)], h::users_delete),
    route!("users-permissions-get", "GET" "/api/users/{id}/permissions", Staff(Some(P::UsersRead)), "users",
        "A staff member's role, overrides and effective permissions",
        req: None, res: Some(schema::<users::UserPermissions>), 200, idem: false, grants: &[R],
        h::users_permissions_get),
    route!("users-permissions-put", "PUT" "/api/users/{id}/permissions", Staff(Some(P::RolesManage)), "users",
        "Grant or deny single permissions on top of the role",
        req: Some(schema::<users::PermissionsInput>), res: Some(schema::<users::UserPermissions>), 200, idem: false,
        grants: &[R, W], h::users_permissions_put),
    route!("employers-users-role", "PATCH" "/api/employers/{id}/users/{userId}", Staff(Some(P::RolesManage)), "users",
        "Change a staff member's role",
        req: Some(schema::<users::RoleInput>), res: Some(schema::<User>), 200, idem: false,
        grants: &[R, W, UserPoolAdmin(ROLE_ADMIN)], h::employers_users_role),
    // Jobs.
    route!("jobs-list", "GET" "/api/jobs", Staff(Some(P::JobsRead)), "jobs",
        "List jobs, newest first (?status=draft|active|paused|closed|cancelled)",
        req: None, res: Some(schema::<crate::handlers::JobPage>), 200, idem: false, grants: &[R], h::jobs_list),
    route!("jobs-create", "POST" "/api/jobs", Staff(Some(P::JobsWrite)), "jobs", "Create a job (as a draft)",
        req: Some(schema::<jobs::JobInput>), res: Some(schema::<Job>), 201, idem: true, grants: &[R, W],
        h::jobs_create),
    route!("employers-job-postings-create", "POST" "/api/employers/{id}/job-postings", Staff(Some(P::JobsWrite)),
        "jobs", "Create a job for the named employer (your own)",
        req: Some(schema::<jobs::JobInput>), res: Some(schema::<Job>), 201, idem: true, grants: &[R, W],
        h::employers_job_postings_create),
    route!("jobs-get", "GET" "/api/jobs/{id}", Staff(Some(P::JobsRead)), "jobs", "A job (with its ETag)",
        req: None, res: Some(schema::<Job>), 200, idem: false, grants: &[R], h::jobs_get),
    route!("jobs-update", "PUT" "/api/jobs/{id}", Staff(Some(P::JobsWrite)), "jobs",
        "Replace a job's editable fields (If-Match required)",
        req: Some(schema::<jobs::JobInput>), res: Some(schema::<Job>), 200, idem: false, grants: &[R, W],
        h::jobs_update),
    route!("jobs-delete", "DELETE" "/api/jobs/{id}", Staff(Some(P::JobsDelete)), "jobs",
        "Delete a draft; a job that was published is cancelled instead",
        req: None, res: None, 204, idem: false, grants: &[R, W], h::jobs_delete),
    route!("jobs-publish", "POST" "/api/jobs/{id}/publish", Staff(Some(P::JobsPublish)), "jobs",
        "Publish a draft or paused job", req: None, res: Some(schema::<Job>), 200, idem: false, grants: &[R, W],
        h::jobs_publish),
    route!("jobs-pause", "POST" "/api/jobs/{id}/pause", Staff(Some(P::JobsPublish)), "jobs", "Pause an active job",
        req: None, res: Some(schema::<Job>), 200, idem: false, grants: &[R, W], h::jobs_pause),
    route!("jobs-close", "POST" "/api/jobs/{id}/close", Staff(Some(P::JobsPublish)), "jobs",
        "Close an active or paused job", req: None, res: Some(schema::<Job>), 200, idem: false, grants: &[R, W],
        h::jobs_close),
    route!("jobs-criteria", "PUT" "/api/jobs/{id}/ai-criteria", Staff(Some(P::JobsCriteria)), "jobs",
        "Set the screening criteria (weights sum to 100; If-Match required)",
        req: Some(schema::<jobs::CriteriaInput>), res: Some(schema::<Job>), 200, idem: false, grants: &[R, W],
        h::jobs_criteria),
    route!("jobs-bias-audit", "GET" "/api/jobs/{id}/bias-audit", Staff(Some(P::AnalyticsRead)), "screening",
        "NYC Local Law 144 bias audit of the job's applicants: selection and scoring rates, impact ratios, four-fifths flags",
        req: None, res: Some(schema::<clearview_chain::audit::JobBiasAudit>), 200, idem: false, grants: &[R, SealingKey],
        h::jobs_bias_audit),
    route!("job-board", "GET" "/api/job-board", Public, "candidates", "Active jobs across employers, newest first",
        req: None, res: Some(schema::<crate::handlers::JobPage>), 200, idem: false, grants: &[R], h::job_board),
    // Candidates.
    route!("candidates-register", "POST" "/api/candidates", Public, "candidates",
        "Candidate sign-up (email verification follows, as for employers)",
        req: Some(schema::<candidates::RegisterCandidate>), res: Some(schema::<CandidateProfile>), 201, idem: true,
        grants: &[R, W, UserPoolAdmin(SIGNUP_ADMIN)], h::candidates_register),
    route!("candidates-get", "GET" "/api/candidates/{id}", Member(Some(P::ApplicationsRead)), "candidates",
        "A candidate: yourself, or (staff) someone who applied to one of your jobs",
        req: None, res: Some(schema::<CandidateProfile>), 200, idem: false, grants: &[R], h::candidates_get),
    route!("candidates-update", "PUT" "/api/candidates/{id}", Candidate, "candidates",
        "Update your profile (If-Match required)",
        req: Some(schema::<candidates::UpdateCandidate>), res: Some(schema::<CandidateProfile>), 200, idem: false,
        grants: &[R, W], h::candidates_update),
    route!("candidates-applications", "GET" "/api/candidates/{id}/applications", Member(Some(P::ApplicationsRead)),
        "applications", "A candidate's applications (staff see those to their own jobs)",
        req: None, res: Some(schema::<crate::handlers::ApplicationPage>), 200, idem: false, grants: &[R],
        h::candidates_applications),
    // Applications and the processing chain.
    route!("applications-create", "POST" "/api/applications", Candidate, "applications",
        "Apply to an active job (once; voluntary self-identification is sealed apart and never shown to staff)",
        req: Some(schema::<applications::ApplyInput>), res: Some(schema::<Application>), 201, idem: true,
        grants: &[R, W, EV, SealingKey], h::applications_create),
    route!("applications-get", "GET" "/api/applications/{id}", Member(Some(P::ApplicationsRead)), "applications",
        "An application, with where its resume is in the processing chain",
        req: None, res: Some(schema::<Application>), 200, idem: false, grants: &[R], h::applications_get),
    route!("jobs-applications", "GET" "/api/jobs/{id}/applications", Staff(Some(P::ApplicationsRead)), "applications",
        "A job's applications", req: None, res: Some(schema::<crate::handlers::ApplicationPage>), 200, idem: false,
        grants: &[R], h::jobs_applications),
    route!("applications-withdraw", "POST" "/api/applications/{id}/withdraw", Candidate, "applications",
        "Withdraw your application", req: None, res: Some(schema::<Application>), 200, idem: false,
        grants: &[R, W, EV], h::applications_withdraw),
    route!("applications-resume-upload-url", "POST" "/api/applications/{id}/resume-upload-url", Candidate,
        "applications", "A presigned PUT for your resume (PDF, DOCX or text; 10 MB; 15 minutes)",
        req: Some(schema::<applications::UploadInput>), res: Some(schema::<applications::UploadGrant>), 201,
        idem: false, grants: &[R, W, ResumesWrite], h::applications_resume_upload_url),
    route!("files-upload", "POST" "/api/files/upload", Candidate, "applications",
        "The same presigned resume upload, naming the application in the body",
        req: Some(schema::<applications::FileUploadInput>), res: Some(schema::<applications::UploadGrant>), 201,
        idem: false, grants: &[R, W, ResumesWrite], h::files_upload),
    route!("files-get", "GET" "/api/files/{id}", Member(Some(P::ApplicationsRead)), "applications",
        "A short-lived download URL for a resume", req: None, res: Some(schema::<applications::DownloadGrant>), 200,
        idem: false, grants: &[R, ResumesRead], h::files_get),
    route!("applications-ai-score", "GET" "/api/applications/{id}/ai-score", Staff(Some(P::ApplicationsRead)),
        "screening", "The score with its explanation, the counterfactual bias check, and any human decision",
        req: None, res: Some(schema::<applications::AiScore>), 200, idem: false, grants: &[R],
        h::applications_ai_score),
    route!("applications-reprocess-ai", "POST" "/api/applications/{id}/reprocess-ai", Staff(Some(P::ApplicationsWrite)),
        "screening", "Score the resume again (for example after the criteria changed)",
        req: None, res: Some(schema::<Application>), 202, idem: false, grants: &[R, W, SendQueue("score")],
        h::applications_reprocess_ai),
    route!("applications-decision", "POST" "/api/applications/{id}/decision", Staff(Some(P::ApplicationsOverride)),
        "screening", "A person's decision (advance, review, reject) with a reason; it overrules the machine",
        req: Some(schema::<applications::DecisionInput>), res: Some(schema::<Application>), 200, idem: false,
        grants: &[R, W, EV], h::applications_decision),
];

/// The route a function name serves.
pub fn by_name(name: &str) -> Option<&'static Route> {
    ROUTES.iter().find(|r| r.name == name)
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
    fn read_routes_get_no_write_grant() {
        for r in ROUTES.iter().filter(|r| r.method == "GET") {
            let read_only = |g: &Grant| matches!(g, Grant::TableRead | Grant::ResumesRead | Grant::SealingKey);
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
    fn function_names_are_lambda_safe() {
        for r in ROUTES {
            assert!(r.name.len() <= 40 && r.name.chars().all(|c| c.is_ascii_lowercase() || c == '-'), "{r:?}");
        }
    }
}
