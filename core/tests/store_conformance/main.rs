//! The store conformance suite: one set of tests, run against every backend.
//!
//! Each test is an `async fn(Arc<dyn Store>)` in one of the area modules; the
//! `conformance!` macro below runs it on a fresh SQLite file, on a fresh MongoDB
//! database, and on a fresh SQLite file behind the read cache (`store::cache`), which
//! must not change any answer. MongoDB comes from `CLOSER_TEST_MONGODB_URI`, or is
//! started by `scripts/mongodb-test-server.sh`; when neither works the MongoDB tests
//! fail, they are never skipped.

mod accounts;
mod analytics;
mod assistant;
mod backends;
mod campaigns;
mod chats;
mod fixtures;
mod inbox;

macro_rules! conformance {
    ($($area:ident :: $test:ident),* $(,)?) => {
        mod sqlite {
            $(
                #[tokio::test(flavor = "multi_thread", worker_threads = 4)]
                async fn $test() {
                    let backend = crate::backends::sqlite().await;
                    crate::$area::$test(backend.store()).await;
                }
            )*
        }
        mod cached_sqlite {
            $(
                #[tokio::test(flavor = "multi_thread", worker_threads = 4)]
                async fn $test() {
                    let backend = crate::backends::cached(crate::backends::sqlite().await);
                    crate::$area::$test(backend.store()).await;
                }
            )*
        }
        #[cfg(feature = "mongodb")]
        mod mongodb {
            $(
                #[tokio::test(flavor = "multi_thread", worker_threads = 4)]
                async fn $test() {
                    let backend = crate::backends::mongodb().await;
                    crate::$area::$test(backend.store()).await;
                    backend.drop_database().await;
                }
            )*
        }
    };
}

conformance! {
    accounts::users_are_found_by_id_and_normalised_email,
    accounts::a_taken_email_is_a_conflict,
    accounts::invalid_users_never_reach_the_store,
    accounts::sessions_rotate_once_and_revoke,
    accounts::documents_are_kept_per_business_up_to_the_limit,
    accounts::integrations_route_pages_to_one_business,
    campaigns::campaigns_round_trip_and_filter_by_status,
    campaigns::updates_are_optimistic_and_keep_stats_and_default,
    campaigns::only_drafts_can_be_deleted,
    campaigns::one_default_per_platform,
    campaigns::campaign_stats_add_up_under_concurrency,
    chats::find_or_create_is_atomic_under_concurrency,
    chats::chat_updates_apply_and_validate,
    chats::chat_listing_filters_and_pages_without_gaps,
    chats::messages_append_in_order_and_deduplicate,
    chats::a_reply_and_what_it_changes_are_stored_together,
    chats::delivery_state_is_recorded,
    chats::a_sale_is_recorded_once_under_concurrency,
    chats::unsettled_messages_are_found_across_businesses,
    inbox::enqueue_is_idempotent,
    inbox::a_burst_of_enqueues_keeps_every_event_once,
    inbox::a_flood_in_one_conversation_does_not_hide_the_others,
    inbox::a_claim_takes_one_conversation_in_order,
    inbox::concurrent_workers_never_share_a_conversation,
    inbox::an_expired_lease_is_reclaimed,
    inbox::failures_retry_later_or_give_up,
    inbox::a_failed_event_holds_back_its_conversation,
    inbox::release_returns_unfinished_events,
    inbox::handled_events_are_forgotten_after_a_while,
    analytics::increments_land_in_their_day_and_hour,
    analytics::concurrent_increments_are_all_counted,
    analytics::queries_filter_by_range_campaign_and_platform,
    assistant::trainings_are_versioned_per_business,
    assistant::leo_conversations_are_kept_per_business,
    accounts::tenants_never_see_each_others_records,
}
