//! The README's curl walkthrough, run as written against a fresh `closerd` and the
//! fake Graph API: if the README drifts from the API, this fails.

use std::process::Stdio;

use closer_tests::Closerd;
use closer_tests::fake_graph::FakeGraph;

const README: &str = include_str!("../README.md");

/// The shell between the walkthrough markers, without its code fences.
fn walkthrough() -> String {
    let start = README.find("<!-- walkthrough:start -->").expect("the README marks its walkthrough");
    let end = README.find("<!-- walkthrough:end -->").expect("the walkthrough ends");
    README[start..end].lines().skip(1).filter(|line| !line.starts_with("```")).collect::<Vec<_>>().join("\n")
}

#[tokio::test]
async fn the_readme_walkthrough_works_as_written() {
    let graph = FakeGraph::start().await;
    graph.page("EAAB-demo-page-token", "104729581234567", "Ana's Bakery");
    // Debug logs, to prove that even they carry no secret.
    let extra = format!("[facebook]\ngraph_api_base = \"{}\"\n\n[log]\nlevel = \"debug\"\n", graph.url());
    let daemon = Closerd::start_with(None, &extra).await;

    let output = tokio::process::Command::new("bash")
        .args(["-euo", "pipefail", "-c", &walkthrough()])
        .env("CLOSER", daemon.url(""))
        .stdin(Stdio::null())
        .output()
        .await
        .expect("bash runs");
    let stdout = String::from_utf8_lossy(&output.stdout);
    assert!(
        output.status.success(),
        "the walkthrough failed ({}):\nstdout:\n{stdout}\nstderr:\n{}\ncloserd:\n{}",
        output.status,
        String::from_utf8_lossy(&output.stderr),
        daemon.stderr()
    );
    assert_eq!(stdout.lines().collect::<Vec<_>>(), ["true", "hours.md", "active", "true", "connected"]);

    let log = daemon.stderr();
    for secret in ["a long enough password", "EAAB-demo-page-token", "clo_at_", "clo_rt_", "$argon2"] {
        assert!(!log.contains(secret), "{secret:?} reached the log:\n{log}");
    }
    assert!(log.contains("account registered"), "the log is there to be searched:\n{log}");

    let connected = graph.requests();
    assert!(connected.iter().any(|r| r.path.ends_with("/104729581234567/subscribed_apps")), "{connected:?}");
}
