//! closerd in-process: the REST API, the live events and the pipeline workers, on
//! both backends. One test binary for all of them: each binary links the whole
//! daemon, and one link instead of eighteen keeps the build fast and the target small.

#[macro_use]
mod common;
#[path = "../../../tests/harness/fake_graph.rs"]
mod fake_graph;
#[path = "../../../tests/harness/fake_openai.rs"]
mod fake_openai;

mod api_ai;
mod api_analytics;
mod api_auth;
mod api_campaigns;
mod api_chats;
mod api_chats_sales;
mod api_chats_send;
mod api_integrations;
mod api_knowledge;
mod api_leo;
mod api_onboarding;
mod api_sandbox;
mod api_ws;
mod openapi;
mod operations;
mod pipeline_ai;
mod pipeline_handback;
mod pipeline_housekeeping;
mod pipeline_order;
mod tenant_isolation;
