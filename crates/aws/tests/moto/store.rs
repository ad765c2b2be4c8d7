//! DynamoStore against moto: conditions, transactions, pages over the table and the GSIs, TTL.

use clearview_aws::testing::Moto;
use clearview_core::ports::clock::FixedClock;
use clearview_core::ports::store::{Condition, Index, Item, ItemStore, Key, Query, StoreError, TxWrite};
use serde_json::json;
use std::sync::Arc;

fn item(pk: &str, sk: &str, version: u64) -> Item {
    Item {
        key: Key::new(pk, sk),
        gsi1: None,
        gsi2: None,
        entity: "Thing".into(),
        version,
        expires_at: None,
        data: json!({"name": sk, "tags": ["x", "y"], "count": version, "nested": {"ok": true}}),
    }
}

#[tokio::test]
async fn put_then_get_returns_the_same_item() {
    let store = Moto::shared().await.store().await;
    let mut i = item("ORG#1", "JOB#1", 1);
    i.gsi1 = Some(Key::new("ORG#1#OPEN", "2024-05-01"));
    i.gsi2 = Some(Key::new("EMAIL#a@b.co", "USER"));
    i.expires_at = Some(4_000_000_000);
    store.put(i.clone(), Condition::None).await.unwrap();
    assert_eq!(store.get(&i.key).await.unwrap(), Some(i));
    assert_eq!(store.get(&Key::new("ORG#1", "JOB#2")).await.unwrap(), None);
}

#[tokio::test]
async fn put_if_not_exists_refuses_a_second_write_and_shows_what_is_stored() {
    let store = Moto::shared().await.store().await;
    let first = item("P", "S", 1);
    store.put(first.clone(), Condition::NotExists).await.unwrap();
    let err = store.put(item("P", "S", 2), Condition::NotExists).await.unwrap_err();
    match err {
        StoreError::ConditionFailed { current } => assert_eq!(current.as_deref(), Some(&first)),
        other => panic!("expected ConditionFailed, got {other:?}"),
    }
}

#[tokio::test]
async fn version_condition_tells_changed_from_gone() {
    let store = Moto::shared().await.store().await;
    store.put(item("P", "S", 1), Condition::NotExists).await.unwrap();
    store.put(item("P", "S", 2), Condition::VersionIs(1)).await.unwrap();

    // Lost update: someone else wrote version 2 first.
    let err = store.put(item("P", "S", 2), Condition::VersionIs(1)).await.unwrap_err();
    assert!(matches!(err, StoreError::ConditionFailed { current: Some(c) } if c.version == 2));

    // Gone: nothing stored under the key.
    let err = store.put(item("P", "GONE", 2), Condition::VersionIs(1)).await.unwrap_err();
    assert!(matches!(err, StoreError::ConditionFailed { current: None }));
}

#[tokio::test]
async fn put_if_exists_refuses_a_missing_item() {
    let store = Moto::shared().await.store().await;
    let err = store.put(item("P", "S", 1), Condition::Exists).await.unwrap_err();
    assert!(matches!(err, StoreError::ConditionFailed { current: None }));
    store.put(item("P", "S", 1), Condition::None).await.unwrap();
    store.put(item("P", "S", 2), Condition::Exists).await.unwrap();
}

#[tokio::test]
async fn delete_returns_the_deleted_item_and_honours_its_condition() {
    let store = Moto::shared().await.store().await;
    let i = item("P", "S", 3);
    store.put(i.clone(), Condition::None).await.unwrap();
    let err = store.delete(&i.key, Condition::VersionIs(2)).await.unwrap_err();
    assert!(matches!(err, StoreError::ConditionFailed { current: Some(c) } if c.version == 3));
    assert_eq!(store.delete(&i.key, Condition::VersionIs(3)).await.unwrap(), Some(i.clone()));
    assert_eq!(store.get(&i.key).await.unwrap(), None);
    assert_eq!(store.delete(&i.key, Condition::None).await.unwrap(), None);
    assert!(matches!(
        store.delete(&i.key, Condition::Exists).await,
        Err(StoreError::ConditionFailed { current: None })
    ));
}

#[tokio::test]
async fn transaction_names_failed_condition_labels() {
    let store = Moto::shared().await.store().await;
    store.put(item("USER", "EMAIL#taken", 1), Condition::None).await.unwrap();
    store.put(item("ORG", "COUNTER", 5), Condition::None).await.unwrap();
    store.put(item("ORG", "META", 1), Condition::None).await.unwrap();

    let err = store
        .transact(vec![
            TxWrite::put("user", item("USER", "ID#1", 1), Condition::NotExists),
            TxWrite::put("email-unique", item("USER", "EMAIL#taken", 1), Condition::NotExists),
            TxWrite::put("counter", item("ORG", "COUNTER", 6), Condition::VersionIs(4)),
            TxWrite::check("org-exists", Key::new("ORG", "META"), Condition::Exists),
            TxWrite::check("plan-exists", Key::new("ORG", "PLAN"), Condition::Exists),
        ])
        .await
        .unwrap_err();
    match err {
        StoreError::TransactionCanceled { failed } => assert_eq!(failed, ["email-unique", "counter", "plan-exists"]),
        other => panic!("expected TransactionCanceled, got {other:?}"),
    }
    // All or nothing: the write whose condition held was not applied.
    assert_eq!(store.get(&Key::new("USER", "ID#1")).await.unwrap(), None);
}

#[tokio::test]
async fn transaction_applies_every_write_when_all_conditions_hold() {
    let store = Moto::shared().await.store().await;
    store.put(item("ORG", "COUNTER", 1), Condition::None).await.unwrap();
    store.put(item("ORG", "OLD", 1), Condition::None).await.unwrap();
    store
        .transact(vec![
            TxWrite::put("job", item("ORG", "JOB#1", 1), Condition::NotExists),
            TxWrite::put("counter", item("ORG", "COUNTER", 2), Condition::VersionIs(1)),
            TxWrite::delete("old", Key::new("ORG", "OLD"), Condition::Exists),
            TxWrite::check("anything", Key::new("ORG", "NOPE"), Condition::None),
        ])
        .await
        .unwrap();
    assert!(store.get(&Key::new("ORG", "JOB#1")).await.unwrap().is_some());
    assert_eq!(store.get(&Key::new("ORG", "COUNTER")).await.unwrap().unwrap().version, 2);
    assert_eq!(store.get(&Key::new("ORG", "OLD")).await.unwrap(), None);
}

#[tokio::test]
async fn transaction_touching_a_key_twice_is_invalid() {
    let store = Moto::shared().await.store().await;
    let err = store
        .transact(vec![
            TxWrite::put("a", item("P", "S", 1), Condition::None),
            TxWrite::delete("b", Key::new("P", "S"), Condition::None),
        ])
        .await
        .unwrap_err();
    assert!(matches!(err, StoreError::Invalid(_)), "{err:?}");
}

#[tokio::test]
async fn table_query_pages_in_sort_key_order_by_prefix() {
    let store = Moto::shared().await.store().await;
    for n in [3, 1, 5, 2, 4] {
        store.put(item("ORG#1", &format!("JOB#{n}"), 1), Condition::None).await.unwrap();
    }
    store.put(item("ORG#1", "USER#1", 1), Condition::None).await.unwrap();
    store.put(item("ORG#2", "JOB#9", 1), Condition::None).await.unwrap();

    let q = Query::table("ORG#1").prefix("JOB#").limit(2);
    let mut seen = Vec::new();
    let mut token = None;
    let mut pages = 0;
    loop {
        let page = store.query(&q.clone().after(token)).await.unwrap();
        pages += 1;
        seen.extend(page.items.into_iter().map(|i| i.key.sk));
        token = page.next;
        if token.is_none() {
            break;
        }
    }
    assert_eq!(seen, ["JOB#1", "JOB#2", "JOB#3", "JOB#4", "JOB#5"]);
    assert_eq!(pages, 3);

    let desc = store.query(&Query::table("ORG#1").prefix("JOB#").limit(10).descending()).await.unwrap();
    let sks: Vec<_> = desc.items.iter().map(|i| i.key.sk.as_str()).collect();
    assert_eq!(sks, ["JOB#5", "JOB#4", "JOB#3", "JOB#2", "JOB#1"]);
    assert!(desc.next.is_none());
}

#[tokio::test]
async fn exactly_full_last_page_has_no_next_token() {
    let store = Moto::shared().await.store().await;
    for n in 1..=4 {
        store.put(item("P", &format!("S#{n}"), 1), Condition::None).await.unwrap();
    }
    let first = store.query(&Query::table("P").limit(2)).await.unwrap();
    assert_eq!(first.items.len(), 2);
    let second = store.query(&Query::table("P").limit(2).after(first.next)).await.unwrap();
    assert_eq!(second.items.len(), 2);
    assert!(second.next.is_none());
}

#[tokio::test]
async fn index_query_pages_over_the_gsi() {
    let store = Moto::shared().await.store().await;
    for (n, date) in [(1, "2024-03"), (2, "2024-01"), (3, "2024-02")] {
        let mut i = item("ORG#1", &format!("APP#{n}"), 1);
        i.gsi1 = Some(Key::new("JOB#7", format!("APPLIED#{date}")));
        i.gsi2 = Some(Key::new(format!("CAND#{n}"), "APP"));
        store.put(i, Condition::None).await.unwrap();
    }
    let q = Query::index(Index::Gsi1, "JOB#7").prefix("APPLIED#").limit(2);
    let first = store.query(&q).await.unwrap();
    let sks: Vec<_> = first.items.iter().map(|i| i.key.sk.as_str()).collect();
    assert_eq!(sks, ["APP#2", "APP#3"]);
    let token = first.next.clone().expect("a second page");
    assert!(token.0.contains_key("gsi1pk") && token.0.contains_key("sk"));
    let second = store.query(&q.clone().after(Some(token))).await.unwrap();
    let sks: Vec<_> = second.items.iter().map(|i| i.key.sk.as_str()).collect();
    assert_eq!(sks, ["APP#1"]);
    assert!(second.next.is_none());

    let by_candidate = store.query(&Query::index(Index::Gsi2, "CAND#3")).await.unwrap();
    assert_eq!(by_candidate.items.len(), 1);
    assert_eq!(by_candidate.items[0].key.sk, "APP#3");
}

#[tokio::test]
async fn expired_items_are_gone_for_reads_pages_and_conditions() {
    let moto = Moto::shared().await;
    let clock = Arc::new(FixedClock::at(time::OffsetDateTime::from_unix_timestamp(1_700_000_000).unwrap()));
    let store = moto.store().await.with_clock(clock.clone());
    for n in 1..=6 {
        let mut i = item("P", &format!("S#{n}"), 1);
        // Odd items expire at 1_700_000_100, even ones never.
        i.expires_at = (n % 2 == 1).then_some(1_700_000_100);
        store.put(i, Condition::None).await.unwrap();
    }
    assert_eq!(store.query(&Query::table("P").limit(10)).await.unwrap().items.len(), 6);

    clock.advance(time::Duration::seconds(101));
    assert_eq!(store.get(&Key::new("P", "S#1")).await.unwrap(), None);
    // Pages stay full despite the filter dropping expired items.
    let first = store.query(&Query::table("P").limit(2)).await.unwrap();
    let sks: Vec<_> = first.items.iter().map(|i| i.key.sk.as_str()).collect();
    assert_eq!(sks, ["S#2", "S#4"]);
    let second = store.query(&Query::table("P").limit(2).after(first.next)).await.unwrap();
    let sks: Vec<_> = second.items.iter().map(|i| i.key.sk.as_str()).collect();
    assert_eq!(sks, ["S#6"]);
    assert!(second.next.is_none());

    // An expired item does not block NotExists, and does not satisfy Exists.
    assert!(matches!(
        store.put(item("P", "S#3", 2), Condition::Exists).await,
        Err(StoreError::ConditionFailed { current: None })
    ));
    store.put(item("P", "S#3", 2), Condition::NotExists).await.unwrap();
    assert_eq!(store.get(&Key::new("P", "S#3")).await.unwrap().unwrap().version, 2);
}

#[tokio::test]
async fn page_size_outside_one_to_a_thousand_is_invalid() {
    let store = Moto::shared().await.store().await;
    assert!(matches!(store.query(&Query::table("P").limit(0)).await, Err(StoreError::Invalid(_))));
    assert!(matches!(store.query(&Query::table("P").limit(1001)).await, Err(StoreError::Invalid(_))));
}

#[tokio::test]
async fn emulator_returns_the_old_item_with_a_failed_condition() {
    // DynamoStore falls back to a consistent read when ALL_OLD brings no item; this pins that
    // the emulator (like DynamoDB) does return it, so the fallback only runs for "gone".
    use aws_sdk_dynamodb::types::{AttributeValue, ReturnValuesOnConditionCheckFailure};
    let store = Moto::shared().await.store().await;
    store.put(item("P", "S", 1), Condition::None).await.unwrap();
    let err = store
        .client()
        .put_item()
        .table_name(store.table_name())
        .item("pk", AttributeValue::S("P".into()))
        .item("sk", AttributeValue::S("S".into()))
        .condition_expression("attribute_not_exists(pk)")
        .return_values_on_condition_check_failure(ReturnValuesOnConditionCheckFailure::AllOld)
        .send()
        .await
        .unwrap_err();
    let service = err.into_service_error();
    assert!(service.is_conditional_check_failed_exception());
    let aws_sdk_dynamodb::operation::put_item::PutItemError::ConditionalCheckFailedException(c) = service else {
        unreachable!()
    };
    assert_eq!(c.item().and_then(|i| i.get("version")), Some(&AttributeValue::N("1".into())));
}
