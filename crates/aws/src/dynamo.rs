//! `ItemStore` over one DynamoDB table (single-table design, overloaded GSIs).
//!
//! Items whose `expires_at` has passed are treated as gone everywhere — reads, query pages and
//! write conditions — because DynamoDB deletes expired items lazily (often days later), and the
//! embedded store must behave the same.

use async_trait::async_trait;
use aws_sdk_dynamodb::Client;
use aws_sdk_dynamodb::error::{ProvideErrorMetadata, SdkError};
use aws_sdk_dynamodb::types::{
    AttributeValue, ConditionCheck, Delete, Put, ReturnValue, ReturnValuesOnConditionCheckFailure, TransactWriteItem,
    Update,
};
use clearview_core::ports::clock::{Clock, SystemClock};
use clearview_core::ports::store::{
    Condition, Index, Item, ItemStore, Key, Page, PageToken, Query, StoreError, TxOp, TxWrite, attr,
};
use std::collections::{BTreeMap, HashMap, HashSet};
use std::sync::Arc;

type Attrs = HashMap<String, AttributeValue>;

/// Most writes DynamoDB accepts in one TransactWriteItems.
pub const MAX_TRANSACTION_WRITES: usize = 100;
/// Largest page a query may ask for.
pub const MAX_PAGE: usize = 1000;

/// The DynamoDB item store.
#[derive(Clone)]
pub struct DynamoStore {
    client: Client,
    table: String,
    clock: Arc<dyn Clock>,
}

impl std::fmt::Debug for DynamoStore {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("DynamoStore").field("table", &self.table).finish_non_exhaustive()
    }
}

impl DynamoStore {
    pub fn new(client: Client, table: impl Into<String>) -> Self {
        Self { client, table: table.into(), clock: Arc::new(SystemClock) }
    }

    /// Uses `clock` to decide which items have expired (tests fix it).
    pub fn with_clock(mut self, clock: Arc<dyn Clock>) -> Self {
        self.clock = clock;
        self
    }

    pub fn table_name(&self) -> &str {
        &self.table
    }

    pub fn client(&self) -> &Client {
        &self.client
    }

    fn now(&self) -> i64 {
        self.clock.now().unix_timestamp()
    }

    fn expired(&self, item: &Item) -> bool {
        item.expires_at.is_some_and(|t| t < self.now())
    }

    /// Reads a raw item, dropping it if expired.
    fn live(&self, attrs: Option<&Attrs>) -> Result<Option<Item>, StoreError> {
        match attrs {
            None => Ok(None),
            Some(a) if a.is_empty() => Ok(None),
            Some(a) => {
                let item = from_attrs(a)?;
                Ok((!self.expired(&item)).then_some(item))
            }
        }
    }

    async fn consistent_get(&self, key: &Key) -> Result<Option<Item>, StoreError> {
        let out = self
            .client
            .get_item()
            .table_name(&self.table)
            .set_key(Some(key_attrs(key)))
            .consistent_read(true)
            .send()
            .await
            .map_err(sdk_error)?;
        self.live(out.item())
    }

    /// What a failed single-item condition saw: the ALL_OLD item DynamoDB returned, or — when
    /// it returned none (nothing stored, or an emulator that ignores ALL_OLD) — a consistent read.
    async fn current_after_failure(
        &self,
        key: &Key,
        returned: Option<&Attrs>,
    ) -> Result<Option<Box<Item>>, StoreError> {
        let current = match returned {
            Some(a) if !a.is_empty() => self.live(Some(a))?,
            _ => self.consistent_get(key).await?,
        };
        Ok(current.map(Box::new))
    }
}

/// A condition expression with its names and values; expired items count as absent.
struct Cond {
    expression: String,
    names: HashMap<String, String>,
    values: Attrs,
}

fn condition(c: Condition, now: i64) -> Option<Cond> {
    // DynamoDB refuses names and values the expression does not use, so each arm lists its own.
    const ALIVE: &str = "(attribute_not_exists(#exp) OR #exp >= :now)";
    let name = |k: &str, v: &str| (k.to_owned(), v.to_owned());
    let now = (":now".to_owned(), AttributeValue::N(now.to_string()));
    let (expression, names, values) = match c {
        Condition::None => return None,
        Condition::NotExists => (
            "attribute_not_exists(#pk) OR #exp < :now".to_owned(),
            HashMap::from([name("#pk", attr::PK), name("#exp", attr::EXPIRES_AT)]),
            Attrs::from([now]),
        ),
        Condition::Exists => (
            format!("attribute_exists(#pk) AND {ALIVE}"),
            HashMap::from([name("#pk", attr::PK), name("#exp", attr::EXPIRES_AT)]),
            Attrs::from([now]),
        ),
        Condition::VersionIs(v) => (
            format!("#v = :v AND {ALIVE}"),
            HashMap::from([name("#v", attr::VERSION), name("#exp", attr::EXPIRES_AT)]),
            Attrs::from([now, (":v".to_owned(), AttributeValue::N(v.to_string()))]),
        ),
    };
    Some(Cond { expression, names, values })
}

/// A condition that always holds (a transaction `Check` with `Condition::None`).
fn always() -> Cond {
    Cond {
        expression: "attribute_exists(#pk) OR attribute_not_exists(#pk)".into(),
        names: HashMap::from([("#pk".to_owned(), attr::PK.to_owned())]),
        values: Attrs::new(),
    }
}

fn key_attrs(key: &Key) -> Attrs {
    HashMap::from([
        (attr::PK.to_owned(), AttributeValue::S(key.pk.clone())),
        (attr::SK.to_owned(), AttributeValue::S(key.sk.clone())),
    ])
}

/// Item → DynamoDB attributes (`data` as a Map via serde_dynamo).
pub fn to_attrs(item: &Item) -> Result<Attrs, StoreError> {
    check_item(item)?;
    if !item.data.is_object() {
        return Err(StoreError::Invalid("item data must be a JSON object".into()));
    }
    let mut a = key_attrs(&item.key);
    for index in Index::ALL {
        if let Some(k) = item.index_key(index) {
            a.insert(index.pk_attr().into(), AttributeValue::S(k.pk.clone()));
            a.insert(index.sk_attr().into(), AttributeValue::S(k.sk.clone()));
        }
    }
    a.insert(attr::ENTITY.into(), AttributeValue::S(item.entity.clone()));
    a.insert(attr::VERSION.into(), AttributeValue::N(item.version.to_string()));
    if let Some(t) = item.expires_at {
        a.insert(attr::EXPIRES_AT.into(), AttributeValue::N(t.to_string()));
    }
    let data: AttributeValue = serde_dynamo::to_attribute_value(&item.data)
        .map_err(|e| StoreError::Invalid(format!("item data cannot be stored: {e}")))?;
    a.insert(attr::DATA.into(), data);
    Ok(a)
}

/// DynamoDB attributes → Item; anything malformed is `Corrupt`.
pub fn from_attrs(a: &Attrs) -> Result<Item, StoreError> {
    let s = |name: &str| -> Result<String, StoreError> {
        match a.get(name) {
            Some(AttributeValue::S(v)) => Ok(v.clone()),
            _ => Err(StoreError::Corrupt(format!("attribute {name} is missing or not a string"))),
        }
    };
    let opt_s = |name: &str| match a.get(name) {
        Some(AttributeValue::S(v)) => Some(v.clone()),
        _ => None,
    };
    let n = |name: &str| -> Result<Option<&str>, StoreError> {
        match a.get(name) {
            None | Some(AttributeValue::Null(_)) => Ok(None),
            Some(AttributeValue::N(v)) => Ok(Some(v.as_str())),
            Some(_) => Err(StoreError::Corrupt(format!("attribute {name} is not a number"))),
        }
    };
    let index_key = |index: Index| match (opt_s(index.pk_attr()), opt_s(index.sk_attr())) {
        (Some(pk), Some(sk)) => Some(Key { pk, sk }),
        _ => None,
    };
    let version = n(attr::VERSION)?
        .ok_or_else(|| StoreError::Corrupt("attribute version is missing".into()))?
        .parse::<u64>()
        .map_err(|e| StoreError::Corrupt(format!("attribute version: {e}")))?;
    let expires_at = n(attr::EXPIRES_AT)?
        .map(|v| v.parse::<i64>().map_err(|e| StoreError::Corrupt(format!("attribute expires_at: {e}"))))
        .transpose()?;
    let mut data = match a.get(attr::DATA) {
        None => serde_json::Value::Object(Default::default()),
        Some(v) => serde_dynamo::from_attribute_value(v.clone())
            .map_err(|e| StoreError::Corrupt(format!("attribute data: {e}")))?,
    };
    // A counter item (TxOp::Add) keeps its total in a top-level number, where ADD can reach it.
    if let Some(count) = n(attr::COUNT)? {
        let count: i64 = count.parse().map_err(|e| StoreError::Corrupt(format!("attribute count: {e}")))?;
        data[attr::COUNT] = serde_json::json!(count);
    }
    // So do the named counters of `add_counts`, as `n_<name>`.
    for (name, value) in a {
        if let (Some(counter), AttributeValue::N(v)) = (name.strip_prefix(attr::COUNTER_PREFIX), value) {
            let v: i64 = v.parse().map_err(|e| StoreError::Corrupt(format!("attribute {name}: {e}")))?;
            data[counter] = serde_json::json!(v);
        }
    }
    Ok(Item {
        key: Key { pk: s(attr::PK)?, sk: s(attr::SK)? },
        gsi1: index_key(Index::Gsi1),
        gsi2: index_key(Index::Gsi2),
        entity: s(attr::ENTITY)?,
        version,
        expires_at,
        data,
    })
}

/// Maps an SDK failure that is not a condition failure.
pub(crate) fn sdk_error<E, R>(err: SdkError<E, R>) -> StoreError
where
    E: ProvideErrorMetadata + std::error::Error + 'static,
    R: std::fmt::Debug,
{
    match &err {
        SdkError::ServiceError(service) => {
            let e = service.err();
            let code = e.code().unwrap_or("Unknown");
            let message = format!("{code}: {}", e.message().unwrap_or_default());
            match code {
                "ProvisionedThroughputExceededException"
                | "ThrottlingException"
                | "RequestLimitExceeded"
                | "TransactionConflictException"
                | "TransactionInProgressException" => StoreError::Throttled(message),
                "InternalServerError" | "ServiceUnavailable" => StoreError::Unavailable(message),
                "ResourceNotFoundException" => StoreError::Unavailable(format!("the table does not exist ({message})")),
                _ => StoreError::Invalid(message),
            }
        }
        SdkError::TimeoutError(_) | SdkError::DispatchFailure(_) | SdkError::ResponseError(_) => {
            StoreError::Unavailable(aws_sdk_dynamodb::error::DisplayErrorContext(&err).to_string())
        }
        _ => StoreError::Invalid(aws_sdk_dynamodb::error::DisplayErrorContext(&err).to_string()),
    }
}

/// DynamoDB refuses empty strings as key attributes; say so before the round trip.
fn check_key(what: &str, key: &Key) -> Result<(), StoreError> {
    if key.pk.is_empty() || key.sk.is_empty() {
        return Err(StoreError::Invalid(format!("{what} attributes must not be empty strings")));
    }
    Ok(())
}

fn check_item(item: &Item) -> Result<(), StoreError> {
    check_key("key", &item.key)?;
    for index in Index::ALL {
        if let Some(k) = item.index_key(index) {
            check_key(index.name(), k)?;
        }
    }
    Ok(())
}

fn validate_transaction(writes: &[TxWrite]) -> Result<(), StoreError> {
    if writes.is_empty() {
        return Err(StoreError::Invalid("a transaction needs at least one write".into()));
    }
    if writes.len() > MAX_TRANSACTION_WRITES {
        return Err(StoreError::Invalid(format!(
            "a transaction holds at most {MAX_TRANSACTION_WRITES} writes (got {})",
            writes.len()
        )));
    }
    let mut seen = HashSet::new();
    for w in writes {
        check_key("key", w.op.key())?;
        if let TxOp::Put { item, .. } = &w.op {
            check_item(item)?;
        }
        if !seen.insert(w.op.key()) {
            let k = w.op.key();
            return Err(StoreError::Invalid(format!(
                "a transaction may touch each key once; ({}, {}) appears twice",
                k.pk, k.sk
            )));
        }
    }
    Ok(())
}

impl DynamoStore {
    fn tx_item(&self, write: &TxWrite, now: i64) -> Result<TransactWriteItem, StoreError> {
        let build = |e: aws_sdk_dynamodb::error::BuildError| StoreError::Invalid(e.to_string());
        let on_fail = ReturnValuesOnConditionCheckFailure::AllOld;
        let item = match &write.op {
            TxOp::Put { item, condition: c } => {
                let cond = condition(*c, now);
                let put = Put::builder()
                    .table_name(&self.table)
                    .set_item(Some(to_attrs(item)?))
                    .return_values_on_condition_check_failure(on_fail);
                let put = match cond {
                    Some(c) => put
                        .condition_expression(c.expression)
                        .set_expression_attribute_names(Some(c.names))
                        .set_expression_attribute_values(non_empty(c.values)),
                    None => put,
                };
                TransactWriteItem::builder().put(put.build().map_err(build)?).build()
            }
            TxOp::Delete { key, condition: c } => {
                let del = Delete::builder()
                    .table_name(&self.table)
                    .set_key(Some(key_attrs(key)))
                    .return_values_on_condition_check_failure(on_fail);
                let del = match condition(*c, now) {
                    Some(c) => del
                        .condition_expression(c.expression)
                        .set_expression_attribute_names(Some(c.names))
                        .set_expression_attribute_values(non_empty(c.values)),
                    None => del,
                };
                TransactWriteItem::builder().delete(del.build().map_err(build)?).build()
            }
            TxOp::Check { key, condition: c } => {
                let c = condition(*c, now).unwrap_or_else(always);
                let check = ConditionCheck::builder()
                    .table_name(&self.table)
                    .set_key(Some(key_attrs(key)))
                    .condition_expression(c.expression)
                    .set_expression_attribute_names(Some(c.names))
                    .set_expression_attribute_values(non_empty(c.values))
                    .return_values_on_condition_check_failure(on_fail);
                TransactWriteItem::builder().condition_check(check.build().map_err(build)?).build()
            }
            TxOp::Add { key, entity, gsi1, delta } => {
                let mut names = HashMap::from([
                    ("#e".to_owned(), attr::ENTITY.to_owned()),
                    ("#c".to_owned(), attr::COUNT.to_owned()),
                    ("#v".to_owned(), attr::VERSION.to_owned()),
                ]);
                let mut values = HashMap::from([
                    (":e".to_owned(), AttributeValue::S(entity.clone())),
                    (":d".to_owned(), AttributeValue::N(delta.to_string())),
                    (":one".to_owned(), AttributeValue::N("1".into())),
                ]);
                let mut set = "SET #e = if_not_exists(#e, :e)".to_owned();
                if let Some(g) = gsi1 {
                    names.insert("#g1pk".into(), Index::Gsi1.pk_attr().into());
                    names.insert("#g1sk".into(), Index::Gsi1.sk_attr().into());
                    values.insert(":g1pk".into(), AttributeValue::S(g.pk.clone()));
                    values.insert(":g1sk".into(), AttributeValue::S(g.sk.clone()));
                    set.push_str(", #g1pk = :g1pk, #g1sk = :g1sk");
                }
                let update = Update::builder()
                    .table_name(&self.table)
                    .set_key(Some(key_attrs(key)))
                    .update_expression(format!("{set} ADD #c :d, #v :one"))
                    .set_expression_attribute_names(Some(names))
                    .set_expression_attribute_values(Some(values));
                TransactWriteItem::builder().update(update.build().map_err(build)?).build()
            }
        };
        Ok(item)
    }
}

/// DynamoDB refuses an empty ExpressionAttributeValues map.
fn non_empty(values: Attrs) -> Option<Attrs> {
    (!values.is_empty()).then_some(values)
}

/// The names of the attributes a page token must hold for a query.
fn token_attrs(index: Option<Index>) -> Vec<&'static str> {
    let mut names = vec![attr::PK, attr::SK];
    if let Some(i) = index {
        names.extend([i.pk_attr(), i.sk_attr()]);
    }
    names
}

fn token_of(item: &Item, index: Option<Index>) -> Result<PageToken, StoreError> {
    let mut map =
        BTreeMap::from([(attr::PK.to_owned(), item.key.pk.clone()), (attr::SK.to_owned(), item.key.sk.clone())]);
    if let Some(i) = index {
        let k = item
            .index_key(i)
            .ok_or_else(|| StoreError::Corrupt(format!("item returned by {} has no key for it", i.name())))?;
        map.insert(i.pk_attr().into(), k.pk.clone());
        map.insert(i.sk_attr().into(), k.sk.clone());
    }
    Ok(PageToken(map))
}

fn start_key(token: &PageToken, index: Option<Index>) -> Result<Attrs, StoreError> {
    let wanted = token_attrs(index);
    if token.0.len() != wanted.len() || wanted.iter().any(|w| !token.0.contains_key(*w)) {
        return Err(StoreError::Invalid(format!("page token must hold exactly {}", wanted.join(", "))));
    }
    Ok(token.0.iter().map(|(k, v)| (k.clone(), AttributeValue::S(v.clone()))).collect())
}

#[async_trait]
impl ItemStore for DynamoStore {
    async fn get(&self, key: &Key) -> Result<Option<Item>, StoreError> {
        check_key("key", key)?;
        self.consistent_get(key).await
    }

    async fn put(&self, item: Item, condition_: Condition) -> Result<(), StoreError> {
        let key = item.key.clone();
        let mut req = self
            .client
            .put_item()
            .table_name(&self.table)
            .set_item(Some(to_attrs(&item)?))
            .return_values_on_condition_check_failure(ReturnValuesOnConditionCheckFailure::AllOld);
        if let Some(c) = condition(condition_, self.now()) {
            req = req
                .condition_expression(c.expression)
                .set_expression_attribute_names(Some(c.names))
                .set_expression_attribute_values(non_empty(c.values));
        }
        match req.send().await {
            Ok(_) => Ok(()),
            Err(err) => match err.as_service_error() {
                Some(e) if e.is_conditional_check_failed_exception() => {
                    let returned = match e {
                        aws_sdk_dynamodb::operation::put_item::PutItemError::ConditionalCheckFailedException(c) => {
                            c.item().cloned()
                        }
                        _ => None,
                    };
                    let current = self.current_after_failure(&key, returned.as_ref()).await?;
                    Err(StoreError::ConditionFailed { current })
                }
                _ => Err(sdk_error(err)),
            },
        }
    }

    async fn delete(&self, key: &Key, condition_: Condition) -> Result<Option<Item>, StoreError> {
        check_key("key", key)?;
        let mut req = self
            .client
            .delete_item()
            .table_name(&self.table)
            .set_key(Some(key_attrs(key)))
            .return_values(ReturnValue::AllOld)
            .return_values_on_condition_check_failure(ReturnValuesOnConditionCheckFailure::AllOld);
        if let Some(c) = condition(condition_, self.now()) {
            req = req
                .condition_expression(c.expression)
                .set_expression_attribute_names(Some(c.names))
                .set_expression_attribute_values(non_empty(c.values));
        }
        match req.send().await {
            Ok(out) => self.live(out.attributes()),
            Err(err) => match err.as_service_error() {
                Some(e) if e.is_conditional_check_failed_exception() => {
                    let returned = match e {
                        aws_sdk_dynamodb::operation::delete_item::DeleteItemError::ConditionalCheckFailedException(
                            c,
                        ) => c.item().cloned(),
                        _ => None,
                    };
                    let current = self.current_after_failure(key, returned.as_ref()).await?;
                    Err(StoreError::ConditionFailed { current })
                }
                _ => Err(sdk_error(err)),
            },
        }
    }

    async fn transact(&self, writes: Vec<TxWrite>) -> Result<(), StoreError> {
        validate_transaction(&writes)?;
        let now = self.now();
        let items = writes.iter().map(|w| self.tx_item(w, now)).collect::<Result<Vec<_>, _>>()?;
        let err = match self.client.transact_write_items().set_transact_items(Some(items)).send().await {
            Ok(_) => return Ok(()),
            Err(err) => err,
        };
        let Some(
            aws_sdk_dynamodb::operation::transact_write_items::TransactWriteItemsError::TransactionCanceledException(
                canceled,
            ),
        ) = err.as_service_error()
        else {
            return Err(sdk_error(err));
        };
        let reasons = canceled.cancellation_reasons();
        let code_at = |i: usize| reasons.get(i).and_then(|r| r.code()).unwrap_or("None");
        let failed: Vec<String> = writes
            .iter()
            .enumerate()
            .filter(|(i, _)| code_at(*i) == "ConditionalCheckFailed")
            .map(|(_, w)| w.label.clone())
            .collect();
        if !failed.is_empty() {
            return Err(StoreError::TransactionCanceled { failed });
        }
        let codes: Vec<&str> = (0..writes.len()).map(code_at).filter(|c| *c != "None").collect();
        let message = format!("transaction canceled: {codes:?}");
        if codes
            .iter()
            .any(|c| matches!(*c, "TransactionConflict" | "ThrottlingError" | "ProvisionedThroughputExceeded"))
        {
            Err(StoreError::Throttled(message))
        } else if codes.contains(&"ValidationError") {
            Err(StoreError::Invalid(message))
        } else {
            Err(StoreError::Unavailable(message))
        }
    }

    /// One `UpdateItem`: `SET` the entity and TTL if absent, `ADD` each counter, `UPDATED_NEW`.
    /// The key names the window, so an expired item DynamoDB has not swept yet is never reused.
    async fn add_counts(
        &self,
        key: &Key,
        entity: &str,
        expires_at: i64,
        deltas: &[(&str, i64)],
    ) -> Result<Vec<i64>, StoreError> {
        clearview_core::ports::store::check_counts(key, deltas)?;
        let mut names = HashMap::from([
            ("#e".to_owned(), attr::ENTITY.to_owned()),
            ("#exp".to_owned(), attr::EXPIRES_AT.to_owned()),
            ("#v".to_owned(), attr::VERSION.to_owned()),
        ]);
        let mut values = HashMap::from([
            (":e".to_owned(), AttributeValue::S(entity.to_owned())),
            (":exp".to_owned(), AttributeValue::N(expires_at.to_string())),
            (":one".to_owned(), AttributeValue::N("1".into())),
        ]);
        let mut adds = vec!["#v :one".to_owned()];
        for (i, (name, delta)) in deltas.iter().enumerate() {
            names.insert(format!("#n{i}"), format!("{}{name}", attr::COUNTER_PREFIX));
            values.insert(format!(":d{i}"), AttributeValue::N(delta.to_string()));
            adds.push(format!("#n{i} :d{i}"));
        }
        let out = self
            .client
            .update_item()
            .table_name(&self.table)
            .set_key(Some(key_attrs(key)))
            .update_expression(format!(
                "SET #e = if_not_exists(#e, :e), #exp = if_not_exists(#exp, :exp) ADD {}",
                adds.join(", ")
            ))
            .set_expression_attribute_names(Some(names))
            .set_expression_attribute_values(Some(values))
            .return_values(ReturnValue::UpdatedNew)
            .send()
            .await
            .map_err(sdk_error)?;
        let attrs = out.attributes().cloned().unwrap_or_default();
        deltas
            .iter()
            .map(|(name, _)| match attrs.get(&format!("{}{name}", attr::COUNTER_PREFIX)) {
                Some(AttributeValue::N(v)) => {
                    v.parse::<i64>().map_err(|e| StoreError::Corrupt(format!("counter {name}: {e}")))
                }
                _ => Err(StoreError::Corrupt(format!("UpdateItem returned no value for counter {name}"))),
            })
            .collect()
    }

    async fn query(&self, query: &Query) -> Result<Page, StoreError> {
        if query.limit == 0 || query.limit > MAX_PAGE {
            return Err(StoreError::Invalid(format!("page size must be 1..={MAX_PAGE} (got {})", query.limit)));
        }
        let (pk_attr, sk_attr) = match query.index {
            None => (attr::PK, attr::SK),
            Some(i) => (i.pk_attr(), i.sk_attr()),
        };
        let mut names =
            HashMap::from([("#qpk".to_owned(), pk_attr.to_owned()), ("#exp".to_owned(), attr::EXPIRES_AT.to_owned())]);
        let mut values = HashMap::from([
            (":qpk".to_owned(), AttributeValue::S(query.pk.clone())),
            (":now".to_owned(), AttributeValue::N(self.now().to_string())),
        ]);
        let mut key_condition = "#qpk = :qpk".to_owned();
        if query.sk_prefix.is_some() && query.sk_between.is_some() {
            return Err(StoreError::Invalid("a query takes a sort-key prefix or a range, not both".into()));
        }
        if let Some((from, to)) = &query.sk_between {
            names.insert("#qsk".into(), sk_attr.into());
            values.insert(":to".into(), AttributeValue::S(to.clone()));
            if from.is_empty() {
                // DynamoDB refuses an empty key value; every sort key is at least "".
                key_condition.push_str(" AND #qsk <= :to");
            } else {
                values.insert(":from".into(), AttributeValue::S(from.clone()));
                key_condition.push_str(" AND #qsk BETWEEN :from AND :to");
            }
        }
        if let Some(prefix) = &query.sk_prefix {
            names.insert("#qsk".into(), sk_attr.into());
            values.insert(":prefix".into(), AttributeValue::S(prefix.clone()));
            key_condition.push_str(" AND begins_with(#qsk, :prefix)");
        }
        let mut start = query.start_after.as_ref().map(|t| start_key(t, query.index)).transpose()?;

        // Ask for one more item than the page holds, so `next` is present only when more
        // items exist; repeat while the filter on expiry (applied after Limit) left us short.
        let mut items = Vec::with_capacity(query.limit + 1);
        loop {
            let want = query.limit + 1 - items.len();
            let out = self
                .client
                .query()
                .table_name(&self.table)
                .set_index_name(query.index.map(|i| i.name().to_owned()))
                .key_condition_expression(&key_condition)
                .filter_expression("attribute_not_exists(#exp) OR #exp >= :now")
                .set_expression_attribute_names(Some(names.clone()))
                .set_expression_attribute_values(Some(values.clone()))
                .scan_index_forward(!query.descending)
                .limit(i32::try_from(want).unwrap_or(i32::MAX))
                .consistent_read(query.index.is_none())
                .set_exclusive_start_key(start.take())
                .send()
                .await
                .map_err(sdk_error)?;
            for a in out.items() {
                if let Some(item) = self.live(Some(a))? {
                    items.push(item);
                }
            }
            match out.last_evaluated_key() {
                Some(k) if !k.is_empty() && items.len() <= query.limit => start = Some(k.clone()),
                _ => break,
            }
        }
        let next = if items.len() > query.limit {
            items.truncate(query.limit);
            items.last().map(|last| token_of(last, query.index)).transpose()?
        } else {
            None
        };
        Ok(Page { items, next })
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn item() -> Item {
        Item {
            key: Key::new("ORG#1", "JOB#1"),
            gsi1: Some(Key::new("ORG#1#JOBS", "2024-01-01")),
            gsi2: None,
            entity: "Job".into(),
            version: 3,
            expires_at: Some(1_900_000_000),
            data: json!({"title": "Engineer", "tags": ["a", "b"], "n": 3, "nested": {"ok": true}, "none": null}),
        }
    }

    #[test]
    fn item_round_trips_through_attributes() {
        let a = to_attrs(&item()).unwrap();
        assert!(matches!(a.get("data"), Some(AttributeValue::M(_))));
        assert_eq!(a.get("version"), Some(&AttributeValue::N("3".into())));
        assert!(!a.contains_key("gsi2pk"));
        assert_eq!(from_attrs(&a).unwrap(), item());
    }

    #[test]
    fn non_object_data_is_refused() {
        let mut i = item();
        i.data = json!([1, 2]);
        assert!(matches!(to_attrs(&i), Err(StoreError::Invalid(_))));
    }

    #[test]
    fn missing_version_is_corrupt() {
        let mut a = to_attrs(&item()).unwrap();
        a.remove("version");
        assert!(matches!(from_attrs(&a), Err(StoreError::Corrupt(_))));
    }

    #[test]
    fn transaction_with_a_key_twice_is_invalid() {
        let w = vec![TxWrite::put("a", item(), Condition::None), TxWrite::check("b", item().key, Condition::Exists)];
        assert!(matches!(validate_transaction(&w), Err(StoreError::Invalid(_))));
    }

    #[test]
    fn empty_transaction_and_empty_keys_are_invalid() {
        assert!(matches!(validate_transaction(&[]), Err(StoreError::Invalid(_))));
        let w = [TxWrite::check("c", Key::new("P", ""), Condition::Exists)];
        assert!(matches!(validate_transaction(&w), Err(StoreError::Invalid(_))));
        let mut i = item();
        i.gsi2 = Some(Key::new("", "x"));
        assert!(matches!(to_attrs(&i), Err(StoreError::Invalid(_))));
    }

    #[test]
    fn transaction_over_one_hundred_writes_is_invalid() {
        let w: Vec<_> = (0..101)
            .map(|i| TxWrite::check(format!("c{i}"), Key::new("P", format!("S{i}")), Condition::Exists))
            .collect();
        assert!(matches!(validate_transaction(&w), Err(StoreError::Invalid(_))));
        assert!(validate_transaction(&w[..100]).is_ok());
    }

    #[test]
    fn index_page_token_holds_table_and_index_keys() {
        let t = token_of(&item(), Some(Index::Gsi1)).unwrap();
        assert_eq!(t.0.keys().map(String::as_str).collect::<Vec<_>>(), ["gsi1pk", "gsi1sk", "pk", "sk"]);
        assert!(start_key(&t, Some(Index::Gsi1)).is_ok());
        assert!(matches!(start_key(&t, None), Err(StoreError::Invalid(_))));
    }
}
