//! The store contract: one suite of cases, each run against every backend.
//!
//! `contract!` expands every case into `sqlite::<case>` and `postgres::<case>` tests. Each test
//! gets a fresh, empty [`harness::Target`] (a temp-dir SQLite file, or a new PostgreSQL schema),
//! so cases never see each other's rows and may run in parallel. The PostgreSQL half runs only
//! when `GOMODEL_TEST_POSTGRES_URL` is set, and says loudly on stderr when it is skipped.

// Test code: a failed unwrap is a failed test, which is what we want. The case functions are
// plain `async fn`s called from the generated tests, so clippy's in-test allowances miss them.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

mod audit;
mod fixtures;
mod harness;
mod migrations;
mod pricing;
mod reports;
mod usage;

macro_rules! contract {
    ($($module:ident :: $case:ident),* $(,)?) => {
        mod sqlite {
            $(
                #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
                async fn $case() {
                    let target = crate::harness::Target::sqlite();
                    crate::$module::$case(&target).await;
                    target.finish().await;
                }
            )*
        }
        mod postgres {
            $(
                #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
                async fn $case() {
                    let Some(target) = crate::harness::Target::postgres().await else {
                        return;
                    };
                    crate::$module::$case(&target).await;
                    target.finish().await;
                }
            )*
        }
    };
}

contract!(
    migrations::connect_twice_is_idempotent,
    migrations::concurrent_connects_migrate_once,
    migrations::ping_and_backend_name,
    migrations::connect_errors_hide_the_password,
    usage::insert_round_trips_and_reinsert_is_idempotent,
    usage::large_inserts_span_batches,
    usage::usage_log_pages_newest_first_with_totals,
    usage::usage_filters_select_the_right_rows,
    usage::repricing_pages_by_id_and_updates_costs,
    usage::retention_deletes_only_older_rows,
    reports::aggregates_over_nothing_are_zero,
    reports::summary_counts_unpriced_without_adding_zero,
    reports::buckets_group_by_utc_width,
    reports::by_model_orders_by_cost_then_requests,
    reports::by_user_path_groups_exact_paths,
    reports::rollups_agree_with_per_request_rows,
    audit::audit_insert_round_trips_and_is_idempotent,
    audit::audit_log_filters_and_pages,
    audit::conversation_follows_response_ids,
    audit::audit_retention_deletes_only_older_entries,
    audit::the_log_is_newest_first_across_batches,
    audit::audit_retention_deletes_many_batches,
    audit::hex_ids_from_elsewhere_are_found,
    audit::nul_characters_never_fail_a_batch,
    audit::entries_carry_the_usage_of_their_request,
    pricing::pricing_override_crud,
);
