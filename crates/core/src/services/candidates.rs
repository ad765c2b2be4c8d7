//! Candidates: self sign-up and profile. Staff see a candidate only through an application to
//! one of their own jobs.

use super::{Caller, check_version, lost_update};
use crate::error::{AppError, AppResult};
use crate::keys;
use crate::model::{Application, Candidate};
use crate::ports::Deps;
use crate::ports::identity::NewAccount;
use crate::ports::store::{Condition, Query};
use crate::rbac::Role;
use crate::record::{self, Record};
use crate::values::{Checks, Email, Password, Phone, TextRule, UserId};
use serde::Deserialize;
use utoipa::openapi::schema::Object;

#[derive(Debug, Clone, Deserialize, utoipa::ToSchema)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct RegisterCandidate {
    #[schema(schema_with = Email::schema)]
    pub email: String,
    #[schema(schema_with = Password::schema)]
    pub password: String,
    #[schema(schema_with = name_schema, example = "Sam Rivera")]
    pub name: String,
    #[schema(schema_with = Phone::opt_schema)]
    pub phone: Option<String>,
    #[schema(schema_with = location_schema)]
    pub location: Option<String>,
    #[schema(schema_with = headline_schema)]
    pub headline: Option<String>,
}

const NAME: TextRule = TextRule::new(1, 200);
const LOCATION: TextRule = TextRule::new(1, 200);
const HEADLINE: TextRule = TextRule::new(1, 300);

fn name_schema() -> Object {
    NAME.schema()
}
fn location_schema() -> Object {
    LOCATION.opt_schema()
}
fn headline_schema() -> Object {
    HEADLINE.opt_schema()
}

#[derive(Debug, Clone, Deserialize, utoipa::ToSchema)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct UpdateCandidate {
    #[schema(schema_with = name_schema)]
    pub name: String,
    #[schema(schema_with = Phone::opt_schema)]
    pub phone: Option<String>,
    #[schema(schema_with = location_schema)]
    pub location: Option<String>,
    #[schema(schema_with = headline_schema)]
    pub headline: Option<String>,
}

struct Profile {
    name: String,
    phone: Option<String>,
    location: Option<String>,
    headline: Option<String>,
}

fn profile(c: &mut Checks, name: &str, phone: Option<&str>, location: Option<&str>, headline: Option<&str>) -> Profile {
    Profile {
        name: c.take(NAME.parse("name", name)).unwrap_or_default(),
        phone: match phone.map(str::trim).filter(|p| !p.is_empty()) {
            Some(p) => c.take(Phone::parse("phone", p)).map(|p| p.as_str().to_owned()),
            None => None,
        },
        location: c.take(LOCATION.parse_opt("location", location)).flatten(),
        headline: c.take(HEADLINE.parse_opt("headline", headline)).flatten(),
    }
}

pub async fn register(deps: &Deps, input: RegisterCandidate) -> AppResult<Candidate> {
    let mut c = Checks::default();
    let email = c.take(Email::parse("email", &input.email));
    let password = c.take(Password::parse("password", &input.password));
    let p = profile(&mut c, &input.name, input.phone.as_deref(), input.location.as_deref(), input.headline.as_deref());
    c.finish()?;
    let (Some(email), Some(password)) = (email, password) else {
        return Err(AppError::Internal("validated fields missing".into()));
    };
    let subject = deps
        .identity
        .sign_up(NewAccount { email: email.clone(), password, org_id: None, role: Role::Candidate })
        .await?;
    let now = deps.clock.now();
    let candidate = Candidate {
        id: UserId::trusted(subject),
        email: email.clone(),
        name: p.name,
        phone: p.phone,
        location: p.location,
        headline: p.headline,
        created_at: now,
        updated_at: now,
        version: 1,
    };
    if let Err(e) = deps.store.put(candidate.to_item()?, Condition::NotExists).await {
        let _ = deps.identity.delete(&email).await;
        return Err(e.into());
    }
    Ok(candidate)
}

/// Whether staff of the caller's tenant may see this candidate: only through an application.
async fn visible_to_staff(deps: &Deps, caller: &Caller, id: &UserId) -> AppResult<bool> {
    let Caller::Staff(actor) = caller else { return Ok(false) };
    let mut after = None;
    loop {
        let q = Query::index(crate::ports::store::Index::Gsi2, keys::application_by_candidate_pk(id))
            .limit(100)
            .after(after);
        let (apps, page) = record::query::<Application>(deps.store.as_ref(), &q).await?;
        if apps.iter().any(|a| &a.org_id == actor.org()) {
            return Ok(true);
        }
        match page.next {
            Some(n) => after = Some(n),
            None => return Ok(false),
        }
    }
}

pub async fn get(deps: &Deps, caller: &Caller, id: &UserId) -> AppResult<Candidate> {
    let allowed = match caller {
        Caller::Candidate(p) => &p.user_id == id,
        Caller::Staff(_) => visible_to_staff(deps, caller, id).await?,
    };
    if !allowed {
        return Err(AppError::NotFound("candidate"));
    }
    record::get(deps.store.as_ref(), &keys::candidate(id)).await?.ok_or(AppError::NotFound("candidate"))
}

pub async fn update(
    deps: &Deps,
    caller: &Caller,
    id: &UserId,
    if_match: Option<u64>,
    input: UpdateCandidate,
) -> AppResult<Candidate> {
    match caller {
        Caller::Candidate(p) if &p.user_id == id => {}
        _ => return Err(AppError::NotFound("candidate")),
    }
    let mut c = Checks::default();
    let p = profile(&mut c, &input.name, input.phone.as_deref(), input.location.as_deref(), input.headline.as_deref());
    c.finish()?;
    let before: Candidate =
        record::get(deps.store.as_ref(), &keys::candidate(id)).await?.ok_or(AppError::NotFound("candidate"))?;
    check_version(if_match, before.version, true)?;
    let mut after = before.clone();
    after.name = p.name;
    after.phone = p.phone;
    after.location = p.location;
    after.headline = p.headline;
    after.version += 1;
    after.updated_at = deps.clock.now();
    deps.store
        .put(after.to_item()?, Condition::VersionIs(before.version))
        .await
        .map_err(lost_update(before.version))?;
    Ok(after)
}
