//! Organisation settings (issue 12, the backend scope's `system_settings`): one value per known
//! key and organisation, each with a public flag, validated by its key's rule when saved,
//! audited with before and after. Admins read and write them all; public ones (the notices a
//! candidate reads) are readable by anyone with the organisation's id.

use super::{Actor, Change, snapshot};
use crate::error::{AppError, AppResult};
use crate::keys;
use crate::ports::Deps;
use crate::ports::store::{Condition, Key, Query};
use crate::record::{self, Record};
use crate::values::{Checks, OrgId};
use serde::{Deserialize, Serialize};
use serde_json::Value;
use time::OffsetDateTime;

/// A setting the platform knows: its key, what it is, whether it is public unless told.
#[derive(Debug, Clone, Copy, Serialize, utoipa::ToSchema)]
#[serde(rename_all = "camelCase")]
pub struct KnownSetting {
    pub key: &'static str,
    pub description: &'static str,
    pub public_by_default: bool,
    /// What the value must look like.
    pub format: &'static str,
}

/// The key of the retention rules (enforced by `services::retention`).
pub const RETENTION_RULES: &str = "retention.rules";

/// Every key a setting may have (anything else is not found).
pub const KNOWN: &[KnownSetting] = &[
    KnownSetting {
        key: "blind_review.reveal_stage",
        description: "The pipeline stage from which staff see who a candidate is",
        public_by_default: false,
        format: "a stage id: 1-64 characters of a-z, 0-9, _ and -",
    },
    KnownSetting {
        key: "screening.default_thresholds",
        description: "Default score thresholds of new jobs' automated recommendation",
        public_by_default: false,
        format: "{\"advance\": 0-100, \"reject\": 0-100}, reject below advance",
    },
    KnownSetting {
        key: "retention.rules",
        description: "How long personal data is kept: resumes of rejected applicants (days), candidates inactive (months)",
        public_by_default: true,
        format: "{\"rejectedResumeDays\": 1-3650 or null, \"inactiveCandidateMonths\": 1-120 or null}",
    },
    KnownSetting {
        key: "notice.automated_screening",
        description: "The notice shown to candidates that an automated tool assists screening (NYC LL144)",
        public_by_default: true,
        format: "text, 1-5000 characters",
    },
    KnownSetting {
        key: "notice.privacy",
        description: "The organisation's privacy notice to candidates",
        public_by_default: true,
        format: "text, 1-5000 characters",
    },
];

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, utoipa::ToSchema)]
#[serde(rename_all = "camelCase")]
pub struct Setting {
    #[schema(value_type = String)]
    pub org_id: OrgId,
    pub key: String,
    /// The value, in the key's format.
    pub value: Value,
    /// Readable without signing in (candidates read the public ones).
    pub public: bool,
    pub updated_by: String,
    #[serde(with = "time::serde::rfc3339")]
    #[schema(value_type = String, format = DateTime)]
    pub updated_at: OffsetDateTime,
    pub version: u64,
}

impl Record for Setting {
    const ENTITY: &'static str = "Setting";
    fn key(&self) -> Key {
        keys::setting(&self.org_id, &self.key)
    }
    /// The retention rules of every organisation, for the daily retention run.
    fn gsi1(&self) -> Option<Key> {
        (self.key == RETENTION_RULES).then(|| Key::new(keys::RETENTION_ORGS_PK, self.org_id.to_string()))
    }
    fn version(&self) -> u64 {
        self.version
    }
}

/// `PUT /api/settings/{key}`.
#[derive(Debug, Clone, Deserialize, utoipa::ToSchema)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct SettingInput {
    /// The value, in the key's format (see `GET /api/settings`).
    pub value: Value,
    /// Absent: the key's default (notices and retention rules are public).
    pub public: Option<bool>,
}

/// The organisation's settings and the keys it may set.
#[derive(Debug, Clone, Serialize, utoipa::ToSchema)]
#[serde(rename_all = "camelCase")]
pub struct Settings {
    pub items: Vec<Setting>,
    pub known: Vec<KnownSetting>,
}

/// An organisation's public settings.
#[derive(Debug, Clone, Serialize, utoipa::ToSchema)]
#[serde(rename_all = "camelCase")]
pub struct PublicSettings {
    pub items: Vec<PublicSetting>,
}

#[derive(Debug, Clone, Serialize, utoipa::ToSchema)]
#[serde(rename_all = "camelCase")]
pub struct PublicSetting {
    pub key: String,
    pub value: Value,
}

fn known(key: &str) -> AppResult<&'static KnownSetting> {
    KNOWN.iter().find(|k| k.key == key).ok_or(AppError::NotFound("setting"))
}

fn int_in(c: &mut Checks, v: &Value, field: &str, lo: i64, hi: i64, nullable: bool) -> Option<i64> {
    match v.get(field.rsplit('.').next().unwrap_or(field)) {
        None | Some(Value::Null) if nullable => None,
        Some(Value::Number(n)) if n.as_i64().is_some_and(|n| (lo..=hi).contains(&n)) => n.as_i64(),
        _ => {
            c.push(
                field,
                format!("must be a whole number from {lo} to {hi}{}", if nullable { " or null" } else { "" }),
            );
            None
        }
    }
}

fn only_fields(c: &mut Checks, v: &Value, allowed: &[&str]) {
    match v.as_object() {
        Some(o) => {
            for k in o.keys().filter(|k| !allowed.contains(&k.as_str())) {
                c.push(
                    format!("value.{k}"),
                    format!("is not a field of this setting (fields: {})", allowed.join(", ")),
                );
            }
        }
        None => c.push("value", "must be an object"),
    }
}

/// Checks a value against its key's rule; answers the value as stored.
fn validate(key: &str, v: &Value) -> AppResult<Value> {
    let mut c = Checks::default();
    let out = match key {
        "blind_review.reveal_stage" => {
            let ok = v.as_str().is_some_and(|s| {
                (1..=64).contains(&s.len())
                    && s.bytes().all(|b| b.is_ascii_lowercase() || b.is_ascii_digit() || b == b'_' || b == b'-')
            });
            if !ok {
                c.push("value", "must be a stage id: 1-64 characters of a-z, 0-9, _ and -");
            }
            v.clone()
        }
        "screening.default_thresholds" => {
            only_fields(&mut c, v, &["advance", "reject"]);
            let advance = int_in(&mut c, v, "value.advance", 0, 100, false);
            let reject = int_in(&mut c, v, "value.reject", 0, 100, false);
            if let (Some(a), Some(r)) = (advance, reject)
                && r >= a
            {
                c.push("value.reject", "must be below advance");
            }
            serde_json::json!({"advance": advance, "reject": reject})
        }
        "retention.rules" => {
            only_fields(&mut c, v, &["rejectedResumeDays", "inactiveCandidateMonths"]);
            let days = int_in(&mut c, v, "value.rejectedResumeDays", 1, 3650, true);
            let months = int_in(&mut c, v, "value.inactiveCandidateMonths", 1, 120, true);
            serde_json::json!({"rejectedResumeDays": days, "inactiveCandidateMonths": months})
        }
        _ => {
            let text = v.as_str().map(str::trim).unwrap_or_default();
            if !(1..=5000).contains(&text.chars().count()) || text.chars().any(|ch| ch.is_control() && ch != '\n') {
                c.push("value", "must be text of 1-5000 characters");
            }
            Value::String(text.to_owned())
        }
    };
    c.finish()?;
    Ok(out)
}

async fn all(deps: &Deps, org: &OrgId) -> AppResult<Vec<Setting>> {
    let q = Query::table(keys::org_pk(org)).prefix(keys::SETTING_PREFIX).limit(KNOWN.len() + 1);
    Ok(record::query::<Setting>(deps.store.as_ref(), &q).await?.0)
}

/// `GET /api/settings`: every setting of the caller's organisation, and the known keys.
pub async fn list(deps: &Deps, actor: &Actor) -> AppResult<Settings> {
    Ok(Settings { items: all(deps, actor.org()).await?, known: KNOWN.to_vec() })
}

/// `GET /api/settings/public/{orgId}`: the public settings of an organisation (an unknown
/// organisation has none).
pub async fn public(deps: &Deps, org: &OrgId) -> AppResult<PublicSettings> {
    let items = all(deps, org)
        .await?
        .into_iter()
        .filter(|s| s.public)
        .map(|s| PublicSetting { key: s.key, value: s.value })
        .collect();
    Ok(PublicSettings { items })
}

/// `PUT /api/settings/{key}`: validated by the key's rule, version-checked (If-Match optional),
/// audited with before and after.
pub async fn put(
    deps: &Deps,
    actor: &Actor,
    key: &str,
    if_match: Option<u64>,
    input: SettingInput,
) -> AppResult<Setting> {
    let k = known(key)?;
    let value = validate(k.key, &input.value)?;
    let before: Option<Setting> = record::get(deps.store.as_ref(), &keys::setting(actor.org(), k.key)).await?;
    super::check_version(if_match, before.as_ref().map(|b| b.version).unwrap_or(0), false)?;
    let after = Setting {
        org_id: actor.org().clone(),
        key: k.key.to_owned(),
        value,
        public: input.public.unwrap_or(k.public_by_default),
        updated_by: actor.user.id.to_string(),
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
            action: "setting.save",
            target_type: "setting",
            target_id: k.key,
            before: before.as_ref().map(snapshot).transpose()?,
            after: Some(snapshot(&after)?),
        },
    )?;
    let read = before.as_ref().map(|b| b.version).unwrap_or(0);
    deps.store.transact(vec![after.tx_put("setting", cond)?, audit]).await.map_err(super::lost_update(read))?;
    Ok(after)
}
