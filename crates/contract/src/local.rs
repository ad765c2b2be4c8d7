//! The embedded family's side of the contract: store and identity factories over `clearview-local`.

use crate::identity::{IdentityHarness, TokenKeys};
use async_trait::async_trait;
use clearview_core::ports::clock::{Clock, FixedClock, SystemClock};
use clearview_core::ports::identity::IdentityProvider;
use clearview_core::ports::store::{Condition, Item, ItemStore, Key, Page, Query, StoreError, TxWrite};
use clearview_core::values::Email;
use clearview_local::{LocalFamily, SqliteStore};
use std::sync::Arc;
use time::{Duration, OffsetDateTime};

/// A fresh in-memory store.
pub async fn memory_store() -> Arc<dyn ItemStore> {
    match SqliteStore::in_memory(Arc::new(SystemClock)) {
        Ok(s) => Arc::new(s),
        Err(e) => panic!("in-memory store: {e}"),
    }
}

/// A store in a fresh database file (WAL), removed when the store is dropped.
pub async fn file_store() -> Arc<dyn ItemStore> {
    let dir = tempfile::tempdir().unwrap_or_else(|e| panic!("temp dir: {e}"));
    match SqliteStore::open(&dir.path().join("clearview.db"), Arc::new(SystemClock)) {
        Ok(store) => Arc::new(FileStore { store, _dir: dir }),
        Err(e) => panic!("file store: {e}"),
    }
}

/// Keeps the temp dir alive as long as the store.
struct FileStore {
    store: SqliteStore,
    _dir: tempfile::TempDir,
}

#[async_trait]
impl ItemStore for FileStore {
    async fn get(&self, key: &Key) -> Result<Option<Item>, StoreError> {
        self.store.get(key).await
    }
    async fn put(&self, item: Item, condition: Condition) -> Result<(), StoreError> {
        self.store.put(item, condition).await
    }
    async fn delete(&self, key: &Key, condition: Condition) -> Result<Option<Item>, StoreError> {
        self.store.delete(key, condition).await
    }
    async fn transact(&self, writes: Vec<TxWrite>) -> Result<(), StoreError> {
        self.store.transact(writes).await
    }
    async fn query(&self, query: &Query) -> Result<Page, StoreError> {
        self.store.query(query).await
    }
}

/// A local family on a clock the test can move, reading codes from its outbox.
pub struct LocalHarness {
    pub family: LocalFamily,
    pub clock: Arc<FixedClock>,
    _dir: tempfile::TempDir,
}

impl LocalHarness {
    pub fn new() -> Self {
        let dir = tempfile::tempdir().unwrap_or_else(|e| panic!("temp dir: {e}"));
        let clock = Arc::new(FixedClock::at(OffsetDateTime::now_utc()));
        let family = LocalFamily::in_memory_for_tests_with_clock(dir.path(), clock.clone())
            .unwrap_or_else(|e| panic!("local family: {e}"));
        Self { family, clock, _dir: dir }
    }
}

impl Default for LocalHarness {
    fn default() -> Self {
        Self::new()
    }
}

/// A fresh local identity harness.
pub async fn identity() -> Arc<dyn IdentityHarness> {
    Arc::new(LocalHarness::new())
}

#[async_trait]
impl IdentityHarness for LocalHarness {
    fn identity(&self) -> &dyn IdentityProvider {
        &*self.family.identity
    }

    async fn code_for(&self, email: &Email) -> Option<String> {
        self.family.outbox.find_code(email.as_str())
    }

    async fn temporary_password_for(&self, email: &Email) -> Option<String> {
        self.family.outbox.find_temporary_password(email.as_str())
    }

    async fn token_keys(&self) -> TokenKeys {
        let id = &self.family.identity;
        TokenKeys { jwks: id.jwks(), issuer: id.issuer().to_owned(), client_id: id.client_id().to_owned() }
    }

    fn now(&self) -> OffsetDateTime {
        self.clock.now()
    }

    fn advance_clock(&self, by: Duration) -> bool {
        self.clock.advance(by);
        true
    }
}
