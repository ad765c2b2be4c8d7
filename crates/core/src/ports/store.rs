//! The item store: DynamoDB's single-table semantics, narrowed to what the use cases need.
//!
//! Items have a table key (`pk`, `sk`), up to two overloaded index keys (`gsi1`, `gsi2`), an
//! entity name, a version for optimistic locking, an optional TTL, and a JSON object body.
//! Both adapters (DynamoDB, embedded SQLite) must pass the same contract suite
//! (`clearview-contract`): conditions, transactions that name the failed condition, key-prefix
//! and index queries in sort-key order, and resumable pages.

use async_trait::async_trait;
use serde::{Deserialize, Serialize};
use std::collections::BTreeMap;

/// A table key, or an index key (the pair of partition and sort values).
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
pub struct Key {
    pub pk: String,
    pub sk: String,
}

impl Key {
    pub fn new(pk: impl Into<String>, sk: impl Into<String>) -> Self {
        Self { pk: pk.into(), sk: sk.into() }
    }
}

/// The table's global secondary indexes (overloaded: each entity decides what goes in them).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
pub enum Index {
    Gsi1,
    Gsi2,
}

impl Index {
    pub const ALL: [Index; 2] = [Index::Gsi1, Index::Gsi2];
    pub fn name(self) -> &'static str {
        match self {
            Index::Gsi1 => "gsi1",
            Index::Gsi2 => "gsi2",
        }
    }
    pub fn pk_attr(self) -> &'static str {
        match self {
            Index::Gsi1 => "gsi1pk",
            Index::Gsi2 => "gsi2pk",
        }
    }
    pub fn sk_attr(self) -> &'static str {
        match self {
            Index::Gsi1 => "gsi1sk",
            Index::Gsi2 => "gsi2sk",
        }
    }
}

/// Attribute names of the physical table, one place for every adapter and the IaC.
pub mod attr {
    pub const PK: &str = "pk";
    pub const SK: &str = "sk";
    pub const ENTITY: &str = "entity";
    pub const VERSION: &str = "version";
    pub const EXPIRES_AT: &str = "expires_at";
    pub const DATA: &str = "data";
    /// The value of a counter item ([`super::TxOp::Add`]); read back as `data.count`.
    pub const COUNT: &str = "count";
    /// DynamoDB keeps a named counter of [`super::ItemStore::add_counts`] in the top-level
    /// number `n_<name>` (where `ADD` can reach it); it is read back as `data.<name>`.
    pub const COUNTER_PREFIX: &str = "n_";
}

/// Whether `name` may name a counter of [`ItemStore::add_counts`]: 1 to 32 ASCII letters, digits
/// or `_` (it becomes part of an attribute name).
pub fn valid_counter_name(name: &str) -> bool {
    (1..=32).contains(&name.len()) && name.bytes().all(|b| b.is_ascii_alphanumeric() || b == b'_')
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Item {
    pub key: Key,
    pub gsi1: Option<Key>,
    pub gsi2: Option<Key>,
    /// Entity name (`Job`, `User` …): lets a reader of the raw table tell items apart.
    pub entity: String,
    /// Optimistic-lock version; the writer sets it, conditions compare against it.
    pub version: u64,
    /// TTL in epoch seconds: the store may delete the item after this.
    pub expires_at: Option<i64>,
    /// The entity's fields; always a JSON object.
    pub data: serde_json::Value,
}

impl Item {
    pub fn index_key(&self, index: Index) -> Option<&Key> {
        match index {
            Index::Gsi1 => self.gsi1.as_ref(),
            Index::Gsi2 => self.gsi2.as_ref(),
        }
    }
}

/// A condition on the item currently stored under a key.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub enum Condition {
    /// No condition.
    None,
    /// `attribute_not_exists(pk)`.
    NotExists,
    /// `attribute_exists(pk)`.
    Exists,
    /// `version = :v` (which implies it exists).
    VersionIs(u64),
}

#[derive(Debug, Clone, PartialEq)]
pub enum TxOp {
    Put {
        item: Item,
        condition: Condition,
    },
    Delete {
        key: Key,
        condition: Condition,
    },
    /// Only checks the condition; writes nothing.
    Check {
        key: Key,
        condition: Condition,
    },
    /// Adds `delta` to the counter item under `key` (DynamoDB `ADD`), creating it at 0 with
    /// this entity and `gsi1` if it does not exist. Read back, it is an item whose
    /// `data.count` is the total. Only counter items may be added to.
    Add {
        key: Key,
        entity: String,
        gsi1: Option<Key>,
        delta: i64,
    },
}

impl TxOp {
    pub fn key(&self) -> &Key {
        match self {
            TxOp::Put { item, .. } => &item.key,
            TxOp::Delete { key, .. } | TxOp::Check { key, .. } | TxOp::Add { key, .. } => key,
        }
    }
}

/// One write of a transaction, with a label that names it if its condition fails
/// (for example `email-unique`), so callers can say *which* rule refused the write.
#[derive(Debug, Clone, PartialEq)]
pub struct TxWrite {
    pub label: String,
    pub op: TxOp,
}

impl TxWrite {
    pub fn put(label: impl Into<String>, item: Item, condition: Condition) -> Self {
        Self { label: label.into(), op: TxOp::Put { item, condition } }
    }
    pub fn delete(label: impl Into<String>, key: Key, condition: Condition) -> Self {
        Self { label: label.into(), op: TxOp::Delete { key, condition } }
    }
    pub fn check(label: impl Into<String>, key: Key, condition: Condition) -> Self {
        Self { label: label.into(), op: TxOp::Check { key, condition } }
    }
    /// An atomic counter change (see [`TxOp::Add`]).
    pub fn add(label: impl Into<String>, key: Key, entity: impl Into<String>, gsi1: Option<Key>, delta: i64) -> Self {
        Self { label: label.into(), op: TxOp::Add { key, entity: entity.into(), gsi1, delta } }
    }
}

/// Where a page stopped: the last item's table key and, for index queries, its index key.
/// Adapters build and read it; the HTTP layer seals it into a signed, opaque cursor.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct PageToken(pub BTreeMap<String, String>);

impl PageToken {
    /// The token of a page that ends at `item` (DynamoDB's LastEvaluatedKey for it): a
    /// filtered list may stop inside a page the store returned.
    pub fn at(item: &Item, index: Option<Index>) -> Self {
        Self::of(&item.key, index.and_then(|i| item.index_key(i).map(|k| (i, k))))
    }

    /// The token of a page that ends at the item with this table key and, for an index query,
    /// this key in the index.
    pub fn of(key: &Key, index_key: Option<(Index, &Key)>) -> Self {
        let mut m = BTreeMap::new();
        m.insert(attr::PK.to_owned(), key.pk.clone());
        m.insert(attr::SK.to_owned(), key.sk.clone());
        if let Some((index, k)) = index_key {
            m.insert(index.pk_attr().to_owned(), k.pk.clone());
            m.insert(index.sk_attr().to_owned(), k.sk.clone());
        }
        Self(m)
    }
}

#[derive(Debug, Clone, PartialEq)]
pub struct Query {
    /// `None` queries the table itself.
    pub index: Option<Index>,
    pub pk: String,
    /// `begins_with(sk, :prefix)` on the table's or the index's sort key.
    pub sk_prefix: Option<String>,
    /// `sk BETWEEN :from AND :to` (both inclusive); not combined with `sk_prefix`.
    pub sk_between: Option<(String, String)>,
    /// At most this many items per page (1..=1000).
    pub limit: usize,
    pub start_after: Option<PageToken>,
    /// Highest sort key first.
    pub descending: bool,
}

impl Query {
    pub fn table(pk: impl Into<String>) -> Self {
        Self {
            index: None,
            pk: pk.into(),
            sk_prefix: None,
            sk_between: None,
            limit: 100,
            start_after: None,
            descending: false,
        }
    }
    pub fn index(index: Index, pk: impl Into<String>) -> Self {
        Self { index: Some(index), ..Self::table(pk) }
    }
    pub fn prefix(mut self, prefix: impl Into<String>) -> Self {
        self.sk_prefix = Some(prefix.into());
        self
    }
    /// Sort keys from `from` to `to`, both inclusive.
    pub fn between(mut self, from: impl Into<String>, to: impl Into<String>) -> Self {
        self.sk_between = Some((from.into(), to.into()));
        self
    }
    pub fn limit(mut self, limit: usize) -> Self {
        self.limit = limit;
        self
    }
    pub fn after(mut self, token: Option<PageToken>) -> Self {
        self.start_after = token;
        self
    }
    pub fn descending(mut self) -> Self {
        self.descending = true;
        self
    }
}

#[derive(Debug, Clone, PartialEq, Default)]
pub struct Page {
    pub items: Vec<Item>,
    /// Present when there may be more items; pass it back as `start_after`.
    pub next: Option<PageToken>,
}

/// What a typed reader ([`crate::record`]) needs of an item: its key (to name it in an error),
/// its entity, and its data, still encoded where the store keeps it encoded. The embedded store
/// hands out the JSON text it stores, so a record is decoded from it in one pass, without
/// building a `serde_json::Value` first (that tree and its decoding were 12% of the dev server's
/// CPU under `make bench-load`).
#[derive(Debug, Clone, PartialEq)]
pub struct EncodedItem {
    pub key: Key,
    pub entity: String,
    pub data: EncodedData,
}

#[derive(Debug, Clone, PartialEq)]
pub enum EncodedData {
    /// The data as JSON text (an object).
    Json(String),
    /// The data already decoded.
    Value(serde_json::Value),
}

impl From<Item> for EncodedItem {
    fn from(item: Item) -> Self {
        Self { key: item.key, entity: item.entity, data: EncodedData::Value(item.data) }
    }
}

/// A page of [`EncodedItem`]s (see [`Page`]).
#[derive(Debug, Clone, PartialEq, Default)]
pub struct EncodedPage {
    pub items: Vec<EncodedItem>,
    pub next: Option<PageToken>,
}

#[derive(Debug, Clone, thiserror::Error)]
pub enum StoreError {
    /// A single-item write's condition failed; `current` is what is stored now (None: gone).
    #[error("condition failed")]
    ConditionFailed { current: Option<Box<Item>> },
    /// A transaction was refused; `failed` lists the labels of the writes whose condition failed.
    #[error("transaction canceled by: {failed:?}")]
    TransactionCanceled { failed: Vec<String> },
    #[error("invalid request to the store: {0}")]
    Invalid(String),
    #[error("store throttled: {0}")]
    Throttled(String),
    #[error("store unavailable: {0}")]
    Unavailable(String),
    #[error("stored item is unreadable: {0}")]
    Corrupt(String),
}

#[async_trait]
pub trait ItemStore: Send + Sync {
    async fn get(&self, key: &Key) -> Result<Option<Item>, StoreError>;
    /// Writes the whole item if the condition holds on what is stored now.
    async fn put(&self, item: Item, condition: Condition) -> Result<(), StoreError>;
    /// Deletes the item if the condition holds; returns what was deleted.
    async fn delete(&self, key: &Key, condition: Condition) -> Result<Option<Item>, StoreError>;
    /// All or nothing (at most 100 writes, each key at most once).
    async fn transact(&self, writes: Vec<TxWrite>) -> Result<(), StoreError>;
    /// Items under one partition key, in sort-key order, one page at a time.
    async fn query(&self, query: &Query) -> Result<Page, StoreError>;

    /// [`Self::get`] for typed readers: the item's data may stay encoded ([`EncodedItem`]).
    /// This default reads the item.
    async fn get_encoded(&self, key: &Key) -> Result<Option<EncodedItem>, StoreError> {
        Ok(self.get(key).await?.map(EncodedItem::from))
    }

    /// [`Self::query`] for typed readers: the items' data may stay encoded. This default runs
    /// the query.
    async fn query_encoded(&self, query: &Query) -> Result<EncodedPage, StoreError> {
        let page = self.query(query).await?;
        Ok(EncodedPage { items: page.items.into_iter().map(EncodedItem::from).collect(), next: page.next })
    }

    /// Adds each delta to its named counter on the item under `key` and returns the new totals,
    /// in the order asked. A missing (or expired) item is created with `entity` and the TTL
    /// `expires_at`, its counters at zero; an existing one keeps its TTL. Meant for windowed
    /// counters whose key names the window (rate limits): the adapters do it in ONE write
    /// (DynamoDB `UpdateItem … ADD` returning `UPDATED_NEW`; one SQLite transaction). This
    /// default, for stores that wrap another, reads and writes with a version condition.
    async fn add_counts(
        &self,
        key: &Key,
        entity: &str,
        expires_at: i64,
        deltas: &[(&str, i64)],
    ) -> Result<Vec<i64>, StoreError> {
        check_counts(key, deltas)?;
        for _ in 0..10 {
            let current = self.get(key).await?;
            let (mut item, condition) = match current {
                Some(item) => {
                    let v = item.version;
                    (item, Condition::VersionIs(v))
                }
                None => (
                    Item {
                        key: key.clone(),
                        gsi1: None,
                        gsi2: None,
                        entity: entity.to_owned(),
                        version: 0,
                        expires_at: Some(expires_at),
                        data: serde_json::json!({}),
                    },
                    Condition::NotExists,
                ),
            };
            let totals = apply_counts(&mut item.data, deltas)?;
            item.version += 1;
            match self.put(item, condition).await {
                Ok(()) => return Ok(totals),
                Err(StoreError::ConditionFailed { .. }) => continue,
                Err(e) => return Err(e),
            }
        }
        Err(StoreError::Throttled(format!("counters {}/{} are too contended", key.pk, key.sk)))
    }
}

/// Refuses what no adapter can store: an empty key, no deltas, a bad or repeated counter name.
pub fn check_counts(key: &Key, deltas: &[(&str, i64)]) -> Result<(), StoreError> {
    if key.pk.is_empty() || key.sk.is_empty() {
        return Err(StoreError::Invalid("key attributes must not be empty strings".into()));
    }
    if deltas.is_empty() {
        return Err(StoreError::Invalid("add_counts needs at least one counter".into()));
    }
    for (i, (name, _)) in deltas.iter().enumerate() {
        if !valid_counter_name(name) {
            return Err(StoreError::Invalid(format!("counter name {name:?} must be 1-32 letters, digits or _")));
        }
        if deltas[..i].iter().any(|(n, _)| n == name) {
            return Err(StoreError::Invalid(format!("counter {name} appears twice")));
        }
    }
    Ok(())
}

/// Moves the named counters held in `data` (an object) and returns their new totals.
pub fn apply_counts(data: &mut serde_json::Value, deltas: &[(&str, i64)]) -> Result<Vec<i64>, StoreError> {
    let obj = data.as_object_mut().ok_or_else(|| StoreError::Corrupt("counter item data is not an object".into()))?;
    deltas
        .iter()
        .map(|(name, delta)| {
            let now = match obj.get(*name) {
                None => 0,
                Some(v) => v.as_i64().ok_or_else(|| StoreError::Invalid(format!("{name} is not a counter")))?,
            };
            let total =
                now.checked_add(*delta).ok_or_else(|| StoreError::Invalid(format!("counter {name} would overflow")))?;
            obj.insert((*name).to_owned(), serde_json::json!(total));
            Ok(total)
        })
        .collect()
}
