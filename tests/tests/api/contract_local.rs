//! The store and identity contract suites on the embedded family (SQLite, local issuer, outbox).

use clearview_contract::StoreCaps;
use clearview_contract::local;

clearview_contract::store_contract!(mod store_contract, local::file_store, StoreCaps { hides_expired: true });
clearview_contract::store_contract!(mod store_contract_in_memory, local::memory_store, StoreCaps { hides_expired: true });
clearview_contract::identity_contract!(local::identity);
