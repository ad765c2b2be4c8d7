//! Onboarding of new hires. HR keeps templates of tasks per department and level; marking an
//! application hired lets HR create the new hire (start date, manager, department), and the
//! best-matching template's tasks are instantiated with due dates counted from the start date and
//! assignees resolved from their role (HR, the manager, the new hire). Status and completion follow
//! from the dates and the tasks; the daily `onboarding-overdue` schedule mails the assignee of every
//! task that has passed its due date (once per task).
//!
//! Views never scan: each task has a locator item (task id → new hire) that sits in one of 16
//! gsi1 due shards while it is open and not yet reported overdue, and the analytics are counter
//! items per template (`ONBSTAT#<template>#<metric>`) added in the same transactions as the
//! changes they count.

use super::{Actor, Listed};
use crate::error::{AppError, AppResult};
use crate::keys;
use crate::model::{Application, ApplicationStatus, User, UserStatus};
use crate::ports::Deps;
use crate::ports::mail::OutgoingEmail;
use crate::ports::store::{Condition, Item, Key, PageToken, Query, StoreError, TxWrite};
use crate::rbac::Permission;
use crate::record::{self, Record};
use crate::values::{Checks, UserId};
use serde::{Deserialize, Serialize};
use std::collections::BTreeMap;
use time::{Date, OffsetDateTime};

pub const TASK_KINDS: [&str; 5] = ["document", "training", "meeting", "system_access", "compliance"];
pub const PRIORITIES: [&str; 3] = ["low", "medium", "high"];
/// Who a task is assigned to, by role: HR (whoever created the new hire), the hiring manager, or
/// the new hire.
pub const ASSIGNEES: [&str; 3] = ["hr", "manager", "new_hire"];
pub const STATUSES: [&str; 4] = ["pre_boarding", "first_week", "first_month", "completed"];
pub const MAX_TASKS: usize = 40;
pub const MAX_TEMPLATES: usize = 50;
/// Tasks may fall due up to 60 days before the start (paperwork) and a year after.
pub const DUE_DAYS: std::ops::RangeInclusive<i32> = -60..=365;

fn kind_schema() -> utoipa::openapi::schema::Object {
    crate::values::choice_schema(TASK_KINDS)
}
fn priority_schema() -> utoipa::openapi::schema::Object {
    crate::values::choice_schema(PRIORITIES)
}
fn assignee_schema() -> utoipa::openapi::schema::Object {
    crate::values::choice_schema(ASSIGNEES)
}
fn status_schema() -> utoipa::openapi::schema::Object {
    crate::values::choice_schema(STATUSES)
}

/// One task of a template.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, utoipa::ToSchema)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
#[schema(as = OnboardingTemplateTask)]
pub struct TemplateTask {
    #[schema(min_length = 1, max_length = 200)]
    pub title: String,
    #[schema(max_length = 2000)]
    #[serde(default)]
    pub description: Option<String>,
    #[schema(schema_with = kind_schema)]
    pub kind: String,
    /// Default `medium`.
    #[schema(schema_with = priority_schema)]
    #[serde(default = "medium")]
    pub priority: String,
    /// Days after the start date it falls due (negative: before the start).
    #[schema(minimum = -60, maximum = 365)]
    pub due_days: i32,
    #[schema(schema_with = assignee_schema)]
    pub assignee: String,
    /// Default true. Onboarding is complete when every required task is.
    #[serde(default = "yes")]
    pub required: bool,
}

fn medium() -> String {
    "medium".into()
}
fn yes() -> bool {
    true
}

/// `POST /api/onboarding/templates`.
#[derive(Debug, Clone, Deserialize, utoipa::ToSchema)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
#[schema(as = OnboardingTemplateInput)]
pub struct TemplateInput {
    #[schema(min_length = 1, max_length = 120)]
    pub name: String,
    /// The department it is for (none: any department).
    #[schema(max_length = 80)]
    pub department: Option<String>,
    /// The level it is for, e.g. `senior` (none: any level).
    #[schema(max_length = 40)]
    pub level: Option<String>,
    /// In order; at most 40.
    #[schema(min_items = 1, max_items = 40)]
    pub tasks: Vec<TemplateTask>,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, utoipa::ToSchema)]
#[serde(rename_all = "camelCase")]
#[schema(as = OnboardingTemplate)]
pub struct Template {
    pub id: String,
    pub name: String,
    pub department: Option<String>,
    pub level: Option<String>,
    pub tasks: Vec<TemplateTask>,
    #[schema(value_type = String)]
    pub created_by: UserId,
    #[serde(with = "time::serde::rfc3339")]
    #[schema(value_type = String, format = DateTime)]
    pub created_at: OffsetDateTime,
    pub version: u64,
}

/// `GET /api/onboarding/templates`.
#[derive(Debug, Clone, Serialize, utoipa::ToSchema)]
#[schema(as = OnboardingTemplates)]
pub struct Templates {
    pub items: Vec<Template>,
}

/// Stored with its organisation (the API body leaves it out).
#[derive(Debug, Clone, Serialize, Deserialize)]
struct StoredTemplate {
    #[serde(flatten)]
    template: Template,
    org: crate::values::OrgId,
}

impl Record for StoredTemplate {
    const ENTITY: &'static str = "OnboardingTemplate";
    fn key(&self) -> Key {
        keys::onboarding_template(&self.org, &self.template.id)
    }
    fn version(&self) -> u64 {
        self.template.version
    }
}

/// A task of a new hire.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, utoipa::ToSchema)]
#[serde(rename_all = "camelCase")]
#[schema(as = OnboardingTask)]
pub struct Task {
    pub id: String,
    pub title: String,
    pub description: Option<String>,
    #[schema(schema_with = kind_schema)]
    pub kind: String,
    #[schema(schema_with = priority_schema)]
    pub priority: String,
    #[schema(value_type = String, format = Date)]
    pub due_date: Date,
    #[schema(schema_with = assignee_schema)]
    pub assignee: String,
    /// Where its reminders go.
    pub assignee_email: String,
    pub required: bool,
    pub order: u32,
    #[serde(default, with = "time::serde::rfc3339::option")]
    #[schema(value_type = Option<String>, format = DateTime)]
    pub completed_at: Option<OffsetDateTime>,
    #[schema(value_type = Option<String>)]
    pub completed_by: Option<UserId>,
    /// When its assignee was told it is overdue.
    #[serde(default, with = "time::serde::rfc3339::option")]
    #[schema(value_type = Option<String>, format = DateTime)]
    pub overdue_notified_at: Option<OffsetDateTime>,
}

/// A new hire and their tasks.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, utoipa::ToSchema)]
#[serde(rename_all = "camelCase")]
pub struct NewHire {
    pub id: String,
    #[schema(value_type = String)]
    pub org_id: crate::values::OrgId,
    pub application_id: String,
    #[schema(value_type = String)]
    pub candidate_id: UserId,
    pub name: Option<String>,
    pub email: String,
    pub job_id: String,
    pub job_title: String,
    pub department: Option<String>,
    pub level: Option<String>,
    #[schema(value_type = String, format = Date)]
    pub start_date: Date,
    #[schema(value_type = String)]
    pub manager_id: UserId,
    pub manager_email: String,
    /// The HR owner (who created it).
    #[schema(value_type = String)]
    pub hr_id: UserId,
    pub hr_email: String,
    pub template_id: Option<String>,
    pub tasks: Vec<Task>,
    #[serde(default, with = "time::serde::rfc3339::option")]
    #[schema(value_type = Option<String>, format = DateTime)]
    pub completed_at: Option<OffsetDateTime>,
    #[serde(with = "time::serde::rfc3339")]
    #[schema(value_type = String, format = DateTime)]
    pub created_at: OffsetDateTime,
    pub version: u64,
}

impl Record for NewHire {
    const ENTITY: &'static str = "NewHire";
    fn key(&self) -> Key {
        keys::new_hire(&self.org_id, &self.id)
    }
    fn version(&self) -> u64 {
        self.version
    }
}

/// A new hire as the API shows it: with the status and completion of `today`.
#[derive(Debug, Clone, Serialize, utoipa::ToSchema)]
#[serde(rename_all = "camelCase")]
pub struct NewHireView {
    #[serde(flatten)]
    pub hire: NewHire,
    #[schema(schema_with = status_schema)]
    pub status: String,
    /// Completed tasks of all tasks, in percent (0–100, whole).
    pub completion_percent: u8,
    /// Open tasks past their due date.
    pub overdue_tasks: usize,
}

/// The status on `today`: `completed` once every required task is; otherwise by the calendar:
/// before the start `pre_boarding`, its first seven days `first_week`, then `first_month` (which
/// it stays while required tasks are open).
pub fn status_on(h: &NewHire, today: Date) -> &'static str {
    if h.tasks.iter().filter(|t| t.required).all(|t| t.completed_at.is_some()) {
        "completed"
    } else if today < h.start_date {
        "pre_boarding"
    } else if (today - h.start_date).whole_days() < 7 {
        "first_week"
    } else {
        "first_month"
    }
}

pub fn view(h: NewHire, today: Date) -> NewHireView {
    let done = h.tasks.iter().filter(|t| t.completed_at.is_some()).count();
    let total = h.tasks.len().max(1);
    let overdue = h.tasks.iter().filter(|t| t.completed_at.is_none() && t.due_date < today).count();
    let status = status_on(&h, today).to_owned();
    NewHireView { completion_percent: (done * 100 / total) as u8, overdue_tasks: overdue, status, hire: h }
}

/// Points from a task id to its new hire; in the due shards while open and not yet reported.
#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
struct TaskLocator {
    org_id: crate::values::OrgId,
    task_id: String,
    hire_id: String,
    due_date: Date,
    open: bool,
    version: u64,
}

impl Record for TaskLocator {
    const ENTITY: &'static str = "OnboardingTask";
    fn key(&self) -> Key {
        keys::onboarding_task(&self.org_id, &self.task_id)
    }
    fn gsi1(&self) -> Option<Key> {
        self.open.then(|| keys::onboarding_task_due(&self.task_id, &self.due_date.to_string(), &self.org_id))
    }
    fn version(&self) -> u64 {
        self.version
    }
}

fn stat(org: &crate::values::OrgId, template: Option<&str>, metric: &str, delta: i64) -> TxWrite {
    TxWrite::add(
        format!("stat-{metric}"),
        keys::onboarding_stat(org, template.unwrap_or("none"), metric),
        "OnboardingStat",
        None,
        delta,
    )
}

fn trimmed(s: &Option<String>) -> Option<String> {
    s.as_deref().map(str::trim).filter(|s| !s.is_empty()).map(str::to_owned)
}

fn norm(s: &Option<String>) -> Option<String> {
    trimmed(s).map(|s| s.to_lowercase())
}

// ------------------------------------------------------------------------------ templates

pub async fn create_template(deps: &Deps, actor: &Actor, input: TemplateInput) -> AppResult<Template> {
    let mut c = Checks::default();
    let name = input.name.trim().to_owned();
    if name.is_empty() || name.chars().count() > 120 {
        c.push("name", "1 to 120 characters");
    }
    if trimmed(&input.department).is_some_and(|d| d.chars().count() > 80) {
        c.push("department", "at most 80 characters");
    }
    if trimmed(&input.level).is_some_and(|d| d.chars().count() > 40) {
        c.push("level", "at most 40 characters");
    }
    if input.tasks.is_empty() || input.tasks.len() > MAX_TASKS {
        c.push("tasks", format!("1 to {MAX_TASKS} tasks"));
    }
    let mut tasks = Vec::new();
    for (i, t) in input.tasks.iter().enumerate() {
        let title = t.title.trim();
        if title.is_empty() || title.chars().count() > 200 {
            c.push(format!("tasks[{i}].title"), "1 to 200 characters");
        }
        if t.description.as_deref().is_some_and(|d| d.chars().count() > 2000) {
            c.push(format!("tasks[{i}].description"), "at most 2000 characters");
        }
        if !TASK_KINDS.contains(&t.kind.as_str()) {
            c.push(format!("tasks[{i}].kind"), format!("must be one of {}", TASK_KINDS.join(", ")));
        }
        if !PRIORITIES.contains(&t.priority.as_str()) {
            c.push(format!("tasks[{i}].priority"), "must be low, medium or high");
        }
        if !ASSIGNEES.contains(&t.assignee.as_str()) {
            c.push(format!("tasks[{i}].assignee"), "must be hr, manager or new_hire");
        }
        if !DUE_DAYS.contains(&t.due_days) {
            c.push(format!("tasks[{i}].dueDays"), "must be -60 to 365 (days after the start date)");
        }
        tasks.push(TemplateTask { title: title.to_owned(), description: trimmed(&t.description), ..t.clone() });
    }
    c.finish()?;
    let count_key = keys::onboarding_template_count(actor.org());
    let count = deps.store.get(&count_key).await?.and_then(|i| i.data["count"].as_i64()).unwrap_or(0);
    if count as usize >= MAX_TEMPLATES {
        return Err(AppError::conflict("too-many-templates", format!("at most {MAX_TEMPLATES} onboarding templates")));
    }
    let template = Template {
        id: deps.ids.new_id().to_string(),
        name,
        department: trimmed(&input.department),
        level: trimmed(&input.level),
        tasks,
        created_by: actor.user.id.clone(),
        created_at: deps.clock.now(),
        version: 1,
    };
    let stored = StoredTemplate { template: template.clone(), org: actor.org().clone() };
    deps.store
        .transact(vec![
            stored.tx_put("template", Condition::NotExists)?,
            TxWrite::add("count", count_key, "OnboardingTemplateCount", None, 1),
        ])
        .await?;
    Ok(template)
}

/// The organisation's templates (at most [`MAX_TEMPLATES`]: one page).
pub async fn templates(deps: &Deps, actor: &Actor) -> AppResult<Vec<Template>> {
    let q = Query::table(keys::org_pk(actor.org())).prefix(keys::ONBOARDING_TEMPLATE_PREFIX).limit(MAX_TEMPLATES);
    let (items, _) = record::query::<StoredTemplate>(deps.store.as_ref(), &q).await?;
    Ok(items.into_iter().map(|s| s.template).collect())
}

/// The template for a department and level: both matching beats the department alone, which
/// beats one for any department; among equals the newest.
pub fn best_template<'a>(
    templates: &'a [Template],
    department: &Option<String>,
    level: &Option<String>,
) -> Option<&'a Template> {
    let (d, l) = (norm(department), norm(level));
    templates
        .iter()
        .filter_map(|t| {
            let (td, tl) = (norm(&t.department), norm(&t.level));
            let dept = match (&td, &d) {
                (None, _) => 0,
                (Some(a), Some(b)) if a == b => 2,
                _ => return None,
            };
            let lvl = match (&tl, &l) {
                (None, _) => 0,
                (Some(a), Some(b)) if a == b => 1,
                _ => return None,
            };
            Some((dept + lvl, t))
        })
        .max_by(|a, b| a.0.cmp(&b.0).then_with(|| a.1.id.cmp(&b.1.id)))
        .map(|(_, t)| t)
}

// ------------------------------------------------------------------------------ new hires

/// `POST /api/onboarding/new-hires`.
#[derive(Debug, Clone, Deserialize, utoipa::ToSchema)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct NewHireInput {
    /// A hired application of the organisation.
    #[schema(schema_with = crate::values::id_schema)]
    pub application_id: String,
    #[schema(value_type = String, format = Date)]
    pub start_date: String,
    /// A staff member of the organisation.
    #[schema(schema_with = crate::values::id_schema)]
    pub manager_id: String,
    /// Default: the job's department.
    #[schema(max_length = 80)]
    pub department: Option<String>,
    /// Default: the job's experience level.
    #[schema(max_length = 40)]
    pub level: Option<String>,
    /// Default: the template matching department and level.
    #[schema(schema_with = crate::values::id_schema)]
    pub template_id: Option<String>,
}

fn parse_date(field: &str, s: &str) -> Result<Date, crate::error::FieldError> {
    Date::parse(s.trim(), time::macros::format_description!("[year]-[month]-[day]"))
        .map_err(|_| crate::error::FieldError::new(field, "must be a date (YYYY-MM-DD)"))
}

async fn staff_member(deps: &Deps, actor: &Actor, id: &UserId) -> AppResult<Option<User>> {
    let u: Option<User> = record::get(deps.store.as_ref(), &keys::user(actor.org(), id)).await?;
    Ok(u.filter(|u| u.status != UserStatus::Disabled))
}

pub async fn create(deps: &Deps, actor: &Actor, input: NewHireInput) -> AppResult<NewHireView> {
    let mut c = Checks::default();
    let start = c.take(parse_date("startDate", &input.start_date));
    let manager_id = UserId::parse(input.manager_id.trim());
    if manager_id.is_none() {
        c.push("managerId", "is not a user id");
    }
    if trimmed(&input.department).is_some_and(|d| d.chars().count() > 80) {
        c.push("department", "at most 80 characters");
    }
    if trimmed(&input.level).is_some_and(|d| d.chars().count() > 40) {
        c.push("level", "at most 40 characters");
    }
    if input.template_id.as_deref().is_some_and(|t| uuid::Uuid::parse_str(t).is_err()) {
        c.push("templateId", "is not a template id");
    }
    c.finish()?;
    let (Some(start), Some(manager_id)) = (start, manager_id) else { unreachable!("checked above") };
    let today = deps.clock.now().date();
    if (start - today).whole_days() > 365 || (today - start).whole_days() > 365 {
        return Err(AppError::field("startDate", "must be within a year of today"));
    }
    let app: Application = super::applications::load_in_org(deps, actor.org(), &input.application_id).await?;
    if app.status != ApplicationStatus::Hired {
        return Err(AppError::conflict(
            "not-hired",
            "only a hired application becomes a new hire: mark it hired first",
        ));
    }
    let manager = staff_member(deps, actor, &manager_id)
        .await?
        .ok_or_else(|| AppError::field("managerId", "is not an active member of this organisation"))?;
    let job: Option<crate::model::Job> = record::get(deps.store.as_ref(), &keys::job(actor.org(), &app.job_id)).await?;
    let department = trimmed(&input.department).or_else(|| job.as_ref().and_then(|j| j.department.clone()));
    let level = trimmed(&input.level).or_else(|| {
        let l = job.as_ref().and_then(|j| j.experience_level)?;
        serde_json::to_value(l).ok()?.as_str().map(str::to_owned)
    });
    let all = templates(deps, actor).await?;
    let template = match &input.template_id {
        Some(id) => Some(all.iter().find(|t| &t.id == id).ok_or(AppError::NotFound("onboarding template"))?),
        None => best_template(&all, &department, &level),
    };
    let candidate: Option<crate::model::Candidate> =
        record::get(deps.store.as_ref(), &keys::candidate(&app.candidate_id)).await?;
    let candidate = candidate.ok_or(AppError::NotFound("candidate"))?;
    let mut tasks = Vec::new();
    for (i, t) in template.map(|t| t.tasks.as_slice()).unwrap_or_default().iter().enumerate() {
        let assignee_email = match t.assignee.as_str() {
            "manager" => manager.email.to_string(),
            "new_hire" => candidate.email.to_string(),
            _ => actor.user.email.to_string(),
        };
        tasks.push(Task {
            id: deps.ids.new_id().to_string(),
            title: t.title.clone(),
            description: t.description.clone(),
            kind: t.kind.clone(),
            priority: t.priority.clone(),
            due_date: start + time::Duration::days(i64::from(t.due_days)),
            assignee: t.assignee.clone(),
            assignee_email,
            required: t.required,
            order: i as u32 + 1,
            completed_at: None,
            completed_by: None,
            overdue_notified_at: None,
        });
    }
    let hire = NewHire {
        id: deps.ids.new_id().to_string(),
        org_id: actor.org().clone(),
        application_id: app.id.clone(),
        candidate_id: app.candidate_id.clone(),
        name: Some(candidate.name.clone()).filter(|n| !n.trim().is_empty()),
        email: candidate.email.to_string(),
        job_id: app.job_id.to_string(),
        job_title: app.job_title.clone(),
        department,
        level,
        start_date: start,
        manager_id: manager.id.clone(),
        manager_email: manager.email.to_string(),
        hr_id: actor.user.id.clone(),
        hr_email: actor.user.email.to_string(),
        template_id: template.map(|t| t.id.clone()),
        tasks,
        completed_at: None,
        created_at: deps.clock.now(),
        version: 1,
    };
    let tpl = hire.template_id.as_deref();
    let mut writes = vec![
        hire.tx_put("new-hire", Condition::NotExists)?,
        TxWrite::put("one-per-application", marker(&hire), Condition::NotExists),
        stat(&hire.org_id, tpl, "HIRES", 1),
        stat(&hire.org_id, tpl, "TASKS", hire.tasks.len() as i64),
    ];
    for t in &hire.tasks {
        let l = TaskLocator {
            org_id: hire.org_id.clone(),
            task_id: t.id.clone(),
            hire_id: hire.id.clone(),
            due_date: t.due_date,
            open: true,
            version: 1,
        };
        writes.push(l.tx_put("task", Condition::NotExists)?);
    }
    match deps.store.transact(writes).await {
        Ok(()) => Ok(view(hire, today)),
        Err(StoreError::TransactionCanceled { failed }) if failed.iter().any(|f| f == "one-per-application") => {
            Err(AppError::conflict("already-onboarding", "this application already has a new hire"))
        }
        Err(e) => Err(e.into()),
    }
}

fn marker(h: &NewHire) -> Item {
    Item {
        key: keys::new_hire_of_application(&h.org_id, &h.application_id),
        gsi1: None,
        gsi2: None,
        entity: "NewHireMarker".into(),
        version: 1,
        expires_at: None,
        data: serde_json::json!({"newHireId": h.id}),
    }
}

async fn load(deps: &Deps, actor: &Actor, id: &str) -> AppResult<NewHire> {
    if uuid::Uuid::parse_str(id).is_err() {
        return Err(AppError::NotFound("new hire"));
    }
    let h: NewHire = record::get(deps.store.as_ref(), &keys::new_hire(actor.org(), id))
        .await?
        .ok_or(AppError::NotFound("new hire"))?;
    // HR (onboarding:manage) sees every new hire; a manager their own.
    if !actor.can(Permission::OnboardingManage) && h.manager_id != actor.user.id {
        return Err(AppError::NotFound("new hire"));
    }
    Ok(h)
}

pub async fn get(deps: &Deps, actor: &Actor, id: &str) -> AppResult<NewHireView> {
    Ok(view(load(deps, actor, id).await?, deps.clock.now().date()))
}

pub async fn list(
    deps: &Deps,
    actor: &Actor,
    limit: usize,
    after: Option<PageToken>,
) -> AppResult<Listed<NewHireView>> {
    let q =
        Query::table(keys::org_pk(actor.org())).prefix(keys::NEW_HIRE_PREFIX).limit(limit).after(after).descending();
    let (items, page) = record::query::<NewHire>(deps.store.as_ref(), &q).await?;
    let today = deps.clock.now().date();
    Ok(Listed { items: items.into_iter().map(|h| view(h, today)).collect(), next: page.next })
}

/// `PUT /api/onboarding/new-hires/{id}`: the start date, manager and department.
#[derive(Debug, Clone, Deserialize, utoipa::ToSchema)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct NewHireUpdate {
    /// Moves every task's due date by the same number of days.
    #[schema(value_type = Option<String>, format = Date)]
    pub start_date: Option<String>,
    #[schema(schema_with = crate::values::id_schema)]
    pub manager_id: Option<String>,
    #[schema(max_length = 80)]
    pub department: Option<String>,
}

pub async fn update(
    deps: &Deps,
    actor: &Actor,
    id: &str,
    input: NewHireUpdate,
    if_match: Option<u64>,
) -> AppResult<NewHireView> {
    let h = load(deps, actor, id).await?;
    super::check_version(if_match, h.version, true)?;
    let mut c = Checks::default();
    let start = input.start_date.as_deref().and_then(|s| c.take(parse_date("startDate", s)));
    let manager_id = input.manager_id.as_deref().map(|m| UserId::parse(m.trim()));
    if matches!(manager_id, Some(None)) {
        c.push("managerId", "is not a user id");
    }
    if trimmed(&input.department).is_some_and(|d| d.chars().count() > 80) {
        c.push("department", "at most 80 characters");
    }
    c.finish()?;
    let mut after = h.clone();
    let mut writes = Vec::new();
    if let Some(start) = start {
        let shift = start - h.start_date;
        after.start_date = start;
        for t in after.tasks.iter_mut() {
            t.due_date += shift;
            if t.completed_at.is_none() && shift != time::Duration::ZERO {
                // A moved task is due anew: reported overdue again if it passes its new date.
                t.overdue_notified_at = None;
                let l = TaskLocator {
                    org_id: h.org_id.clone(),
                    task_id: t.id.clone(),
                    hire_id: h.id.clone(),
                    due_date: t.due_date,
                    open: true,
                    version: 1,
                };
                writes.push(l.tx_put("task", Condition::None)?);
            }
        }
    }
    if let Some(Some(m)) = manager_id {
        let manager = staff_member(deps, actor, &m)
            .await?
            .ok_or_else(|| AppError::field("managerId", "is not an active member of this organisation"))?;
        for t in after.tasks.iter_mut().filter(|t| t.assignee == "manager" && t.completed_at.is_none()) {
            t.assignee_email = manager.email.to_string();
        }
        after.manager_id = manager.id;
        after.manager_email = manager.email.to_string();
    }
    if input.department.is_some() {
        after.department = trimmed(&input.department);
    }
    after.version += 1;
    writes.insert(0, after.tx_put("new-hire", Condition::VersionIs(h.version))?);
    deps.store.transact(writes).await.map_err(super::lost_update(h.version))?;
    Ok(view(after, deps.clock.now().date()))
}

/// `PUT /api/onboarding/tasks/{id}/complete`: HR, or the task's assignee when it is the manager.
pub async fn complete_task(deps: &Deps, actor: &Actor, task_id: &str) -> AppResult<NewHireView> {
    if uuid::Uuid::parse_str(task_id).is_err() {
        return Err(AppError::NotFound("task"));
    }
    let l: TaskLocator = record::get(deps.store.as_ref(), &keys::onboarding_task(actor.org(), task_id))
        .await?
        .ok_or(AppError::NotFound("task"))?;
    let h = load(deps, actor, &l.hire_id).await?;
    let now = deps.clock.now();
    let today = now.date();
    let Some(i) = h.tasks.iter().position(|t| t.id == task_id) else { return Err(AppError::NotFound("task")) };
    if h.tasks[i].completed_at.is_some() {
        // Completing it again changes nothing.
        return Ok(view(h, today));
    }
    let mut after = h.clone();
    after.tasks[i].completed_at = Some(now);
    after.tasks[i].completed_by = Some(actor.user.id.clone());
    after.version += 1;
    let tpl = h.template_id.as_deref();
    let was_overdue = h.tasks[i].overdue_notified_at.is_some();
    let mut writes = vec![
        after.tx_put("new-hire", Condition::VersionIs(h.version))?,
        TaskLocator { open: false, version: l.version + 1, ..l.clone() }
            .tx_put("task", Condition::VersionIs(l.version))?,
        stat(&h.org_id, tpl, "TASKSDONE", 1),
    ];
    if was_overdue {
        writes.push(stat(&h.org_id, tpl, "OVERDUE", -1));
    }
    if after.completed_at.is_none() && status_on(&after, today) == "completed" {
        after.completed_at = Some(now);
        writes[0] = after.tx_put("new-hire", Condition::VersionIs(h.version))?;
        let days = (today - h.start_date).whole_days().max(0);
        writes.push(stat(&h.org_id, tpl, "COMPLETED", 1));
        writes.push(stat(&h.org_id, tpl, &format!("DAYS#{days:04}"), 1));
    }
    deps.store.transact(writes).await.map_err(super::lost_update(h.version))?;
    Ok(view(after, today))
}

// ------------------------------------------------------------------------------ overdue

/// Tells the assignee of every open task due before `today` (once per task); returns how many.
pub async fn notify_overdue(deps: &Deps, today: Date) -> AppResult<usize> {
    let mut told = 0;
    let mut failed = None;
    // Due strictly before today: every earlier due date sorts below today's date.
    let open: Vec<TaskLocator> =
        super::due_in_shards(deps, keys::ONBOARDING_TASK_SHARDS, keys::onboarding_task_due_pk, &today.to_string())
            .await?;
    for l in open.into_iter().filter(|l| l.due_date < today) {
        match notify_one(deps, &l).await {
            Ok(true) => told += 1,
            Ok(false) => {}
            Err(e) => {
                tracing::warn!(task = %l.task_id, error = %e, "overdue onboarding task not reported");
                failed = Some(e);
            }
        }
    }
    match failed {
        Some(e) => Err(e),
        None => Ok(told),
    }
}

async fn notify_one(deps: &Deps, l: &TaskLocator) -> AppResult<bool> {
    let h: Option<NewHire> = record::get(deps.store.as_ref(), &keys::new_hire(&l.org_id, &l.hire_id)).await?;
    let closed = TaskLocator { open: false, version: l.version + 1, ..l.clone() };
    let Some(h) = h else {
        deps.store.put(closed.to_item()?, Condition::VersionIs(l.version)).await?;
        return Ok(false);
    };
    let Some(i) = h.tasks.iter().position(|t| t.id == l.task_id) else { return Ok(false) };
    let t = &h.tasks[i];
    if t.completed_at.is_some() || t.overdue_notified_at.is_some() {
        deps.store.put(closed.to_item()?, Condition::VersionIs(l.version)).await?;
        return Ok(false);
    }
    let who = h.name.clone().unwrap_or_else(|| "the new hire".into());
    let mail = OutgoingEmail {
        to: t.assignee_email.clone(),
        subject: format!("Overdue onboarding task: {}", t.title),
        text_body: format!(
            "The onboarding task \"{}\" for {who} ({}, starting {}) was due on {} and is still open.\n\nMark it done: PUT /api/onboarding/tasks/{}/complete\n",
            t.title, h.job_title, h.start_date, t.due_date, t.id
        ),
        html_body: None,
        dedupe_key: Some(format!("onboarding-overdue:{}", t.id)),
        calendar: None,
    };
    deps.mail.send(mail).await.map_err(|e| AppError::Unavailable(e.to_string()))?;
    let mut after = h.clone();
    after.tasks[i].overdue_notified_at = Some(deps.clock.now());
    after.version += 1;
    let writes = vec![
        after.tx_put("new-hire", Condition::VersionIs(h.version))?,
        closed.tx_put("task", Condition::VersionIs(l.version))?,
        stat(&h.org_id, h.template_id.as_deref(), "OVERDUE", 1),
    ];
    match deps.store.transact(writes).await {
        Ok(()) => Ok(true),
        // Changed meanwhile (completed, moved): the next run reads it again.
        Err(StoreError::TransactionCanceled { .. }) => Ok(false),
        Err(e) => Err(e.into()),
    }
}

// ------------------------------------------------------------------------------ analytics

/// One template's figures (`template: null` for new hires without one).
#[derive(Debug, Clone, Default, PartialEq, Serialize, utoipa::ToSchema)]
#[serde(rename_all = "camelCase")]
pub struct TemplateFigures {
    pub template_id: Option<String>,
    pub template_name: Option<String>,
    pub new_hires: i64,
    pub completed: i64,
    /// Completed of new hires (0–1); null without new hires.
    pub completion_rate: Option<f64>,
    pub tasks: i64,
    pub tasks_completed: i64,
    /// Tasks reported overdue and still open.
    pub overdue_tasks: i64,
    /// Median days from the start date to the last required task; null before any completes.
    pub median_days_to_complete: Option<f64>,
}

#[derive(Debug, Clone, Serialize, utoipa::ToSchema)]
#[serde(rename_all = "camelCase")]
pub struct OnboardingAnalytics {
    pub templates: Vec<TemplateFigures>,
    pub total: TemplateFigures,
}

/// The median of a histogram (value → count).
pub fn median(hist: &BTreeMap<i64, i64>) -> Option<f64> {
    let n: i64 = hist.values().sum();
    if n == 0 {
        return None;
    }
    let at = |k: i64| -> i64 {
        let mut seen = 0;
        for (v, c) in hist {
            seen += c;
            if seen > k {
                return *v;
            }
        }
        0
    };
    Some(if n % 2 == 1 { at(n / 2) as f64 } else { (at(n / 2 - 1) + at(n / 2)) as f64 / 2.0 })
}

pub async fn analytics(deps: &Deps, actor: &Actor) -> AppResult<OnboardingAnalytics> {
    let names: BTreeMap<String, String> = templates(deps, actor).await?.into_iter().map(|t| (t.id, t.name)).collect();
    let mut per: BTreeMap<String, (TemplateFigures, BTreeMap<i64, i64>)> = BTreeMap::new();
    let mut after = None;
    loop {
        let q = Query::table(keys::org_pk(actor.org())).prefix(keys::ONBOARDING_STAT_PREFIX).limit(500).after(after);
        let page = deps.store.query(&q).await?;
        for item in &page.items {
            let rest = item.key.sk.trim_start_matches(keys::ONBOARDING_STAT_PREFIX);
            let Some((tpl, metric)) = rest.split_once('#') else { continue };
            let n = item.data["count"].as_i64().unwrap_or(0);
            let (f, hist) = per.entry(tpl.to_owned()).or_default();
            match metric {
                "HIRES" => f.new_hires += n,
                "COMPLETED" => f.completed += n,
                "TASKS" => f.tasks += n,
                "TASKSDONE" => f.tasks_completed += n,
                "OVERDUE" => f.overdue_tasks += n,
                m => {
                    if let Some(d) = m.strip_prefix("DAYS#").and_then(|d| d.parse::<i64>().ok()) {
                        *hist.entry(d).or_default() += n;
                    }
                }
            }
        }
        match page.next {
            Some(n) => after = Some(n),
            None => break,
        }
    }
    let mut total = TemplateFigures::default();
    let mut all_hist = BTreeMap::new();
    let mut out = Vec::new();
    for (tpl, (mut f, hist)) in per {
        if tpl != "none" {
            f.template_name = names.get(&tpl).cloned();
            f.template_id = Some(tpl);
        }
        f.completion_rate = (f.new_hires > 0).then(|| f.completed as f64 / f.new_hires as f64);
        f.median_days_to_complete = median(&hist);
        total.new_hires += f.new_hires;
        total.completed += f.completed;
        total.tasks += f.tasks;
        total.tasks_completed += f.tasks_completed;
        total.overdue_tasks += f.overdue_tasks;
        for (d, c) in hist {
            *all_hist.entry(d).or_insert(0) += c;
        }
        out.push(f);
    }
    total.completion_rate = (total.new_hires > 0).then(|| total.completed as f64 / total.new_hires as f64);
    total.median_days_to_complete = median(&all_hist);
    Ok(OnboardingAnalytics { templates: out, total })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn tpl(id: &str, d: Option<&str>, l: Option<&str>) -> Template {
        Template {
            id: id.into(),
            name: id.into(),
            department: d.map(Into::into),
            level: l.map(Into::into),
            tasks: vec![],
            created_by: UserId::parse("0193a0b0-0000-7000-8000-000000000001").unwrap(),
            created_at: OffsetDateTime::UNIX_EPOCH,
            version: 1,
        }
    }

    #[test]
    fn the_template_matching_department_and_level_wins_over_department_alone_and_any() {
        let all = [
            tpl("any", None, None),
            tpl("eng", Some("Engineering"), None),
            tpl("eng-sr", Some("engineering"), Some("Senior")),
        ];
        let pick = |d: Option<&str>, l: Option<&str>| {
            best_template(&all, &d.map(Into::into), &l.map(Into::into)).map(|t| t.id.clone())
        };
        assert_eq!(pick(Some("Engineering"), Some("senior")).as_deref(), Some("eng-sr"));
        assert_eq!(pick(Some("Engineering"), Some("junior")).as_deref(), Some("eng"));
        assert_eq!(pick(Some("Sales"), None).as_deref(), Some("any"));
        assert_eq!(best_template(&all[1..], &Some("Sales".into()), &None), None);
    }

    #[test]
    fn medians_of_histograms() {
        assert_eq!(median(&BTreeMap::new()), None);
        assert_eq!(median(&BTreeMap::from([(3, 1)])), Some(3.0));
        assert_eq!(median(&BTreeMap::from([(2, 1), (10, 1)])), Some(6.0));
        assert_eq!(median(&BTreeMap::from([(1, 2), (5, 1)])), Some(1.0));
    }
}
