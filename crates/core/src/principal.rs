//! Who is calling: read from verified token claims (API Gateway's JWT authorizer in AWS, the
//! dev server's verifier locally). The tenant comes from `custom:org_id`, never from the request.

use crate::rbac::Role;
use crate::values::{Email, OrgId, UserId};
use serde_json::{Map, Value};
use std::collections::BTreeSet;

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Principal {
    pub user_id: UserId,
    pub email: Option<Email>,
    pub org_id: Option<OrgId>,
    /// The most privileged of `roles` (what staff routes and candidate routes go by).
    pub role: Option<Role>,
    /// Every role group the token carries: platform routes accept any of theirs.
    pub roles: BTreeSet<Role>,
    /// The identity providers a federated user signed in through (Cognito's `identities`
    /// claim: Google, or an organisation's own SAML/OIDC provider).
    pub identity_providers: Vec<String>,
}

impl Principal {
    /// Reads Cognito-shaped claims. API Gateway hands every claim over as a string, and
    /// `cognito:groups` as `"[admin recruiter]"`; a verified JWT has a JSON array. Both work.
    pub fn from_claims(claims: &Map<String, Value>) -> Option<Self> {
        let sub = claims.get("sub")?.as_str()?.to_owned();
        if sub.is_empty() {
            return None;
        }
        let email = claims.get("email").and_then(Value::as_str).map(Email::trusted);
        let org_id = claims.get("custom:org_id").and_then(Value::as_str).filter(|s| !s.is_empty()).map(OrgId::trusted);
        let groups: Vec<String> = match claims.get("cognito:groups") {
            Some(Value::Array(a)) => a.iter().filter_map(Value::as_str).map(str::to_owned).collect(),
            Some(Value::String(s)) => s
                .trim_matches(|c| c == '[' || c == ']')
                .split([' ', ','])
                .filter(|g| !g.is_empty())
                .map(str::to_owned)
                .collect(),
            _ => Vec::new(),
        };
        let roles: BTreeSet<Role> = groups.iter().filter_map(|g| g.parse().ok()).collect();
        let role = Role::highest(roles.iter().copied());
        // A verified JWT has a JSON array; API Gateway hands it over as that array's JSON text.
        let identities = match claims.get("identities") {
            Some(Value::String(s)) => serde_json::from_str::<Value>(s).unwrap_or(Value::Null),
            Some(v) => v.clone(),
            None => Value::Null,
        };
        let identity_providers = identities
            .as_array()
            .map(|a| a.iter().filter_map(|i| i.get("providerName")?.as_str()).map(str::to_owned).collect())
            .unwrap_or_default();
        Some(Self { user_id: UserId::trusted(sub), email, org_id, role, roles, identity_providers })
    }

    /// Whether the token carries `role`.
    pub fn has(&self, role: Role) -> bool {
        self.roles.contains(&role)
    }
}

/// The claims of a token the identity provider *just handed us* over its own API (so it is
/// authentic without checking the signature). Never use this on a token a client sent.
pub fn claims_of_fresh_token(jwt: &str) -> Option<Map<String, Value>> {
    use base64::Engine;
    let payload = jwt.split('.').nth(1)?;
    let bytes = base64::engine::general_purpose::URL_SAFE_NO_PAD.decode(payload.trim_end_matches('=')).ok()?;
    match serde_json::from_slice(&bytes).ok()? {
        Value::Object(m) => Some(m),
        _ => None,
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn api_gateway_string_groups_are_read() {
        let claims = json!({"sub": "abc", "cognito:groups": "[viewer hr_manager]", "custom:org_id": "o1"});
        let p = Principal::from_claims(claims.as_object().unwrap()).unwrap();
        assert_eq!(p.role, Some(Role::HrManager));
        assert_eq!(p.org_id.unwrap().as_str(), "o1");
    }

    #[test]
    fn jwt_array_groups_are_read() {
        let claims = json!({"sub": "abc", "cognito:groups": ["recruiter"]});
        let p = Principal::from_claims(claims.as_object().unwrap()).unwrap();
        assert_eq!(p.role, Some(Role::Recruiter));
        assert_eq!(p.org_id, None);
    }

    #[test]
    fn several_platform_groups_all_ride_in_the_principal() {
        let claims = json!({"sub": "abc", "cognito:groups": "[npo community_leader candidate]"});
        let p = Principal::from_claims(claims.as_object().unwrap()).unwrap();
        assert_eq!(p.role, Some(Role::Candidate));
        assert!(p.has(Role::Npo) && p.has(Role::CommunityLeader) && p.has(Role::Candidate));
        assert!(!p.has(Role::PlatformAdmin));
    }

    #[test]
    fn claims_without_sub_are_no_principal() {
        assert!(Principal::from_claims(json!({"email": "a@b.co"}).as_object().unwrap()).is_none());
    }
}
