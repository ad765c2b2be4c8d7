//! Typed records over the item store: each entity knows its own keys (`key`, `gsi1`, `gsi2`).

use crate::ports::store::{
    Condition, EncodedData, EncodedItem, Item, ItemStore, Key, Page, Query, StoreError, TxWrite,
};
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
        Self::from_encoded(item.into())
    }

    /// The record in an item whose data may still be JSON text: decoded in one pass.
    fn from_encoded(item: EncodedItem) -> Result<Self, StoreError> {
        if item.entity != Self::ENTITY {
            return Err(StoreError::Corrupt(format!(
                "{}/{} is a {}, expected a {}",
                item.key.pk,
                item.key.sk,
                item.entity,
                Self::ENTITY
            )));
        }
        match item.data {
            EncodedData::Json(text) => serde_json::from_str(&text),
            EncodedData::Value(value) => serde_json::from_value(value),
        }
        .map_err(|e| StoreError::Corrupt(format!("{}/{}: {e}", item.key.pk, item.key.sk)))
    }

    /// A transactional put of this record.
    fn tx_put(&self, label: impl Into<String>, condition: Condition) -> Result<TxWrite, StoreError> {
        Ok(TxWrite::put(label, self.to_item()?, condition))
    }
}

pub async fn get<R: Record>(store: &dyn ItemStore, key: &Key) -> Result<Option<R>, StoreError> {
    store.get_encoded(key).await?.map(R::from_encoded).transpose()
}

/// A page of records; the [`Page`] carries only where the page stopped (its items are the
/// records).
pub async fn query<R: Record>(store: &dyn ItemStore, q: &Query) -> Result<(Vec<R>, Page), StoreError> {
    let page = store.query_encoded(q).await?;
    let records = page.items.into_iter().map(R::from_encoded).collect::<Result<Vec<_>, _>>()?;
    Ok((records, Page { items: Vec::new(), next: page.next }))
}
