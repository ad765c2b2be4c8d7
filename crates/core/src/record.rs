//! Typed records over the item store: each entity knows its own keys (`key`, `gsi1`, `gsi2`).

use crate::ports::store::{Condition, Item, ItemStore, Key, Page, Query, StoreError, TxWrite};
use serde::Serialize;
use serde::de::DeserializeOwned;

pub trait Record: Serialize + DeserializeOwned + Send + Sync {
    const ENTITY: &'static str;
    fn key(&self) -> Key;
    fn gsi1(&self) -> Option<Key> {
        None
    }
    fn gsi2(&self) -> Option<Key> {
        None
    }
    fn version(&self) -> u64;
    fn expires_at(&self) -> Option<i64> {
        None
    }

    fn to_item(&self) -> Result<Item, StoreError> {
        let data = serde_json::to_value(self).map_err(|e| StoreError::Invalid(e.to_string()))?;
        Ok(Item {
            key: self.key(),
            gsi1: self.gsi1(),
            gsi2: self.gsi2(),
            entity: Self::ENTITY.to_owned(),
            version: self.version(),
            expires_at: self.expires_at(),
            data,
        })
    }

    fn from_item(item: Item) -> Result<Self, StoreError> {
        if item.entity != Self::ENTITY {
            return Err(StoreError::Corrupt(format!(
                "{}/{} is a {}, expected a {}",
                item.key.pk,
                item.key.sk,
                item.entity,
                Self::ENTITY
            )));
        }
        serde_json::from_value(item.data)
            .map_err(|e| StoreError::Corrupt(format!("{}/{}: {e}", item.key.pk, item.key.sk)))
    }

    /// A transactional put of this record.
    fn tx_put(&self, label: impl Into<String>, condition: Condition) -> Result<TxWrite, StoreError> {
        Ok(TxWrite::put(label, self.to_item()?, condition))
    }
}

pub async fn get<R: Record>(store: &dyn ItemStore, key: &Key) -> Result<Option<R>, StoreError> {
    store.get(key).await?.map(R::from_item).transpose()
}

pub async fn query<R: Record>(store: &dyn ItemStore, q: &Query) -> Result<(Vec<R>, Page), StoreError> {
    let mut page = store.query(q).await?;
    let items = std::mem::take(&mut page.items);
    let records = items.into_iter().map(R::from_item).collect::<Result<Vec<_>, _>>()?;
    Ok((records, page))
}
