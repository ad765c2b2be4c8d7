//! The single table's physical definition, as data, and `create_table` built from it.
//!
//! The SAM template, the CDK app and docs/data-model.md must declare exactly this (a drift test
//! can compare them with [`table_definition`], which serialises to JSON).

use aws_sdk_dynamodb::Client;
use aws_sdk_dynamodb::types::{
    AttributeDefinition, BillingMode, GlobalSecondaryIndex, KeySchemaElement, KeyType, Projection, ProjectionType,
    ScalarAttributeType, TableStatus, TimeToLiveSpecification,
};
use clearview_core::ports::store::{Index, StoreError, attr};
use serde::Serialize;
use std::time::Duration;

/// A key schema: partition (HASH) and sort (RANGE) attribute names.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct KeyDef {
    pub partition: &'static str,
    pub sort: &'static str,
}

/// A global secondary index (projection ALL).
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct GsiDef {
    pub name: &'static str,
    pub key: KeyDef,
    pub projection: &'static str,
}

/// Everything the IaC must declare about the table.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct TableDefinition {
    /// Attribute name → DynamoDB scalar type (`S`): only key attributes are declared.
    pub attribute_definitions: Vec<(&'static str, &'static str)>,
    pub key: KeyDef,
    pub global_secondary_indexes: Vec<GsiDef>,
    /// The TTL attribute (epoch seconds, `N`).
    pub ttl_attribute: &'static str,
    pub billing_mode: &'static str,
}

/// The table: `pk`/`sk` strings, overloaded `gsi1`/`gsi2` (projection ALL), TTL on `expires_at`,
/// on-demand billing.
pub fn table_definition() -> TableDefinition {
    let mut attribute_definitions = vec![(attr::PK, "S"), (attr::SK, "S")];
    let mut global_secondary_indexes = Vec::new();
    for index in Index::ALL {
        attribute_definitions.push((index.pk_attr(), "S"));
        attribute_definitions.push((index.sk_attr(), "S"));
        global_secondary_indexes.push(GsiDef {
            name: index.name(),
            key: KeyDef { partition: index.pk_attr(), sort: index.sk_attr() },
            projection: "ALL",
        });
    }
    TableDefinition {
        attribute_definitions,
        key: KeyDef { partition: attr::PK, sort: attr::SK },
        global_secondary_indexes,
        ttl_attribute: attr::EXPIRES_AT,
        billing_mode: "PAY_PER_REQUEST",
    }
}

fn key_schema(key: &KeyDef) -> Result<Vec<KeySchemaElement>, StoreError> {
    let element = |name: &str, t: KeyType| {
        KeySchemaElement::builder()
            .attribute_name(name)
            .key_type(t)
            .build()
            .map_err(|e| StoreError::Invalid(e.to_string()))
    };
    Ok(vec![element(key.partition, KeyType::Hash)?, element(key.sort, KeyType::Range)?])
}

/// Creates the table (for tests and `make run` against an emulator), waits until it is
/// active, and turns TTL on.
pub async fn create_table(client: &Client, name: &str) -> Result<(), StoreError> {
    let def = table_definition();
    let invalid = |e: aws_sdk_dynamodb::error::BuildError| StoreError::Invalid(e.to_string());
    let mut req = client
        .create_table()
        .table_name(name)
        .billing_mode(BillingMode::PayPerRequest)
        .set_key_schema(Some(key_schema(&def.key)?));
    for (name, _) in &def.attribute_definitions {
        req = req.attribute_definitions(
            AttributeDefinition::builder()
                .attribute_name(*name)
                .attribute_type(ScalarAttributeType::S)
                .build()
                .map_err(invalid)?,
        );
    }
    for gsi in &def.global_secondary_indexes {
        req = req.global_secondary_indexes(
            GlobalSecondaryIndex::builder()
                .index_name(gsi.name)
                .set_key_schema(Some(key_schema(&gsi.key)?))
                .projection(Projection::builder().projection_type(ProjectionType::All).build())
                .build()
                .map_err(invalid)?,
        );
    }
    req.send().await.map_err(crate::dynamo::sdk_error)?;

    for _ in 0..120 {
        let out = client.describe_table().table_name(name).send().await.map_err(crate::dynamo::sdk_error)?;
        if out.table().and_then(|t| t.table_status()) == Some(&TableStatus::Active) {
            break;
        }
        tokio::time::sleep(Duration::from_millis(500)).await;
    }

    client
        .update_time_to_live()
        .table_name(name)
        .time_to_live_specification(
            TimeToLiveSpecification::builder()
                .enabled(true)
                .attribute_name(def.ttl_attribute)
                .build()
                .map_err(invalid)?,
        )
        .send()
        .await
        .map_err(crate::dynamo::sdk_error)?;
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn definition_declares_key_attributes_and_both_gsis() {
        let def = table_definition();
        let json = serde_json::to_value(&def).unwrap();
        assert_eq!(json["key"]["partition"], "pk");
        assert_eq!(json["key"]["sort"], "sk");
        assert_eq!(json["ttl_attribute"], "expires_at");
        let names: Vec<_> = def.global_secondary_indexes.iter().map(|g| g.name).collect();
        assert_eq!(names, ["gsi1", "gsi2"]);
        assert_eq!(def.global_secondary_indexes[1].key, KeyDef { partition: "gsi2pk", sort: "gsi2sk" });
        assert_eq!(def.attribute_definitions.len(), 6);
    }
}
