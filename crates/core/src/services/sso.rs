//! Employer single sign-on (issue 13; employer use case 1's SSO recommendation): an
//! organisation connects its own identity provider (SAML 2.0 metadata, or an OIDC issuer) to the
//! user pool; its staff then sign in through the hosted UI with `identity_provider=<name>` (or
//! `idp_identifier=<their email domain>`), and the first sign-in joins them to the organisation
//! with the connection's default role (`POST /api/auth/sso/join`).
//!
//! The email domains a connection routes are claimed, one organisation each (a claim item per
//! domain, written in the connection's transaction), so no organisation can route another's
//! staff to its provider. The OIDC client secret goes to the identity provider (Cognito keeps
//! it) and is never stored or returned here.

use super::{Actor, Change, Who, audit_write, snapshot};
use crate::error::{AppError, AppResult};
use crate::keys;
use crate::model::user::{User, UserStatus};
use crate::ports::Deps;
use crate::ports::identity::{OrgIdentityProvider, SsoProtocol};
use crate::ports::store::{Condition, Key, StoreError, TxWrite};
use crate::principal::Principal;
use crate::rbac::Overrides;
use crate::rbac::Role;
use crate::record::{self, Record};
use crate::values::{Checks, OrgId, TextRule};
use serde::{Deserialize, Serialize};
use std::collections::{BTreeMap, BTreeSet};
use time::OffsetDateTime;

/// Domains one connection may route.
pub const MAX_DOMAINS: usize = 10;

/// An organisation's connection to its own identity provider.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, utoipa::ToSchema)]
#[serde(rename_all = "camelCase")]
pub struct SsoConnection {
    #[schema(value_type = String)]
    pub org_id: OrgId,
    /// The user pool's provider name: `identity_provider=<this>` on the authorize URL.
    pub provider_name: String,
    pub protocol: SsoProtocol,
    /// SAML: the IdP's metadata document.
    pub metadata_url: Option<String>,
    /// OIDC: the issuer (its `/.well-known/openid-configuration` is read by the user pool).
    pub issuer: Option<String>,
    /// OIDC: ClearView's client id at the issuer.
    pub client_id: Option<String>,
    /// Email domains routed to it (`idp_identifier=<domain>`); a first sign-in from any other
    /// domain is refused.
    pub domains: Vec<String>,
    /// The role a person gets on their first sign-in (never admin: an admin promotes).
    pub default_role: Role,
    pub updated_by: String,
    #[serde(with = "time::serde::rfc3339")]
    #[schema(value_type = String, format = DateTime)]
    pub updated_at: OffsetDateTime,
    pub version: u64,
}

impl Record for SsoConnection {
    const ENTITY: &'static str = "SsoConnection";
    fn key(&self) -> Key {
        keys::sso_connection(&self.org_id)
    }
    fn version(&self) -> u64 {
        self.version
    }
}

/// Which organisation a provider name or a domain belongs to.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
struct SsoClaim {
    name: String,
    org_id: OrgId,
    domain: bool,
}

impl Record for SsoClaim {
    const ENTITY: &'static str = "SsoClaim";
    fn key(&self) -> Key {
        if self.domain { keys::sso_domain(&self.name) } else { keys::sso_provider(&self.name) }
    }
    fn version(&self) -> u64 {
        1
    }
}

/// `PUT /api/sso`. The protocol decides the fields: SAML takes `metadataUrl`; OIDC takes
/// `issuer`, `clientId` and `clientSecret` (the others are refused, naming the field).
#[derive(Debug, Clone, Deserialize, utoipa::ToSchema)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct SsoInput {
    pub protocol: SsoProtocol,
    /// SAML only: an https URL of the IdP's metadata.
    #[schema(schema_with = https_schema, example = "https://idp.acme.example/saml/metadata")]
    pub metadata_url: Option<String>,
    /// OIDC only: the issuer, an https URL.
    #[schema(schema_with = https_schema, example = "https://login.acme.example")]
    pub issuer: Option<String>,
    /// OIDC only: the client id registered at the issuer.
    #[schema(schema_with = client_id_schema)]
    pub client_id: Option<String>,
    /// OIDC only: the client secret (sent to the user pool; never stored or returned here).
    #[schema(schema_with = secret_schema)]
    pub client_secret: Option<String>,
    /// 1 to 10 email domains of the organisation's staff, e.g. `acme.example`.
    #[schema(schema_with = domains_schema, example = json!(["acme.example"]))]
    pub domains: Vec<String>,
    /// What a first sign-in gets (default `viewer`).
    pub default_role: Option<SsoRole>,
}

/// The roles a first sign-in may get (an admin promotes people afterwards).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, utoipa::ToSchema)]
#[serde(rename_all = "snake_case")]
pub enum SsoRole {
    Viewer,
    Recruiter,
    HrManager,
}

impl From<SsoRole> for Role {
    fn from(r: SsoRole) -> Self {
        match r {
            SsoRole::Viewer => Role::Viewer,
            SsoRole::Recruiter => Role::Recruiter,
            SsoRole::HrManager => Role::HrManager,
        }
    }
}

/// A DNS label: letters, digits and inner hyphens.
const LABEL: &str = "[A-Za-z0-9](?:[A-Za-z0-9-]{0,61}[A-Za-z0-9])?";

fn https_schema() -> utoipa::openapi::schema::Object {
    utoipa::openapi::schema::ObjectBuilder::new()
        .schema_type(utoipa::openapi::schema::SchemaType::from_iter([
            utoipa::openapi::schema::Type::String,
            utoipa::openapi::schema::Type::Null,
        ]))
        .max_length(Some(2048))
        .pattern(Some(format!("^https://(?:{LABEL}\\.)*{LABEL}(?::[1-9][0-9]{{0,3}})?(?:/[!-~]*)?$")))
        .build()
}

fn domains_schema() -> utoipa::openapi::schema::Array {
    utoipa::openapi::schema::ArrayBuilder::new()
        .items(
            utoipa::openapi::schema::ObjectBuilder::new()
                .schema_type(utoipa::openapi::schema::Type::String)
                .max_length(Some(253))
                .pattern(Some(format!("^(?:{LABEL}\\.)+{LABEL}$"))),
        )
        .min_items(Some(1))
        .max_items(Some(MAX_DOMAINS))
        .build()
}

fn client_id_schema() -> utoipa::openapi::schema::Object {
    TextRule::new(1, 255).opt_schema()
}

fn secret_schema() -> utoipa::openapi::schema::Object {
    TextRule::new(1, 512).opt_schema()
}

/// `POST /api/auth/sso/join`.
#[derive(Debug, Clone, Default, Deserialize, utoipa::ToSchema)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct SsoJoinInput {
    /// The display name (absent: none).
    #[schema(min_length = 1, max_length = 100)]
    pub name: Option<String>,
}

fn https_url(c: &mut Checks, field: &str, v: Option<&str>) -> Option<String> {
    let Some(v) = v.map(str::trim).filter(|v| !v.is_empty()) else {
        c.push(field, "is required for this protocol");
        return None;
    };
    match url::Url::parse(v) {
        Ok(u) if u.scheme() == "https" && u.host_str().is_some() && v.len() <= 2048 => Some(v.to_owned()),
        _ => {
            c.push(field, "must be an https URL of at most 2048 characters");
            None
        }
    }
}

fn domain(c: &mut Checks, field: &str, v: &str) -> Option<String> {
    let d = v.trim().trim_end_matches('.').to_lowercase();
    let labels_ok = d.split('.').count() >= 2
        && d.split('.').all(|l| {
            !l.is_empty()
                && l.len() <= 63
                && !l.starts_with('-')
                && !l.ends_with('-')
                && l.bytes().all(|b| b.is_ascii_alphanumeric() || b == b'-')
        });
    if labels_ok && d.len() <= 253 {
        Some(d)
    } else {
        c.push(field, "must be a domain name such as acme.example");
        None
    }
}

/// The pool's provider name of an organisation's connection (Cognito allows 32 characters).
pub fn provider_name(org: &OrgId) -> String {
    let simple: String = org.as_str().chars().filter(char::is_ascii_alphanumeric).collect();
    format!("sso-{}", &simple[..simple.len().min(28)])
}

/// The organisation's connection (404 when none).
pub async fn get(deps: &Deps, actor: &Actor) -> AppResult<SsoConnection> {
    record::get(deps.store.as_ref(), &keys::sso_connection(actor.org()))
        .await?
        .ok_or(AppError::NotFound("sso connection"))
}

/// Creates or replaces the organisation's connection (If-Match when it exists).
pub async fn put(deps: &Deps, actor: &Actor, if_match: Option<u64>, input: SsoInput) -> AppResult<SsoConnection> {
    let mut c = Checks::default();
    let protocol = input.protocol;
    let (metadata_url, issuer, client_id, secret) = match protocol {
        SsoProtocol::Saml => {
            for (f, v) in
                [("issuer", &input.issuer), ("clientId", &input.client_id), ("clientSecret", &input.client_secret)]
            {
                if v.is_some() {
                    c.push(f, "is for OIDC connections only");
                }
            }
            (https_url(&mut c, "metadataUrl", input.metadata_url.as_deref()), None, None, None)
        }
        SsoProtocol::Oidc => {
            if input.metadata_url.is_some() {
                c.push("metadataUrl", "is for SAML connections only");
            }
            let issuer = https_url(&mut c, "issuer", input.issuer.as_deref());
            let id = c.take(TextRule::new(1, 255).parse("clientId", input.client_id.as_deref().unwrap_or_default()));
            let secret =
                c.take(TextRule::new(1, 512).parse("clientSecret", input.client_secret.as_deref().unwrap_or_default()));
            (None, issuer, id, secret)
        }
    };
    let (raw_domains, role) = (&input.domains, input.default_role);
    if raw_domains.is_empty() || raw_domains.len() > MAX_DOMAINS {
        c.push("domains", format!("must list 1 to {MAX_DOMAINS} email domains"));
    }
    let domains: BTreeSet<String> = raw_domains
        .iter()
        .take(MAX_DOMAINS)
        .enumerate()
        .filter_map(|(i, d)| domain(&mut c, &format!("domains[{i}]"), d))
        .collect();
    let default_role: Role = role.unwrap_or(SsoRole::Viewer).into();
    c.finish()?;

    let org = actor.org().clone();
    let before: Option<SsoConnection> = record::get(deps.store.as_ref(), &keys::sso_connection(&org)).await?;
    if let Some(b) = &before {
        super::check_version(if_match, b.version, true)?;
    }
    let name = provider_name(&org);
    // Another organisation's claim on a domain is a conflict, named.
    for d in &domains {
        let claim: Option<SsoClaim> = record::get(deps.store.as_ref(), &keys::sso_domain(d)).await?;
        if claim.is_some_and(|cl| cl.org_id != org) {
            return Err(AppError::conflict(
                "domain-claimed",
                format!("{d} is routed to another organisation's provider"),
            ));
        }
    }
    let mut details = BTreeMap::new();
    match protocol {
        SsoProtocol::Saml => {
            details.insert("MetadataURL".to_owned(), metadata_url.clone().unwrap_or_default());
        }
        SsoProtocol::Oidc => {
            details.insert("oidc_issuer".to_owned(), issuer.clone().unwrap_or_default());
            details.insert("client_id".to_owned(), client_id.clone().unwrap_or_default());
            details.insert("client_secret".to_owned(), secret.unwrap_or_default());
            details.insert("authorize_scopes".to_owned(), "openid email profile".to_owned());
            details.insert("attributes_request_method".to_owned(), "GET".to_owned());
        }
    }
    // The pool first: if the table's write then fails, the provider is there unreferenced (no
    // claim names its organisation, so nobody can join through it) and a retry completes it.
    deps.identity
        .put_org_provider(&OrgIdentityProvider {
            name: name.clone(),
            org_id: org.clone(),
            protocol,
            details,
            domains: domains.iter().cloned().collect(),
        })
        .await?;
    let after = SsoConnection {
        org_id: org.clone(),
        provider_name: name.clone(),
        protocol,
        metadata_url,
        issuer,
        client_id,
        domains: domains.iter().cloned().collect(),
        default_role,
        updated_by: actor.user.id.as_str().to_owned(),
        updated_at: deps.clock.now(),
        version: before.as_ref().map_or(1, |b| b.version + 1),
    };
    let mut writes: Vec<TxWrite> = vec![
        after.tx_put(
            "sso",
            match &before {
                Some(b) => Condition::VersionIs(b.version),
                None => Condition::NotExists,
            },
        )?,
        SsoClaim { name: name.clone(), org_id: org.clone(), domain: false }.tx_put("provider", Condition::None)?,
    ];
    let old: BTreeSet<String> = before.as_ref().map(|b| b.domains.iter().cloned().collect()).unwrap_or_default();
    for d in domains.difference(&old) {
        writes.push(
            SsoClaim { name: d.clone(), org_id: org.clone(), domain: true }.tx_put("domain", Condition::NotExists)?,
        );
    }
    for d in old.difference(&domains) {
        writes.push(TxWrite::delete("domain", keys::sso_domain(d), Condition::None));
    }
    writes.push(actor.audit(
        deps,
        Change {
            action: if before.is_some() { "sso.updated" } else { "sso.created" },
            target_type: "sso_connection",
            target_id: &name,
            before: before.as_ref().map(snapshot).transpose()?,
            after: Some(snapshot(&after)?),
        },
    )?);
    deps.store.transact(writes).await.map_err(|e| match e {
        StoreError::TransactionCanceled { failed } if failed.iter().any(|l| l == "domain") => {
            AppError::conflict("domain-claimed", "a domain was just claimed by another organisation")
        }
        StoreError::TransactionCanceled { .. } => {
            AppError::conflict("lost-update", "the connection changed meanwhile; read it and try again")
        }
        other => other.into(),
    })?;
    Ok(after)
}

/// Disconnects the provider: nobody new joins through it; people who joined keep their accounts.
pub async fn delete(deps: &Deps, actor: &Actor) -> AppResult<()> {
    let conn = get(deps, actor).await?;
    deps.identity.delete_org_provider(&conn.provider_name).await?;
    let mut writes = vec![
        TxWrite::delete("sso", conn.key(), Condition::VersionIs(conn.version)),
        TxWrite::delete("provider", keys::sso_provider(&conn.provider_name), Condition::None),
    ];
    for d in &conn.domains {
        writes.push(TxWrite::delete("domain", keys::sso_domain(d), Condition::None));
    }
    writes.push(actor.audit(
        deps,
        Change {
            action: "sso.deleted",
            target_type: "sso_connection",
            target_id: &conn.provider_name,
            before: Some(snapshot(&conn)?),
            after: None,
        },
    )?);
    deps.store.transact(writes).await.map_err(super::lost_update(conn.version))
}

/// A first sign-in through an organisation's provider: the person becomes a staff member of
/// that organisation with the connection's default role. The organisation comes from the
/// verified token's `identities` (which provider vouched for them), never from the request.
pub async fn join(deps: &Deps, p: &Principal, input: SsoJoinInput) -> AppResult<User> {
    let Some(email) = p.email.clone() else {
        return Err(AppError::Unauthenticated("send the ID token (it carries the email), not the access token".into()));
    };
    let mut found = None;
    for name in &p.identity_providers {
        if let Some(claim) = record::get::<SsoClaim>(deps.store.as_ref(), &keys::sso_provider(name)).await? {
            found = Some(claim);
            break;
        }
    }
    let Some(claim) = found else {
        return Err(AppError::Forbidden(
            "sign in through your organisation's identity provider first (identity_provider=sso-…)".into(),
        ));
    };
    let conn: SsoConnection = record::get(deps.store.as_ref(), &keys::sso_connection(&claim.org_id))
        .await?
        .ok_or(AppError::Forbidden("the organisation's identity provider is disconnected".into()))?;
    let domain = email.as_str().rsplit('@').next().unwrap_or_default().to_lowercase();
    if !conn.domains.contains(&domain) {
        return Err(AppError::Forbidden(format!("{domain} is not one of the organisation's domains")));
    }
    if p.org_id.is_some() {
        return Err(AppError::conflict(
            "already-joined",
            "this account belongs to an organisation already; refresh your tokens (POST /api/auth/refresh)",
        ));
    }
    let name = c_name(input.name.as_deref())?;
    let now = deps.clock.now();
    let user = User {
        id: p.user_id.clone(),
        org_id: conn.org_id.clone(),
        email: email.clone(),
        name,
        role: conn.default_role,
        status: UserStatus::Active,
        overrides: Overrides::default(),
        created_at: now,
        updated_at: now,
        version: 1,
    };
    let audit = audit_write(
        deps,
        Who { id: user.id.as_str(), email: Some(email.as_str()) },
        &conn.org_id,
        Change {
            action: "user.sso_joined",
            target_type: "user",
            target_id: user.id.as_str(),
            before: None,
            after: Some(snapshot(&user)?),
        },
    )?;
    match deps.store.transact(vec![user.tx_put("user", Condition::NotExists)?, audit]).await {
        Ok(()) => {}
        Err(StoreError::TransactionCanceled { .. } | StoreError::ConditionFailed { .. }) => {
            return Err(AppError::conflict(
                "already-joined",
                "this account joined already; refresh your tokens (POST /api/auth/refresh)",
            ));
        }
        Err(e) => return Err(e.into()),
    }
    if let Err(e) = deps.identity.join_org(&email, &conn.org_id, conn.default_role).await {
        let _ = deps.store.delete(&user.key(), Condition::None).await;
        return Err(e.into());
    }
    Ok(user)
}

fn c_name(v: Option<&str>) -> AppResult<Option<String>> {
    TextRule::new(1, 200).parse_opt("name", v).map_err(|e| AppError::Validation(vec![e]))
}
