//! Platform users and non-profits (issue 13): registration with several roles, a user's own
//! profile (sensitive fields sealed at rest), non-profits with members, offerings with a
//! per-category document, the offering catalogue and candidates' enrolments. Creating an
//! offering publishes `offering.created`, which the platform manager consumer onboards
//! ([`super::communities::onboard`]).

use super::{Listed, check_version};
use crate::error::{AppError, AppResult};
use crate::keys;
use crate::model::Candidate;
use crate::model::platform::{
    DetailsKind, Enrolment, Nonprofit, NonprofitStatus, Offering, OfferingBySkill, OfferingCategory, OfferingDetails,
    OfferingResource, PersonRef, PlatformUser, SensitiveProfile,
};
use crate::ports::Deps;
use crate::ports::identity::NewAccount;
use crate::ports::queue::DomainEvent;
use crate::ports::store::{Condition, Index, PageToken, Query, StoreError, TxWrite};
use crate::principal::Principal;
use crate::rbac::Role;
use crate::record::{self, Record};
use crate::values::{Checks, Email, Password, TextRule, UserId};
use serde::{Deserialize, Serialize};
use std::collections::BTreeSet;
use utoipa::openapi::schema::Object;

const NAME: TextRule = TextRule::new(1, 100);
const LONG: TextRule = TextRule::new(1, 2000);
const SHORT: TextRule = TextRule::new(1, 200);
const TAG: TextRule = TextRule::new(1, 60);
const MAX_TAGS: usize = 20;
const URL_MAX: usize = 500;

/// A list of skills, services or areas of expertise: 1–60 characters each, at most 20.
pub(crate) fn tags_schema() -> utoipa::openapi::schema::Array {
    utoipa::openapi::schema::ArrayBuilder::new().items(TAG.schema()).max_items(Some(MAX_TAGS)).build()
}

/// The roles one may pick at registration.
fn roles_schema() -> utoipa::openapi::schema::Array {
    utoipa::openapi::schema::ArrayBuilder::new()
        .items(crate::values::choice_schema(Role::SELF_REGISTERED.iter().map(|r| r.group())))
        .min_items(Some(1))
        .max_items(Some(4))
        .build()
}

fn date_schema() -> Object {
    utoipa::openapi::schema::ObjectBuilder::new()
        .schema_type(utoipa::openapi::schema::SchemaType::from_iter([
            utoipa::openapi::schema::Type::String,
            utoipa::openapi::schema::Type::Null,
        ]))
        .format(Some(utoipa::openapi::SchemaFormat::KnownFormat(utoipa::openapi::KnownFormat::Date)))
        .build()
}

fn address_schema() -> Object {
    TextRule::new(1, 300).opt_schema()
}

fn gender_schema() -> Object {
    TextRule::new(1, 60).opt_schema()
}

fn name_schema() -> Object {
    NAME.schema()
}
fn long_schema() -> Object {
    LONG.schema()
}
fn short_schema() -> Object {
    SHORT.schema()
}

/// `POST /api/auth/register`: a platform user with one or more roles.
#[derive(Debug, Clone, Deserialize, utoipa::ToSchema)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct RegisterPlatformUser {
    #[schema(schema_with = Email::schema)]
    pub email: String,
    #[schema(schema_with = Password::schema)]
    pub password: String,
    #[schema(schema_with = name_schema, example = "Ada")]
    pub first_name: String,
    #[schema(schema_with = name_schema, example = "Okafor")]
    pub last_name: String,
    /// Any of `candidate`, `npo`, `community_leader`, `career_mentor` (platform admins are made
    /// by a platform admin; the first ones are the emails listed in `PLATFORM_ADMIN_EMAILS`,
    /// who may also name `platform_admin` here).
    #[schema(schema_with = roles_schema, example = json!(["npo"]))]
    pub roles: Vec<Role>,
    /// Skills and areas of expertise (community leaders are placed in communities by them).
    #[schema(schema_with = tags_schema)]
    #[serde(default)]
    pub expertise: Vec<String>,
}

/// A platform user's own profile: only its owner ever reads the sensitive fields.
#[derive(Debug, Clone, Serialize, utoipa::ToSchema)]
#[serde(rename_all = "camelCase")]
pub struct OwnProfile {
    #[schema(value_type = String)]
    pub id: UserId,
    pub email: String,
    pub roles: Vec<Role>,
    pub first_name: String,
    pub last_name: String,
    pub expertise: Vec<String>,
    #[serde(flatten)]
    pub sensitive: SensitiveProfile,
    /// When they can meet (the introductory meeting with a community leader is found in it).
    pub availability: Option<crate::model::platform::Availability>,
    pub version: u64,
}

/// `PUT /api/users/me/profile` (If-Match): the whole profile, replaced.
#[derive(Debug, Clone, Deserialize, utoipa::ToSchema)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct ProfileInput {
    #[schema(schema_with = name_schema)]
    pub first_name: String,
    #[schema(schema_with = name_schema)]
    pub last_name: String,
    #[schema(schema_with = tags_schema)]
    #[serde(default)]
    pub expertise: Vec<String>,
    /// `YYYY-MM-DD`; sealed at rest.
    #[schema(schema_with = date_schema)]
    pub date_of_birth: Option<String>,
    /// Sealed at rest.
    #[schema(schema_with = address_schema)]
    pub address: Option<String>,
    /// Sealed at rest; free text as the person describes themself.
    #[schema(schema_with = gender_schema)]
    pub gender: Option<String>,
    /// Weekly hours they can meet, in their time zone (absent: none given).
    #[serde(default)]
    pub availability: Option<crate::model::platform::Availability>,
}

/// `POST /api/users/{id}/roles`: a platform admin gives a platform user another role.
#[derive(Debug, Clone, Deserialize, utoipa::ToSchema)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct GrantRoleInput {
    /// A platform role (staff roles are given by their employer).
    #[schema(schema_with = platform_role_schema)]
    pub role: Role,
}

fn platform_role_schema() -> Object {
    crate::values::choice_schema(Role::PLATFORM.iter().map(|r| r.group()))
}

pub(crate) fn tags(c: &mut Checks, field: &str, values: &[String]) -> Vec<String> {
    if values.len() > MAX_TAGS {
        c.push(field, format!("must have at most {MAX_TAGS} items"));
    }
    let mut seen = BTreeSet::new();
    let mut out = Vec::new();
    for (i, v) in values.iter().enumerate().take(MAX_TAGS) {
        if let Some(t) = c.take(TAG.parse(&format!("{field}[{i}]"), v))
            && seen.insert(t.to_lowercase())
        {
            out.push(t);
        }
    }
    out
}

fn parse_roles(c: &mut Checks, roles: &[Role], may_be_admin: bool) -> Vec<Role> {
    if roles.is_empty() {
        c.push("roles", "must name at least one role");
    }
    let mut out: Vec<Role> = Vec::new();
    for (i, r) in roles.iter().enumerate() {
        let allowed = Role::SELF_REGISTERED.contains(r) || (*r == Role::PlatformAdmin && may_be_admin);
        if !allowed {
            c.push(
                format!("roles[{i}]"),
                if *r == Role::PlatformAdmin {
                    "platform admins are made by a platform admin (POST /api/users/{id}/roles)"
                } else {
                    "must be candidate, npo, community_leader or career_mentor"
                },
            );
        } else if !out.contains(r) {
            out.push(*r);
        }
    }
    out
}

/// Registers a platform user. `bootstrap_admins` (lowercased emails the operator configured)
/// may also take `platform_admin`: how the first platform admin comes to be.
pub async fn register(
    deps: &Deps,
    input: RegisterPlatformUser,
    bootstrap_admins: &BTreeSet<String>,
) -> AppResult<OwnProfile> {
    let mut c = Checks::default();
    let email = c.take(Email::parse("email", &input.email));
    let password = c.take(Password::parse("password", &input.password));
    let first = c.take(NAME.parse("firstName", &input.first_name));
    let last = c.take(NAME.parse("lastName", &input.last_name));
    let may_be_admin = email.as_ref().is_some_and(|e| bootstrap_admins.contains(&e.as_str().to_lowercase()));
    let roles = parse_roles(&mut c, &input.roles, may_be_admin);
    let expertise = tags(&mut c, "expertise", &input.expertise);
    c.finish()?;
    let (Some(email), Some(password), Some(first), Some(last)) = (email, password, first, last) else {
        return Err(AppError::Internal("validated fields missing".into()));
    };
    let subject =
        deps.identity.sign_up(NewAccount { email: email.clone(), password, org_id: None, role: roles[0] }).await?;
    let (user, writes) =
        new_profile_writes(UserId::trusted(subject), &email, &roles, (first, last), expertise, deps.clock.now())?;
    let written = async {
        for r in &roles[1..] {
            deps.identity.add_role(&email, *r).await?;
        }
        deps.store.transact(writes).await?;
        AppResult::Ok(())
    }
    .await;
    if let Err(e) = written {
        let _ = deps.identity.delete(&email).await;
        return Err(e);
    }
    Ok(own_view(&user, SensitiveProfile::default()))
}

/// `POST /api/auth/federated/register`: the first visit of someone who signed in with Google,
/// Facebook or Apple (through Cognito's hosted UI). Their account exists (the identity provider
/// made it) but holds no role yet; they choose their roles here, as `auth/register` asks of
/// everyone else. The names come from the ID token's `given_name` and `family_name`, which the
/// app shows for confirmation.
#[derive(Debug, Clone, Deserialize, utoipa::ToSchema)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct RegisterFederatedUser {
    #[schema(schema_with = name_schema, example = "Ada")]
    pub first_name: String,
    #[schema(schema_with = name_schema, example = "Okafor")]
    pub last_name: String,
    /// Any of `candidate`, `npo`, `community_leader`, `career_mentor` (and `platform_admin` for
    /// an email listed in `PLATFORM_ADMIN_EMAILS`).
    #[schema(schema_with = roles_schema, example = json!(["candidate"]))]
    pub roles: Vec<Role>,
    #[schema(schema_with = tags_schema)]
    #[serde(default)]
    pub expertise: Vec<String>,
}

/// Gives a signed-in account with no profile yet its roles (identity-provider groups) and its
/// platform profile. The email is the token's (the provider verified it). A second call answers
/// 409: the profile exists, and fresh tokens (a refresh) carry the roles.
pub async fn register_federated(
    deps: &Deps,
    p: &Principal,
    input: RegisterFederatedUser,
    bootstrap_admins: &BTreeSet<String>,
) -> AppResult<OwnProfile> {
    let Some(email) = p.email.clone() else {
        return Err(AppError::Unauthenticated("send the ID token (it carries the email), not the access token".into()));
    };
    if p.org_id.is_some() {
        return Err(AppError::conflict(
            "staff-account",
            "this account belongs to an organisation's staff; platform roles are for personal accounts",
        ));
    }
    let mut c = Checks::default();
    let first = c.take(NAME.parse("firstName", &input.first_name));
    let last = c.take(NAME.parse("lastName", &input.last_name));
    let may_be_admin = bootstrap_admins.contains(&email.as_str().to_lowercase());
    let roles = parse_roles(&mut c, &input.roles, may_be_admin);
    let expertise = tags(&mut c, "expertise", &input.expertise);
    c.finish()?;
    let (Some(first), Some(last)) = (first, last) else {
        return Err(AppError::Internal("validated fields missing".into()));
    };
    let registered = || {
        AppError::conflict(
            "already-registered",
            "this account has its profile already; refresh your tokens to carry its roles (POST /api/auth/refresh)",
        )
    };
    if record::get::<PlatformUser>(deps.store.as_ref(), &keys::platform_user(&p.user_id)).await?.is_some() {
        return Err(registered());
    }
    let (user, writes) =
        new_profile_writes(p.user_id.clone(), &email, &roles, (first, last), expertise, deps.clock.now())?;
    // The profile first: of two racing first visits one writes it, the other gets 409. Groups
    // follow (adding a group twice changes nothing), so a failure there is mended by a retry.
    match deps.store.transact(writes).await {
        Ok(()) => {}
        Err(StoreError::ConditionFailed { .. } | StoreError::TransactionCanceled { .. }) => return Err(registered()),
        Err(e) => return Err(e.into()),
    }
    for r in &roles {
        if let Err(e) = deps.identity.add_role(&email, *r).await {
            // Undo the profile so the person can try again with the same request.
            let _ = deps.store.delete(&keys::platform_user(&user.id), Condition::None).await;
            if roles.contains(&Role::Candidate) {
                let _ = deps.store.delete(&keys::candidate(&user.id), Condition::None).await;
            }
            return Err(e.into());
        }
    }
    Ok(own_view(&user, SensitiveProfile::default()))
}

/// A new platform user's profile and, for a candidate, their candidate record (so the candidate
/// routes know them): the writes of one transaction, each conditional on not existing.
fn new_profile_writes(
    id: UserId,
    email: &Email,
    roles: &[Role],
    (first_name, last_name): (String, String),
    expertise: Vec<String>,
    now: time::OffsetDateTime,
) -> AppResult<(PlatformUser, Vec<TxWrite>)> {
    let user = PlatformUser {
        id,
        email: email.as_str().to_owned(),
        roles: roles.to_vec(),
        first_name,
        last_name,
        expertise,
        sealed: None,
        availability: None,
        created_at: now,
        updated_at: now,
        version: 1,
    };
    let mut writes = vec![user.tx_put("platform-user", Condition::NotExists)?];
    if roles.contains(&Role::Candidate) {
        let cand = Candidate::new(user.id.clone(), email.clone(), user.name(), now);
        writes.push(cand.tx_put("candidate", Condition::NotExists)?);
    }
    Ok((user, writes))
}

fn own_view(u: &PlatformUser, sensitive: SensitiveProfile) -> OwnProfile {
    OwnProfile {
        id: u.id.clone(),
        email: u.email.clone(),
        roles: u.roles.clone(),
        first_name: u.first_name.clone(),
        last_name: u.last_name.clone(),
        expertise: u.expertise.clone(),
        sensitive,
        availability: u.availability.clone(),
        version: u.version,
    }
}

pub async fn load_user(deps: &Deps, id: &UserId) -> AppResult<PlatformUser> {
    record::get(deps.store.as_ref(), &keys::platform_user(id)).await?.ok_or(AppError::NotFound("platform user"))
}

fn open(deps: &Deps, u: &PlatformUser) -> AppResult<SensitiveProfile> {
    match &u.sealed {
        None => Ok(SensitiveProfile::default()),
        Some(s) => {
            let plain = deps.sealer.open(s, u.id.as_str().as_bytes()).map_err(|e| AppError::Internal(e.to_string()))?;
            serde_json::from_slice(&plain).map_err(|e| AppError::Internal(e.to_string()))
        }
    }
}

/// The caller's own profile, sensitive fields opened.
pub async fn own_profile(deps: &Deps, p: &Principal) -> AppResult<OwnProfile> {
    let u = load_user(deps, &p.user_id).await?;
    let s = open(deps, &u)?;
    Ok(own_view(&u, s))
}

fn parse_date(c: &mut Checks, field: &str, v: Option<&str>) -> Option<String> {
    let v = v.map(str::trim).filter(|v| !v.is_empty())?;
    let fmt = time::macros::format_description!("[year]-[month]-[day]");
    match time::Date::parse(v, &fmt) {
        Ok(_) => Some(v.to_owned()),
        _ => {
            c.push(field, "must be a date YYYY-MM-DD");
            None
        }
    }
}

pub async fn update_profile(
    deps: &Deps,
    p: &Principal,
    if_match: Option<u64>,
    input: ProfileInput,
) -> AppResult<OwnProfile> {
    let before = load_user(deps, &p.user_id).await?;
    let mut c = Checks::default();
    let first = c.take(NAME.parse("firstName", &input.first_name));
    let last = c.take(NAME.parse("lastName", &input.last_name));
    let expertise = tags(&mut c, "expertise", &input.expertise);
    let sensitive = SensitiveProfile {
        date_of_birth: parse_date(&mut c, "dateOfBirth", input.date_of_birth.as_deref()),
        address: c.take(TextRule::new(1, 300).parse_opt("address", input.address.as_deref())).flatten(),
        gender: c.take(TextRule::new(1, 60).parse_opt("gender", input.gender.as_deref())).flatten(),
    };
    let availability = match &input.availability {
        Some(a) => super::availability::validate(&mut c, "availability", a),
        None => None,
    };
    c.finish()?;
    check_version(if_match, before.version, true)?;
    let mut after = before.clone();
    after.first_name = first.unwrap_or_default();
    after.last_name = last.unwrap_or_default();
    after.expertise = expertise;
    after.availability = availability;
    let plain = serde_json::to_vec(&sensitive).map_err(|e| AppError::Internal(e.to_string()))?;
    after.sealed = if sensitive == SensitiveProfile::default() {
        None
    } else {
        Some(deps.sealer.seal(&plain, after.id.as_str().as_bytes()).map_err(|e| AppError::Unavailable(e.to_string()))?)
    };
    after.version += 1;
    after.updated_at = deps.clock.now();
    deps.store
        .put(after.to_item()?, Condition::VersionIs(before.version))
        .await
        .map_err(super::lost_update(before.version))?;
    Ok(own_view(&after, sensitive))
}

/// A platform admin gives a platform user another role (in the identity provider's groups and
/// on the profile); it rides in the user's next token.
pub async fn grant_role(deps: &Deps, id: &UserId, input: GrantRoleInput) -> AppResult<OwnProfile> {
    if !Role::PLATFORM.contains(&input.role) {
        return Err(AppError::field("role", "must be a platform role (staff roles are given by their employer)"));
    }
    for _ in 0..5 {
        let before = load_user(deps, id).await?;
        if before.holds(input.role) {
            return Ok(own_view(&before, SensitiveProfile::default()));
        }
        deps.identity.add_role(&Email::trusted(before.email.clone()), input.role).await?;
        let mut after = before.clone();
        after.roles.push(input.role);
        after.version += 1;
        after.updated_at = deps.clock.now();
        match deps.store.put(after.to_item()?, Condition::VersionIs(before.version)).await {
            Ok(()) => return Ok(own_view(&after, SensitiveProfile::default())),
            Err(StoreError::ConditionFailed { .. }) => continue,
            Err(e) => return Err(e.into()),
        }
    }
    Err(AppError::conflict("concurrent-update", "the profile kept changing; retry"))
}

/// `POST /api/nonprofits`, `PUT /api/nonprofits/{id}`.
#[derive(Debug, Clone, Deserialize, utoipa::ToSchema)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct NonprofitInput {
    #[schema(schema_with = short_schema, example = "Bridges to Work")]
    pub name: String,
    #[schema(schema_with = long_schema)]
    pub description: String,
    #[schema(schema_with = short_schema)]
    pub location: String,
    /// The charity or tax registration number.
    #[schema(schema_with = short_schema)]
    pub registration_id: String,
    /// Services it offers (placement in a community matches on them); at least one.
    #[schema(schema_with = services_schema)]
    pub services: Vec<String>,
    #[schema(schema_with = tags_schema)]
    #[serde(default)]
    pub expertise: Vec<String>,
}

struct NonprofitFields {
    name: String,
    description: String,
    location: String,
    registration_id: String,
    services: Vec<String>,
    expertise: Vec<String>,
}

fn services_schema() -> utoipa::openapi::schema::Array {
    let mut a = tags_schema();
    a.min_items = Some(1);
    a
}

fn nonprofit_fields(input: &NonprofitInput) -> AppResult<NonprofitFields> {
    let mut c = Checks::default();
    let f = NonprofitFields {
        name: c.take(SHORT.parse("name", &input.name)).unwrap_or_default(),
        description: c.take(LONG.parse("description", &input.description)).unwrap_or_default(),
        location: c.take(SHORT.parse("location", &input.location)).unwrap_or_default(),
        registration_id: c.take(SHORT.parse("registrationId", &input.registration_id)).unwrap_or_default(),
        services: tags(&mut c, "services", &input.services),
        expertise: tags(&mut c, "expertise", &input.expertise),
    };
    if input.services.is_empty() {
        c.push("services", "must name at least one service");
    }
    c.finish()?;
    Ok(f)
}

fn person(u: &PlatformUser) -> PersonRef {
    PersonRef { id: u.id.clone(), name: u.name(), email: u.email.clone() }
}

pub async fn create_nonprofit(deps: &Deps, p: &Principal, input: NonprofitInput) -> AppResult<Nonprofit> {
    let f = nonprofit_fields(&input)?;
    let creator = load_user(deps, &p.user_id).await?;
    let now = deps.clock.now();
    let n = Nonprofit {
        id: deps.ids.new_id().to_string(),
        name: f.name,
        description: f.description,
        location: f.location,
        registration_id: f.registration_id,
        services: f.services,
        expertise: f.expertise,
        status: NonprofitStatus::Pending,
        created_by: creator.id.clone(),
        members: vec![person(&creator)],
        community_id: None,
        leader: None,
        waiting_for_leader: false,
        created_at: now,
        updated_at: now,
        version: 1,
    };
    deps.store.put(n.to_item()?, Condition::NotExists).await?;
    Ok(n)
}

pub async fn load_nonprofit(deps: &Deps, id: &str) -> AppResult<Nonprofit> {
    record::get(deps.store.as_ref(), &keys::nonprofit(id)).await?.ok_or(AppError::NotFound("non-profit"))
}

fn member_only(n: &Nonprofit, p: &Principal) -> AppResult<()> {
    if n.is_member(&p.user_id) {
        Ok(())
    } else {
        Err(AppError::Forbidden("only the non-profit's members may do this".into()))
    }
}

pub async fn update_nonprofit(
    deps: &Deps,
    p: &Principal,
    id: &str,
    if_match: Option<u64>,
    input: NonprofitInput,
) -> AppResult<Nonprofit> {
    let before = load_nonprofit(deps, id).await?;
    member_only(&before, p)?;
    let f = nonprofit_fields(&input)?;
    check_version(if_match, before.version, true)?;
    let mut after = before.clone();
    after.name = f.name;
    after.description = f.description;
    after.location = f.location;
    after.registration_id = f.registration_id;
    after.services = f.services;
    after.expertise = f.expertise;
    after.version += 1;
    after.updated_at = deps.clock.now();
    deps.store
        .put(after.to_item()?, Condition::VersionIs(before.version))
        .await
        .map_err(super::lost_update(before.version))?;
    Ok(after)
}

/// `POST /api/nonprofits/{id}/members`.
#[derive(Debug, Clone, Deserialize, utoipa::ToSchema)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct MemberInput {
    /// A registered platform user holding the `npo` role.
    #[schema(schema_with = Email::schema)]
    pub email: String,
}

/// The creator adds another `npo` user as a member (adding a member twice changes nothing).
pub async fn add_member(deps: &Deps, p: &Principal, id: &str, input: MemberInput) -> AppResult<Nonprofit> {
    let email = Email::parse("email", &input.email).map_err(|e| AppError::Validation(vec![e]))?;
    let (found, _) = record::query::<PlatformUser>(
        deps.store.as_ref(),
        &Query::index(Index::Gsi1, keys::platform_user_by_email(email.as_str()).pk).limit(1),
    )
    .await?;
    for _ in 0..5 {
        let before = load_nonprofit(deps, id).await?;
        if before.created_by != p.user_id {
            return Err(AppError::Forbidden("only the non-profit's creator adds members".into()));
        }
        let Some(user) = found.first() else {
            return Err(AppError::field("email", "names no registered platform user"));
        };
        if !user.holds(Role::Npo) {
            return Err(AppError::field("email", "names a user without the npo role"));
        }
        if before.is_member(&user.id) {
            return Ok(before);
        }
        let mut after = before.clone();
        after.members.push(person(user));
        after.version += 1;
        after.updated_at = deps.clock.now();
        match deps.store.put(after.to_item()?, Condition::VersionIs(before.version)).await {
            Ok(()) => return Ok(after),
            Err(StoreError::ConditionFailed { .. }) => continue,
            Err(e) => return Err(e.into()),
        }
    }
    Err(AppError::conflict("concurrent-update", "the non-profit kept changing; retry"))
}

/// `POST /api/nonprofits/{id}/offerings`.
#[derive(Debug, Clone, Deserialize, utoipa::ToSchema)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct OfferingInput {
    #[schema(schema_with = short_schema, example = "Resume clinic")]
    pub title: String,
    #[schema(schema_with = long_schema)]
    pub description: String,
    pub category: OfferingCategory,
    /// The category's document: coaching needs `format` and `bookingUrl`; assistance needs
    /// `eligibility` and `address`; registration needs `institution` and `programUrl`; `other`
    /// needs `url`.
    pub details: OfferingDetails,
    #[schema(max_items = 10)]
    #[serde(default)]
    pub links: Vec<String>,
    /// Up to 10 skills it helps with, each one the skills vocabulary knows (`PostgreSQL`);
    /// optional. Skills recommendations offer it to candidates with these gaps.
    #[schema(schema_with = offering_skills_schema, example = json!(["PostgreSQL"]))]
    #[serde(default)]
    pub skills: Vec<String>,
}

/// At most this many skills an offering is tagged with.
pub const MAX_OFFERING_SKILLS: usize = 10;

fn offering_skills_schema() -> utoipa::openapi::schema::Array {
    utoipa::openapi::schema::ArrayBuilder::new()
        .items(TextRule::new(1, 100).schema())
        .max_items(Some(MAX_OFFERING_SKILLS))
        .build()
}

pub(crate) fn parse_url(c: &mut Checks, field: &str, v: Option<&str>, required: bool) -> Option<String> {
    let v = v.map(str::trim).filter(|v| !v.is_empty());
    let Some(v) = v else {
        if required {
            c.push(field, "is required for this category");
        }
        return None;
    };
    match url::Url::parse(v) {
        Ok(u) if matches!(u.scheme(), "https" | "http") && u.host_str().is_some() && v.len() <= URL_MAX => {
            Some(u.to_string())
        }
        _ => {
            c.push(field, format!("must be an http(s) URL of at most {URL_MAX} characters"));
            None
        }
    }
}

fn req_text(c: &mut Checks, field: &str, v: Option<&str>, required: bool) -> Option<String> {
    let t = c.take(SHORT.parse_opt(field, v)).flatten();
    if t.is_none() && required {
        c.push(field, "is required for this category");
    }
    t
}

/// Checks the category's document: its required fields present, every field well-formed.
fn details(c: &mut Checks, category: OfferingCategory, d: &OfferingDetails) -> OfferingDetails {
    let kind = category.kind();
    let coaching = kind == DetailsKind::Coaching;
    let assistance = kind == DetailsKind::Assistance;
    let registration = kind == DetailsKind::Registration;
    let format = req_text(c, "details.format", d.format.as_deref(), coaching);
    if let Some(f) = &format
        && !["online", "in_person", "hybrid"].contains(&f.as_str())
    {
        c.push("details.format", "must be online, in_person or hybrid");
    }
    if d.session_minutes.is_some_and(|m| !(5..=600).contains(&m)) {
        c.push("details.sessionMinutes", "must be from 5 to 600");
    }
    let deadline = d.deadline.as_deref().and_then(|v| parse_date(c, "details.deadline", Some(v)));
    OfferingDetails {
        format,
        booking_url: parse_url(c, "details.bookingUrl", d.booking_url.as_deref(), coaching),
        session_minutes: d.session_minutes,
        eligibility: req_text(c, "details.eligibility", d.eligibility.as_deref(), assistance),
        address: req_text(c, "details.address", d.address.as_deref(), assistance),
        hours: req_text(c, "details.hours", d.hours.as_deref(), false),
        institution: req_text(c, "details.institution", d.institution.as_deref(), registration),
        program_url: parse_url(c, "details.programUrl", d.program_url.as_deref(), registration),
        assessment_url: parse_url(c, "details.assessmentUrl", d.assessment_url.as_deref(), false),
        deadline,
        url: parse_url(c, "details.url", d.url.as_deref(), kind == DetailsKind::General),
    }
}

/// The event an offering's creation publishes (the platform manager's queue reads it).
pub const OFFERING_CREATED: &str = "offering.created";

pub async fn create_offering(deps: &Deps, p: &Principal, nonprofit: &str, input: OfferingInput) -> AppResult<Offering> {
    let n = load_nonprofit(deps, nonprofit).await?;
    member_only(&n, p)?;
    let mut c = Checks::default();
    let title = c.take(SHORT.parse("title", &input.title)).unwrap_or_default();
    let description = c.take(LONG.parse("description", &input.description)).unwrap_or_default();
    let d = details(&mut c, input.category, &input.details);
    if input.links.len() > 10 {
        c.push("links", "must have at most 10 items");
    }
    let links: Vec<String> = input
        .links
        .iter()
        .enumerate()
        .take(10)
        .filter_map(|(i, l)| parse_url(&mut c, &format!("links[{i}]"), Some(l), true))
        .collect();
    let skills = if input.skills.is_empty() {
        Vec::new()
    } else {
        super::learning::vocabulary_skills(&mut c, "skills", &input.skills, MAX_OFFERING_SKILLS)
    };
    c.finish()?;
    let o = Offering {
        id: deps.ids.new_id().to_string(),
        nonprofit_id: n.id.clone(),
        nonprofit_name: n.name.clone(),
        title,
        description,
        category: input.category,
        details: d,
        links,
        resources: Vec::new(),
        skills,
        created_by: p.user_id.clone(),
        created_at: deps.clock.now(),
        version: 1,
    };
    // The offering and its skill index in one transaction: the index is never ahead or behind.
    let mut writes = vec![o.tx_put("offering", Condition::NotExists)?];
    for s in &o.skills {
        let entry = OfferingBySkill {
            skill: s.clone(),
            offering_id: o.id.clone(),
            title: o.title.clone(),
            nonprofit_id: o.nonprofit_id.clone(),
            nonprofit_name: o.nonprofit_name.clone(),
            category: o.category,
        };
        writes.push(entry.tx_put("skill-index", Condition::None)?);
    }
    deps.store.transact(writes).await?;
    let event = DomainEvent {
        id: format!("{OFFERING_CREATED}:{}", o.id),
        kind: OFFERING_CREATED.into(),
        org_id: String::new(),
        subject_id: n.id.clone(),
        occurred_at: o.created_at,
        data: serde_json::json!({"nonprofitId": n.id, "offeringId": o.id}),
        correlation_id: None,
    };
    deps.events.publish(&event).await.map_err(|e| AppError::Unavailable(e.to_string()))?;
    Ok(o)
}

pub async fn nonprofit_offerings(
    deps: &Deps,
    nonprofit: &str,
    limit: usize,
    after: Option<PageToken>,
) -> AppResult<Listed<Offering>> {
    load_nonprofit(deps, nonprofit).await?;
    let q = Query::index(Index::Gsi1, keys::offering_by_nonprofit_pk(nonprofit)).limit(limit).after(after);
    let (items, page) = record::query::<Offering>(deps.store.as_ref(), &q).await?;
    Ok(Listed { items, next: page.next })
}

/// The catalogue candidates browse, newest category slice in id order.
pub async fn catalogue(
    deps: &Deps,
    category: Option<OfferingCategory>,
    limit: usize,
    after: Option<PageToken>,
) -> AppResult<Listed<Offering>> {
    let mut q = Query::index(Index::Gsi2, keys::OFFERINGS_PK).limit(limit).after(after);
    if let Some(c) = category {
        q = q.prefix(format!("{}#", c.slug()));
    }
    let (items, page) = record::query::<Offering>(deps.store.as_ref(), &q).await?;
    Ok(Listed { items, next: page.next })
}

/// One page of the skill index of offerings: those tagged with `skill` (bounded by `limit`).
pub(crate) async fn offerings_for_skill(deps: &Deps, skill: &str, limit: usize) -> AppResult<Vec<OfferingBySkill>> {
    let q = Query::table(keys::offering_by_skill_pk(skill)).limit(limit);
    Ok(record::query::<OfferingBySkill>(deps.store.as_ref(), &q).await?.0)
}

/// What an enrolment answers: the enrolment and the offering's enrolment count (a counter moved
/// in the enrolment's own transaction).
#[derive(Debug, Clone, Serialize, utoipa::ToSchema)]
#[serde(rename_all = "camelCase")]
pub struct Enrolled {
    pub enrolment: Enrolment,
    pub enrolled_count: i64,
}

pub async fn enrolled_count(deps: &Deps, offering: &str) -> AppResult<i64> {
    Ok(deps
        .store
        .get(&keys::offering_enrolled(offering))
        .await?
        .and_then(|i| i.data[crate::ports::store::attr::COUNT].as_i64())
        .unwrap_or(0))
}

/// A candidate enrols; enrolling again answers the first enrolment and counts nothing twice.
pub async fn enrol(deps: &Deps, p: &Principal, offering: &str) -> AppResult<Enrolled> {
    let o: Offering =
        record::get(deps.store.as_ref(), &keys::offering(offering)).await?.ok_or(AppError::NotFound("offering"))?;
    let e = Enrolment {
        offering_id: o.id.clone(),
        candidate_id: p.user_id.clone(),
        enrolled_at: deps.clock.now(),
        version: 1,
    };
    let writes = vec![
        e.tx_put("enrolment", Condition::NotExists)?,
        TxWrite::add("count", keys::offering_enrolled(&o.id), "EnrolmentCount", None, 1),
    ];
    let enrolment = match deps.store.transact(writes).await {
        Ok(()) => e,
        Err(StoreError::TransactionCanceled { failed }) if failed.iter().any(|f| f == "enrolment") => {
            record::get(deps.store.as_ref(), &e.key()).await?.ok_or(AppError::NotFound("enrolment"))?
        }
        Err(e) => return Err(e.into()),
    };
    Ok(Enrolled { enrolment, enrolled_count: enrolled_count(deps, &o.id).await? })
}

/// The kinds of file an offering may offer for download.
pub const RESOURCE_TYPES: &[&str] = &[
    "application/pdf",
    "application/vnd.openxmlformats-officedocument.wordprocessingml.document",
    "application/vnd.openxmlformats-officedocument.presentationml.presentation",
    "text/plain",
    "image/png",
    "image/jpeg",
];
/// The largest resource (checked when it is read: a presigned PUT cannot bound it).
pub const RESOURCE_MAX_BYTES: u64 = 20 * 1024 * 1024;

fn resource_type_schema() -> Object {
    crate::values::choice_schema(RESOURCE_TYPES.iter().copied())
}

/// `POST /api/nonprofits/{id}/offerings/{offeringId}/resources`.
#[derive(Debug, Clone, Deserialize, utoipa::ToSchema)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct ResourceInput {
    #[schema(schema_with = short_schema, example = "interview-checklist.pdf")]
    pub file_name: String,
    #[schema(schema_with = resource_type_schema)]
    pub content_type: String,
}

/// A resource added to an offering and the presigned URL to upload its file with.
#[derive(Debug, Clone, Serialize, utoipa::ToSchema)]
#[serde(rename_all = "camelCase")]
pub struct ResourceUpload {
    pub resource: OfferingResource,
    pub upload: crate::ports::blobs::UploadTicket,
}

/// A member adds a downloadable resource to an offering: its record now, its file through the
/// returned presigned PUT (15 minutes, that content type only).
pub async fn add_resource(
    deps: &Deps,
    p: &Principal,
    nonprofit: &str,
    offering: &str,
    input: ResourceInput,
) -> AppResult<ResourceUpload> {
    let n = load_nonprofit(deps, nonprofit).await?;
    member_only(&n, p)?;
    let mut c = Checks::default();
    let file_name = c.take(SHORT.parse("fileName", &input.file_name));
    let content_type = input.content_type.trim().to_owned();
    if !RESOURCE_TYPES.contains(&content_type.as_str()) {
        c.push("contentType", format!("must be one of {}", RESOURCE_TYPES.join(", ")));
    }
    c.finish()?;
    let resource = OfferingResource {
        id: deps.ids.new_id().to_string(),
        file_name: file_name.unwrap_or_default(),
        content_type,
        added_at: deps.clock.now(),
    };
    for _ in 0..5 {
        let before: Offering = record::get::<Offering>(deps.store.as_ref(), &keys::offering(offering))
            .await?
            .filter(|o| o.nonprofit_id == n.id)
            .ok_or(AppError::NotFound("offering"))?;
        if before.resources.len() >= 20 {
            return Err(AppError::conflict("too-many-resources", "an offering holds at most 20 resources"));
        }
        let mut after = before.clone();
        after.resources.push(resource.clone());
        after.version += 1;
        match deps.store.put(after.to_item()?, Condition::VersionIs(before.version)).await {
            Ok(()) => {
                let upload = deps
                    .blobs
                    .presign_put(
                        &resource.key(offering),
                        &resource.content_type,
                        RESOURCE_MAX_BYTES,
                        std::time::Duration::from_secs(15 * 60),
                    )
                    .await
                    .map_err(|e| AppError::Unavailable(e.to_string()))?;
                return Ok(ResourceUpload { resource, upload });
            }
            Err(StoreError::ConditionFailed { .. }) => continue,
            Err(e) => return Err(e.into()),
        }
    }
    Err(AppError::conflict("concurrent-update", "the offering kept changing; retry"))
}

/// Where to download a resource from: a presigned GET of five minutes.
#[derive(Debug, Clone, Serialize, utoipa::ToSchema)]
#[serde(rename_all = "camelCase")]
pub struct ResourceDownload {
    pub url: String,
    #[serde(with = "time::serde::rfc3339")]
    #[schema(value_type = String, format = DateTime)]
    pub expires_at: time::OffsetDateTime,
}

pub async fn resource_download(deps: &Deps, offering: &str, resource: &str) -> AppResult<ResourceDownload> {
    let o: Offering =
        record::get(deps.store.as_ref(), &keys::offering(offering)).await?.ok_or(AppError::NotFound("offering"))?;
    let r = o.resources.iter().find(|r| r.id == resource).ok_or(AppError::NotFound("resource"))?;
    let key = r.key(offering);
    let meta = deps.blobs.head(&key).await.map_err(|e| AppError::Unavailable(e.to_string()))?;
    match meta {
        Some(m) if m.size <= RESOURCE_MAX_BYTES => {}
        Some(_) => return Err(AppError::conflict("resource-too-large", "the uploaded file is larger than 20 MB")),
        None => return Err(AppError::NotFound("resource (not uploaded yet)")),
    }
    let (url, expires_at) = deps
        .blobs
        .presign_get(&key, std::time::Duration::from_secs(300), Some(&r.file_name))
        .await
        .map_err(|e| AppError::Unavailable(e.to_string()))?;
    Ok(ResourceDownload { url, expires_at })
}

/// `POST /api/nonprofits/{id}/training`: the assigned community leader sends training to the
/// non-profit's members (its admins), by email.
#[derive(Debug, Clone, Deserialize, Serialize, utoipa::ToSchema)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct TrainingInput {
    /// The role the training is for (`npo` members run the non-profit on the platform).
    #[schema(schema_with = short_schema, example = "Non-profit admins")]
    pub role: String,
    #[schema(schema_with = short_schema, example = "Posting your first offering")]
    pub subject: String,
    #[schema(schema_with = long_schema)]
    pub body: String,
    #[schema(max_items = 10)]
    #[serde(default)]
    pub links: Vec<String>,
}

/// What sending training answers: the members it goes to (mailed by the platform manager).
#[derive(Debug, Clone, Serialize, utoipa::ToSchema)]
#[serde(rename_all = "camelCase")]
pub struct TrainingSent {
    pub id: String,
    pub recipients: Vec<PersonRef>,
}

/// The event training rides on (the platform manager mails it, once per member).
pub const TRAINING_SENT: &str = "nonprofit.training_sent";

pub async fn send_training(
    deps: &Deps,
    p: &Principal,
    nonprofit: &str,
    input: TrainingInput,
) -> AppResult<TrainingSent> {
    let n = load_nonprofit(deps, nonprofit).await?;
    if n.leader.as_ref().is_none_or(|l| l.id != p.user_id) {
        return Err(AppError::Forbidden("only the non-profit's community leader sends it training".into()));
    }
    let mut c = Checks::default();
    let role = c.take(SHORT.parse("role", &input.role)).unwrap_or_default();
    let subject = c.take(SHORT.parse("subject", &input.subject)).unwrap_or_default();
    let body = c.take(LONG.parse("body", &input.body)).unwrap_or_default();
    if input.links.len() > 10 {
        c.push("links", "must have at most 10 items");
    }
    let links: Vec<String> = input
        .links
        .iter()
        .enumerate()
        .take(10)
        .filter_map(|(i, l)| parse_url(&mut c, &format!("links[{i}]"), Some(l), true))
        .collect();
    c.finish()?;
    let id = deps.ids.new_id().to_string();
    let event = DomainEvent {
        id: format!("{TRAINING_SENT}:{id}"),
        kind: TRAINING_SENT.into(),
        org_id: String::new(),
        subject_id: n.id.clone(),
        occurred_at: deps.clock.now(),
        data: serde_json::json!({"nonprofitId": n.id, "leader": n.leader,
            "training": TrainingInput { role, subject, body, links }}),
        correlation_id: None,
    };
    deps.events.publish(&event).await.map_err(|e| AppError::Unavailable(e.to_string()))?;
    Ok(TrainingSent { id, recipients: n.members })
}
