//! Per-organisation overrides of the candidate emails (status changes, receipt, parse
//! failures). An override is a subject and a body in MiniJinja (Jinja2) syntax over a fixed set
//! of variables — the candidate's name, the job title, the stage's name and the company — so no
//! template can reach a staff note, a rejection reason code, a score or anything else the
//! candidate must not see. Templates are compiled when saved (a syntax error or an unknown
//! variable answers 422 with the field), rendered as text, and the HTML part is the escaped text.

use super::{Actor, Change, snapshot};
use crate::error::{AppError, AppResult, FieldError};
use crate::keys;
use crate::ports::Deps;
use crate::ports::store::{Condition, Key, Query};
use crate::record::{self, Record};
use crate::values::{OrgId, TextRule, choice_schema};
use serde::{Deserialize, Serialize};
use time::OffsetDateTime;
use utoipa::openapi::schema::Object;

/// The emails an organisation may word its own way.
pub const KINDS: [&str; 7] = ["received", "moved", "offer", "hired", "rejected", "withdrawn", "parse_failed"];
/// The variables a template may use.
pub const VARIABLES: [&str; 4] = ["candidateName", "jobTitle", "stageName", "companyName"];

const SUBJECT: TextRule = TextRule::new(1, 200);
const BODY: TextRule = TextRule::new(1, 5000);

fn subject_schema() -> Object {
    SUBJECT.schema()
}
fn body_schema() -> Object {
    BODY.schema()
}
pub fn kind_schema() -> Object {
    choice_schema(KINDS)
}

/// Which template an application event uses.
pub fn kind_of(event_kind: &str, to_status: Option<&str>) -> Option<&'static str> {
    match (event_kind, to_status) {
        ("application.received", _) => Some("received"),
        ("application.parse_failed", _) => Some("parse_failed"),
        ("application.status_changed", Some("offer")) => Some("offer"),
        ("application.status_changed", Some("hired")) => Some("hired"),
        ("application.status_changed", Some("rejected")) => Some("rejected"),
        ("application.status_changed", Some("withdrawn")) => Some("withdrawn"),
        ("application.status_changed", _) => Some("moved"),
        _ => None,
    }
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, utoipa::ToSchema)]
#[serde(rename_all = "camelCase")]
pub struct EmailTemplate {
    #[schema(value_type = String)]
    pub org_id: OrgId,
    /// `received`, `moved`, `offer`, `hired`, `rejected`, `withdrawn` or `parse_failed`.
    pub kind: String,
    pub subject: String,
    /// Paragraphs separated by a blank line; `{{ candidateName }}`, `{{ jobTitle }}`,
    /// `{{ stageName }}` and `{{ companyName }}` are filled in.
    pub body: String,
    #[serde(with = "time::serde::rfc3339")]
    #[schema(value_type = String, format = DateTime)]
    pub updated_at: OffsetDateTime,
    pub version: u64,
}

impl Record for EmailTemplate {
    const ENTITY: &'static str = "EmailTemplate";
    fn key(&self) -> Key {
        keys::email_template(&self.org_id, &self.kind)
    }
    fn version(&self) -> u64 {
        self.version
    }
}

/// `PUT /api/email-templates/{kind}`.
#[derive(Debug, Clone, Deserialize, utoipa::ToSchema)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct TemplateInput {
    #[schema(schema_with = subject_schema, example = "An update on {{ jobTitle }} at {{ companyName }}")]
    pub subject: String,
    #[schema(schema_with = body_schema)]
    pub body: String,
}

/// The organisation's overrides.
#[derive(Debug, Clone, Serialize, utoipa::ToSchema)]
#[serde(rename_all = "camelCase")]
pub struct Templates {
    pub items: Vec<EmailTemplate>,
    /// The kinds that may be overridden.
    pub kinds: Vec<String>,
    /// The variables a template may use.
    pub variables: Vec<String>,
}

/// The values a template is rendered with.
#[derive(Debug, Clone, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct Values<'a> {
    pub candidate_name: &'a str,
    pub job_title: &'a str,
    pub stage_name: &'a str,
    pub company_name: &'a str,
}

fn environment() -> minijinja::Environment<'static> {
    let mut env = minijinja::Environment::new();
    env.set_undefined_behavior(minijinja::UndefinedBehavior::Strict);
    env
}

/// Renders `source` with `values`; an error says what is wrong with the template.
pub fn render(source: &str, values: &Values<'_>) -> Result<String, String> {
    environment().render_str(source, values).map_err(|e| {
        let mut msg = e.to_string();
        if let Some(d) = e.detail() {
            msg = format!("{msg}: {d}");
        }
        msg
    })
}

fn check(field: &str, source: &str) -> Option<FieldError> {
    let sample =
        Values { candidate_name: "Sam", job_title: "Engineer", stage_name: "Phone Screen", company_name: "Acme" };
    match render(source, &sample) {
        Ok(_) => None,
        Err(e) => Some(FieldError::new(
            field,
            format!("is not a valid template ({e}); the variables are {}", VARIABLES.join(", ")),
        )),
    }
}

fn kind_ok(kind: &str) -> AppResult<&'static str> {
    KINDS.iter().find(|k| **k == kind).copied().ok_or(AppError::NotFound("email template"))
}

pub async fn list(deps: &Deps, actor: &Actor) -> AppResult<Templates> {
    let q = Query::table(keys::org_pk(actor.org())).prefix(keys::EMAIL_TEMPLATE_PREFIX).limit(KINDS.len());
    let (items, _) = record::query::<EmailTemplate>(deps.store.as_ref(), &q).await?;
    Ok(Templates {
        items,
        kinds: KINDS.iter().map(|k| (*k).to_owned()).collect(),
        variables: VARIABLES.iter().map(|k| (*k).to_owned()).collect(),
    })
}

pub async fn put(
    deps: &Deps,
    actor: &Actor,
    kind: &str,
    if_match: Option<u64>,
    input: TemplateInput,
) -> AppResult<EmailTemplate> {
    let kind = kind_ok(kind)?;
    let mut c = crate::values::Checks::default();
    let subject = c.take(SUBJECT.parse("subject", &input.subject));
    let body = c.take(BODY.parse("body", &input.body));
    if let Some(s) = &subject
        && let Some(e) = check("subject", s)
    {
        c.0.push(e);
    }
    if let Some(b) = &body
        && let Some(e) = check("body", b)
    {
        c.0.push(e);
    }
    c.finish()?;
    let (Some(subject), Some(body)) = (subject, body) else {
        return Err(AppError::Internal("validated fields missing".into()));
    };
    let key = keys::email_template(actor.org(), kind);
    let before: Option<EmailTemplate> = record::get(deps.store.as_ref(), &key).await?;
    super::check_version(if_match, before.as_ref().map(|b| b.version).unwrap_or(0), false)?;
    let after = EmailTemplate {
        org_id: actor.org().clone(),
        kind: kind.to_owned(),
        subject,
        body,
        updated_at: deps.clock.now(),
        version: before.as_ref().map(|b| b.version + 1).unwrap_or(1),
    };
    let cond = match &before {
        Some(b) => Condition::VersionIs(b.version),
        None => Condition::NotExists,
    };
    let audit = actor.audit(
        deps,
        Change {
            action: "email_template.save",
            target_type: "email_template",
            target_id: kind,
            before: before.as_ref().map(snapshot).transpose()?,
            after: Some(snapshot(&after)?),
        },
    )?;
    deps.store
        .transact(vec![after.tx_put("version", cond)?, audit])
        .await
        .map_err(super::lost_update(before.map(|b| b.version).unwrap_or(0)))?;
    Ok(after)
}

pub async fn delete(deps: &Deps, actor: &Actor, kind: &str) -> AppResult<()> {
    let kind = kind_ok(kind)?;
    let key = keys::email_template(actor.org(), kind);
    let before: EmailTemplate =
        record::get(deps.store.as_ref(), &key).await?.ok_or(AppError::NotFound("email template"))?;
    let audit = actor.audit(
        deps,
        Change {
            action: "email_template.delete",
            target_type: "email_template",
            target_id: kind,
            before: Some(snapshot(&before)?),
            after: None,
        },
    )?;
    deps.store
        .transact(vec![
            crate::ports::store::TxWrite::delete("version", key, Condition::VersionIs(before.version)),
            audit,
        ])
        .await
        .map_err(super::lost_update(before.version))?;
    Ok(())
}

/// The organisation's override for an email kind, if it has one.
pub async fn override_for(deps: &Deps, org: &OrgId, kind: &str) -> AppResult<Option<EmailTemplate>> {
    Ok(record::get(deps.store.as_ref(), &keys::email_template(org, kind)).await?)
}
