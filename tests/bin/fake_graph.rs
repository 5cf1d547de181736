//! `closer-fake-graph`: the test suite's fake Facebook Graph API as a program, so that
//! a page can be connected on a machine with no Facebook app (the README's
//! walkthrough uses it).
//!
//! ```text
//! closer-fake-graph --port 8090 --page-id 104729581234567 --page-name "Ana's Bakery" --token EAAB-demo
//! ```
//! then run closerd with `CLOSER__FACEBOOK__GRAPH_API_BASE=http://127.0.0.1:8090`.

use clap::Parser;
use closer_tests::fake_graph::FakeGraph;

#[derive(Parser)]
#[command(about = "A fake Facebook Graph API holding one page, for trying Closer locally")]
struct Cli {
    /// Port on 127.0.0.1 (0: any free port).
    #[arg(long, default_value_t = 8090)]
    port: u16,
    #[arg(long, default_value = "104729581234567")]
    page_id: String,
    #[arg(long, default_value = "Demo Page")]
    page_name: String,
    /// The page access token to accept.
    #[arg(long, default_value = "EAAB-demo-page-token")]
    token: String,
}

#[tokio::main]
async fn main() {
    let cli = Cli::parse();
    let graph = FakeGraph::start_on(cli.port).await;
    graph.page(&cli.token, &cli.page_id, &cli.page_name);
    println!("fake Graph API on {} (page {} {:?})", graph.url(), cli.page_id, cli.page_name);
    let _ = tokio::signal::ctrl_c().await;
}
