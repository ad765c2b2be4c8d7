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
        let mut m = BTreeMap::new();
        m.insert(attr::PK.to_owned(), item.key.pk.clone());
        m.insert(attr::SK.to_owned(), item.key.sk.clone());
        if let Some(index) = index
            && let Some(k) = item.index_key(index)
        {
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
}
