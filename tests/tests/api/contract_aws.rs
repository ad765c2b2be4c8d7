//! The store and identity contract suites on the AWS family, over real HTTP to moto.
//!
//! Each test gets a fresh table or user pool on the process's one moto server (the SDK clients
//! are made inside the test's own runtime). moto accepts any confirmation code and its tokens
//! follow the real clock, so the harness says so (`checks_codes`, `advance_clock`) and the
//! suite skips only those checks.

use async_trait::async_trait;
use clearview_aws::testing::{INVITE_TEMPORARY_PASSWORD, Moto, TestPool};
use clearview_contract::{IdentityHarness, StoreCaps, TokenKeys};
use clearview_core::ports::identity::IdentityProvider;
use clearview_core::ports::store::ItemStore;
use clearview_core::values::Email;
use std::sync::Arc;

async fn dynamo_store() -> Arc<dyn ItemStore> {
    Arc::new(Moto::pick().await.store().await)
}

/// A fresh Cognito user pool on moto, driven like a user would.
struct CognitoHarness(TestPool);

#[async_trait]
impl IdentityHarness for CognitoHarness {
    fn identity(&self) -> &dyn IdentityProvider {
        &self.0.identity
    }

    /// moto mails nothing and accepts any sign-up code, and any reset code it did not generate.
    async fn code_for(&self, _email: &Email) -> Option<String> {
        Some("123456".to_owned())
    }

    async fn temporary_password_for(&self, _email: &Email) -> Option<String> {
        Some(INVITE_TEMPORARY_PASSWORD.to_owned())
    }

    async fn token_keys(&self) -> TokenKeys {
        let jwks = clearview_aws::fetch_jwks(&self.0.jwks_url).await.unwrap_or_else(|e| panic!("moto JWKS: {e}"));
        TokenKeys { jwks, issuer: self.0.issuer.clone(), client_id: self.0.client_id.clone() }
    }

    fn checks_codes(&self) -> bool {
        false
    }
}

async fn cognito() -> Arc<dyn IdentityHarness> {
    Arc::new(CognitoHarness(Moto::pick().await.identity().await))
}

// DynamoStore treats expired items as gone (reads, pages, conditions), like the embedded store.
clearview_contract::store_contract!(dynamo_store, StoreCaps { hides_expired: true });
clearview_contract::identity_contract!(cognito);
