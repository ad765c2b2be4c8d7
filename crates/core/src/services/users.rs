//! Staff user management: invite, list, update, remove, roles and per-user permissions.

use super::{Actor, Change, Listed, check_version, snapshot};
use crate::error::{AppError, AppResult};
use crate::keys;
use crate::model::{User, UserStatus};
use crate::ports::Deps;
use crate::ports::store::{Condition, PageToken, Query};
use crate::rbac::{self, Overrides, Permission, Role};
use crate::record::{self, Record};
use crate::values::{Checks, Email, OrgId, TextRule, UserId, choice_schema};
use serde::{Deserialize, Serialize};
use utoipa::openapi::schema::{Array, ArrayBuilder, Object};

#[derive(Debug, Clone, Deserialize, utoipa::ToSchema)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct InviteInput {
    #[schema(schema_with = Email::schema)]
    pub email: String,
    #[schema(schema_with = staff_role_schema, example = "recruiter")]
    pub role: String,
    #[schema(schema_with = name_schema)]
    pub name: Option<String>,
}

const NAME: TextRule = TextRule::new(1, 200);

fn name_schema() -> Object {
    NAME.opt_schema()
}

/// The roles staff may hold (a candidate is not a staff role).
fn staff_role_schema() -> Object {
    choice_schema(Role::STAFF.iter().map(|r| r.group()))
}

/// Permission names, as an array of unique-or-repeated names.
fn permissions_schema() -> Array {
    ArrayBuilder::new().items(choice_schema(Permission::ALL.iter().map(|p| p.name()))).build()
}

#[derive(Debug, Clone, Deserialize, utoipa::ToSchema)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct UpdateUserInput {
    #[schema(schema_with = name_schema)]
    pub name: Option<String>,
}

#[derive(Debug, Clone, Deserialize, utoipa::ToSchema)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct RoleInput {
    #[schema(schema_with = staff_role_schema, example = "hr_manager")]
    pub role: String,
}

#[derive(Debug, Clone, Deserialize, utoipa::ToSchema)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct PermissionsInput {
    /// Added to the role's permissions. Admin-only permissions (users:manage, roles:manage,
    /// audit:read) can be granted to admins only, write permissions never to viewers, and a
    /// permission cannot be both granted and denied.
    #[serde(default)]
    #[schema(schema_with = permissions_schema, example = json!(["jobs:delete"]))]
    pub grant: Vec<String>,
    /// Taken from the role's permissions; you cannot deny yourself roles:manage.
    #[serde(default)]
    #[schema(schema_with = permissions_schema)]
    pub deny: Vec<String>,
}

#[derive(Debug, Clone, Serialize, utoipa::ToSchema)]
#[serde(rename_all = "camelCase")]
pub struct UserPermissions {
    #[schema(value_type = String)]
    pub user_id: UserId,
    pub role: Role,
    /// What the role grants.
    pub role_permissions: Vec<Permission>,
    pub overrides: Overrides,
    /// What the user actually holds.
    pub effective: Vec<Permission>,
    pub version: u64,
}

fn parse_role(field: &str, s: &str) -> Result<Role, crate::FieldError> {
    match s.parse::<Role>() {
        Ok(r) if r.is_staff() => Ok(r),
        _ => Err(crate::FieldError::new(field, "must be one of admin, hr_manager, recruiter, viewer, dei_consultant")),
    }
}

async fn load(deps: &Deps, org: &OrgId, id: &UserId) -> AppResult<User> {
    record::get(deps.store.as_ref(), &keys::user(org, id)).await?.ok_or(AppError::NotFound("user"))
}

pub async fn get(deps: &Deps, actor: &Actor, id: &UserId) -> AppResult<User> {
    load(deps, actor.org(), id).await
}

pub async fn list(deps: &Deps, actor: &Actor, limit: usize, after: Option<PageToken>) -> AppResult<Listed<User>> {
    let q = Query::table(keys::org_pk(actor.org())).prefix(keys::USER_PREFIX).limit(limit).after(after);
    let (items, page) = record::query::<User>(deps.store.as_ref(), &q).await?;
    Ok(Listed { items, next: page.next })
}

pub async fn invite(deps: &Deps, actor: &Actor, input: InviteInput) -> AppResult<User> {
    let mut c = Checks::default();
    let email = c.take(Email::parse("email", &input.email));
    let role = c.take(parse_role("role", &input.role));
    let name = c.take(NAME.parse_opt("name", input.name.as_deref()));
    c.finish()?;
    let (Some(email), Some(role), Some(name)) = (email, role, name) else {
        return Err(AppError::Internal("validated fields missing".into()));
    };
    let subject = deps.identity.invite(&email, actor.org(), role).await?;
    let now = deps.clock.now();
    let user = User {
        id: UserId::trusted(subject),
        org_id: actor.org().clone(),
        email: email.clone(),
        name,
        role,
        status: UserStatus::Invited,
        overrides: Overrides::default(),
        created_at: now,
        updated_at: now,
        version: 1,
    };
    let audit = actor.audit(
        deps,
        Change {
            action: "user.invite",
            target_type: "user",
            target_id: user.id.as_str(),
            before: None,
            after: Some(snapshot(&user)?),
        },
    )?;
    if let Err(e) = deps.store.transact(vec![user.tx_put("user", Condition::NotExists)?, audit]).await {
        let _ = deps.identity.delete(&email).await;
        return Err(e.into());
    }
    Ok(user)
}

/// Writes `after` over `before` (version-checked) with its audit record.
async fn save(deps: &Deps, actor: &Actor, action: &str, before: &User, after: &User) -> AppResult<()> {
    super::save_versioned(deps, actor.who(), actor.org(), action, ("user", after.id.as_str()), before, after).await
}

pub async fn update(
    deps: &Deps,
    actor: &Actor,
    id: &UserId,
    if_match: Option<u64>,
    input: UpdateUserInput,
) -> AppResult<User> {
    let name = NAME.parse_opt("name", input.name.as_deref()).map_err(|e| AppError::Validation(vec![e]))?;
    let before = load(deps, actor.org(), id).await?;
    check_version(if_match, before.version, true)?;
    let mut after = before.clone();
    after.name = name;
    after.version += 1;
    after.updated_at = deps.clock.now();
    save(deps, actor, "user.update", &before, &after).await?;
    Ok(after)
}

/// Active admins of the tenant other than `except`.
async fn other_admins(deps: &Deps, org: &OrgId, except: &UserId) -> AppResult<usize> {
    let mut after = None;
    let mut count = 0;
    loop {
        let q = Query::table(keys::org_pk(org)).prefix(keys::USER_PREFIX).limit(500).after(after);
        let (users, page) = record::query::<User>(deps.store.as_ref(), &q).await?;
        count += users
            .iter()
            .filter(|u| u.role == Role::Admin && u.status != UserStatus::Disabled && &u.id != except)
            .count();
        match page.next {
            Some(n) => after = Some(n),
            None => return Ok(count),
        }
    }
}

/// Removes a staff member: sign-in disabled, sessions revoked, record kept (disabled) for the
/// audit trail.
pub async fn remove(deps: &Deps, actor: &Actor, id: &UserId, if_match: Option<u64>) -> AppResult<()> {
    if id == &actor.user.id {
        return Err(AppError::conflict("cannot-remove-self", "ask another admin to remove your account"));
    }
    let before = load(deps, actor.org(), id).await?;
    check_version(if_match, before.version, false)?;
    if before.status == UserStatus::Disabled {
        return Ok(());
    }
    if before.role == Role::Admin && other_admins(deps, actor.org(), &before.id).await? == 0 {
        return Err(AppError::conflict("last-admin", "an organisation keeps at least one admin"));
    }
    deps.identity.disable(&before.email).await?;
    let mut after = before.clone();
    after.status = UserStatus::Disabled;
    after.version += 1;
    after.updated_at = deps.clock.now();
    save(deps, actor, "user.remove", &before, &after).await
}

pub async fn change_role(
    deps: &Deps,
    actor: &Actor,
    org_in_path: &str,
    id: &UserId,
    if_match: Option<u64>,
    input: RoleInput,
) -> AppResult<User> {
    actor.own_org(org_in_path)?;
    let role = parse_role("role", &input.role).map_err(|e| AppError::Validation(vec![e]))?;
    let before = load(deps, actor.org(), id).await?;
    check_version(if_match, before.version, false)?;
    if before.role == role {
        return Ok(before);
    }
    if before.role == Role::Admin && other_admins(deps, actor.org(), &before.id).await? == 0 {
        return Err(AppError::conflict("last-admin", "an organisation keeps at least one admin"));
    }
    let mut after = before.clone();
    after.role = role;
    // Grants that the new role may not hold are dropped rather than silently kept.
    after.overrides.grant.retain(|p| Overrides { grant: [*p].into(), deny: Default::default() }.check(role).is_ok());
    after.version += 1;
    after.updated_at = deps.clock.now();
    deps.identity.set_role(&before.email, role).await?;
    save(deps, actor, "user.role_change", &before, &after).await?;
    Ok(after)
}

pub fn permissions_of(user: &User) -> UserPermissions {
    UserPermissions {
        user_id: user.id.clone(),
        role: user.role,
        role_permissions: user.role.permissions().into_iter().collect(),
        overrides: user.overrides.clone(),
        effective: rbac::effective(user.role, &user.overrides).into_iter().collect(),
        version: user.version,
    }
}

pub async fn get_permissions(deps: &Deps, actor: &Actor, id: &UserId) -> AppResult<UserPermissions> {
    Ok(permissions_of(&load(deps, actor.org(), id).await?))
}

pub async fn set_permissions(
    deps: &Deps,
    actor: &Actor,
    id: &UserId,
    if_match: Option<u64>,
    input: PermissionsInput,
) -> AppResult<UserPermissions> {
    let mut c = Checks::default();
    let mut parse = |field: &str, list: &[String]| {
        let mut set = std::collections::BTreeSet::new();
        for (i, s) in list.iter().enumerate() {
            match s.parse::<Permission>() {
                Ok(p) => {
                    set.insert(p);
                }
                Err(e) => c.push(format!("{field}[{i}]"), e),
            }
        }
        set
    };
    let overrides = Overrides { grant: parse("grant", &input.grant), deny: parse("deny", &input.deny) };
    c.finish()?;
    let before = load(deps, actor.org(), id).await?;
    check_version(if_match, before.version, false)?;
    overrides.check(before.role).map_err(|r| AppError::field("grant", r))?;
    if id == &actor.user.id && overrides.deny.contains(&Permission::RolesManage) {
        return Err(AppError::field("deny", "you cannot take roles:manage from yourself"));
    }
    let mut after = before.clone();
    after.overrides = overrides;
    after.version += 1;
    after.updated_at = deps.clock.now();
    save(deps, actor, "user.permissions", &before, &after).await?;
    Ok(permissions_of(&after))
}
