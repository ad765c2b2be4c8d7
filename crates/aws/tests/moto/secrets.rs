//! The Secrets Manager vault against moto's Secrets Manager: values stored under the prefix and
//! read back, a reference that is not the owner's refused, a retried write replacing an unused
//! secret's value, deletion without a recovery window and idempotent.

use clearview_aws::testing::Moto;
use clearview_core::ports::secrets::{SecretError, SecretRef, SecretVault};

fn prefix() -> String {
    format!("vault-test-{}", uuid::Uuid::new_v4().simple())
}

#[tokio::test]
async fn a_value_is_a_secret_under_the_prefix_that_only_its_owner_reads_back() {
    let moto = Moto::shared().await;
    let prefix = prefix();
    let vault = moto.vault(&prefix);
    let r = vault.put("int-1", "integrations/int-1/credentials/v1", br#"{"apiKey":"k1"}"#).await.unwrap();
    let SecretRef::Managed { secret_arn } = &r else { panic!("a Secrets Manager reference: {r:?}") };
    let described = moto.secrets().describe_secret().secret_id(secret_arn).send().await.unwrap();
    assert_eq!(described.name(), Some(format!("{prefix}/integrations/int-1/credentials/v1").as_str()));
    let tags: Vec<(&str, &str)> =
        described.tags().iter().map(|t| (t.key().unwrap_or_default(), t.value().unwrap_or_default())).collect();
    assert!(tags.contains(&(clearview_aws::secrets::OWNER_TAG, "int-1")), "{tags:?}");
    assert_eq!(vault.get("int-1", &r).await.unwrap(), br#"{"apiKey":"k1"}"#);
    // The reference copied onto another integration does not open there.
    assert!(matches!(vault.get("int-2", &r).await, Err(SecretError::Unreadable(_))));
}

#[tokio::test]
async fn writing_a_name_again_replaces_the_value_and_deleting_is_final_and_idempotent() {
    let moto = Moto::shared().await;
    let vault = moto.vault(&prefix());
    let first = vault.put("int-3", "integrations/int-3/inbound/v1", b"whsec_one").await.unwrap();
    // A retry after a crash between the secret and its item: same name, same secret, new value.
    let again = vault.put("int-3", "integrations/int-3/inbound/v1", b"whsec_two").await.unwrap();
    assert_eq!(first, again);
    assert_eq!(vault.get("int-3", &again).await.unwrap(), b"whsec_two");
    vault.delete(&again).await.unwrap();
    assert!(matches!(vault.get("int-3", &again).await, Err(SecretError::NotFound(_))));
    vault.delete(&again).await.expect("deleting a deleted secret is not an error");
    // No recovery window: the name is free again at once.
    let reborn = vault.put("int-3", "integrations/int-3/inbound/v1", b"whsec_three").await.unwrap();
    assert_eq!(vault.get("int-3", &reborn).await.unwrap(), b"whsec_three");
}
