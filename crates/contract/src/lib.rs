//! One contract suite for the item store and identity ports, instantiated by every adapter family.
//!
//! Each behaviour is an `async fn` in [`store`] or [`identity`]; the macros expand to one named
//! `#[test]` per behaviour, so a family's test file is two lines and both families report the
//! same test names:
//!
//! ```ignore
//! async fn my_store() -> Arc<dyn ItemStore> { /* a store, fresh or shared */ }
//! async fn my_identity() -> Arc<dyn IdentityHarness> { /* provider + code reader + JWKS */ }
//!
//! clearview_contract::store_contract!(my_store, StoreCaps { hides_expired: true });
//! clearview_contract::identity_contract!(my_identity);
//! ```
//!
//! The factory is anything callable with no argument that returns a future of the `Arc`
//! (an `async fn` path or an `async ||` closure); it runs once per test, inside that test's
//! runtime. Every test uses its own random keys and emails, so a factory may hand out one
//! shared table or user pool.

pub mod identity;
pub mod local;
pub mod store;

pub use clearview_core::ports::identity::IdentityProvider;
pub use clearview_core::ports::store::ItemStore;
pub use identity::{IdentityHarness, TokenKeys};
pub use store::StoreCaps;
/// Re-exported so the macros work from crates that do not depend on them.
pub use {tokio, uuid};

/// Runs one test's future on a fresh runtime, as `#[tokio::test]` would.
pub fn run<F: std::future::Future>(test: F) -> F::Output {
    match tokio::runtime::Builder::new_current_thread().enable_all().build() {
        Ok(rt) => rt.block_on(test),
        Err(e) => panic!("cannot start a tokio runtime for the test: {e}"),
    }
}

/// Expands to `mod store_contract { #[test] fn ...; }`, one test per store behaviour.
///
/// `store_contract!(factory)`, `store_contract!(factory, caps)`, or
/// `store_contract!(mod name, factory, caps)` to instantiate it twice in one file.
/// `factory` returns a future of `Arc<dyn ItemStore>`; `caps` is a [`StoreCaps`].
#[macro_export]
macro_rules! store_contract {
    ($factory:expr) => {
        $crate::store_contract!(mod store_contract, $factory, $crate::StoreCaps::default());
    };
    ($factory:expr, $caps:expr) => {
        $crate::store_contract!(mod store_contract, $factory, $caps);
    };
    (mod $module:ident, $factory:expr, $caps:expr) => {
        mod $module {
            #[allow(unused_imports)]
            use super::*;
            $crate::__store_tests!(
                $factory, $caps;
                put_then_get_round_trips_every_field,
                get_of_missing_key_is_none,
                put_not_exists_refuses_second_write_and_returns_current,
                concurrent_creates_of_one_key_let_exactly_one_win,
                put_exists_on_missing_item_fails_with_no_current,
                version_condition_detects_lost_update,
                version_condition_on_missing_item_fails_with_no_current,
                delete_returns_what_was_deleted,
                delete_on_missing_with_exists_condition_fails_with_no_current,
                delete_with_stale_version_keeps_the_item_and_returns_current,
                delete_of_missing_key_without_condition_is_ok,
                transaction_writes_puts_and_deletes_together,
                transaction_names_every_failed_condition_and_writes_nothing,
                transaction_check_alone_can_cancel_the_writes,
                transaction_with_same_key_twice_is_invalid,
                transaction_over_100_writes_is_invalid,
                empty_transaction_is_invalid,
                query_prefix_returns_sort_key_order,
                query_descending,
                query_stays_in_its_partition,
                sort_keys_order_by_code_point,
                pages_resume_without_gaps_or_repeats_on_table,
                pages_resume_without_gaps_or_repeats_descending,
                pages_resume_without_gaps_or_repeats_on_gsi1_with_equal_sort_keys,
                gsi_query_orders_by_index_sort_key_across_partitions,
                gsi_item_without_index_key_is_not_indexed,
                rewriting_an_item_moves_it_between_index_partitions,
                deleted_item_leaves_the_index,
                expired_item_is_invisible,
                item_expiring_later_is_visible,
                data_that_is_not_an_object_is_invalid,
                query_limit_outside_1_to_1000_is_invalid,
                counter_add_creates_then_moves_the_total_in_a_transaction,
                counter_add_is_undone_with_a_canceled_transaction,
                concurrent_counter_adds_lose_nothing,
                add_counts_creates_with_a_ttl_then_returns_each_new_total,
                concurrent_add_counts_lose_nothing,
                query_between_is_inclusive_and_ordered,
                encoded_reads_answer_what_get_and_query_do,
            );
        }
    };
}

#[doc(hidden)]
#[macro_export]
macro_rules! __store_tests {
    ($factory:expr, $caps:expr; $($name:ident),* $(,)?) => {
        $(
            #[test]
            fn $name() {
                $crate::run(async {
                    let store: ::std::sync::Arc<dyn $crate::ItemStore> = ($factory)().await;
                    let caps: $crate::StoreCaps = $caps;
                    $crate::store::$name(&*store, &caps).await;
                });
            }
        )*
    };
}

/// Expands to `mod identity_contract { #[test] fn ...; }`, one test per identity behaviour.
///
/// `identity_contract!(factory)` or `identity_contract!(mod name, factory)`; `factory` returns a
/// future of `Arc<dyn IdentityHarness>`.
#[macro_export]
macro_rules! identity_contract {
    ($factory:expr) => {
        $crate::identity_contract!(mod identity_contract, $factory);
    };
    (mod $module:ident, $factory:expr) => {
        mod $module {
            #[allow(unused_imports)]
            use super::*;
            $crate::__identity_tests!(
                $factory;
                sign_up_confirm_login_issues_tokens_with_cognito_claims,
                unconfirmed_user_cannot_log_in,
                confirm_with_wrong_code_is_code_mismatch,
                duplicate_sign_up_is_username_exists,
                wrong_password_is_not_authorized,
                unknown_user_cannot_log_in,
                candidate_without_org_has_no_org_claim,
                refresh_issues_new_tokens_without_a_new_refresh_token,
                logout_revokes_the_refresh_token,
                garbage_refresh_token_is_not_authorized,
                forgot_and_reset_password_replaces_the_password,
                reset_with_wrong_code_is_code_mismatch,
                forgot_password_for_unknown_email_is_silently_ok,
                invite_requires_a_new_password_then_complete_invite_gives_tokens,
                complete_invite_with_wrong_temporary_password_is_not_authorized,
                set_role_changes_groups_in_the_next_token,
                add_role_keeps_the_other_groups_in_the_next_token,
                disable_blocks_login_and_refresh,
                deleted_account_cannot_log_in,
                tampered_token_is_rejected,
                tokens_expire_after_an_hour,
                sign_up_code_expires_after_a_day,
            );
        }
    };
}

#[doc(hidden)]
#[macro_export]
macro_rules! __identity_tests {
    ($factory:expr; $($name:ident),* $(,)?) => {
        $(
            #[test]
            fn $name() {
                $crate::run(async {
                    let harness: ::std::sync::Arc<dyn $crate::IdentityHarness> = ($factory)().await;
                    $crate::identity::$name(&*harness).await;
                });
            }
        )*
    };
}
