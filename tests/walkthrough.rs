//! The README's curl walkthrough, run as written against a fresh `closerd` and the
//! fake Graph API: if the README drifts from the API, this fails.

use std::process::Stdio;

use closer_tests::Closerd;
use closer_tests::fake_graph::FakeGraph;

const README: &str = include_str!("../README.md");

/// The shell between each pair of walkthrough markers, in order, without code fences:
/// the README's blocks are one session in one shell.
fn walkthrough() -> String {
    let mut shell = Vec::new();
    let mut rest = README;
    while let Some(start) = rest.find("<!-- walkthrough:start -->") {
        let end =
            rest[start..].find("<!-- walkthrough:end -->").expect("every walkthrough block ends") + start;
        shell.extend(rest[start..end].lines().skip(1).filter(|line| !line.starts_with("```")));
        rest = &rest[end..];
    }
    assert!(!shell.is_empty(), "the README marks its walkthrough");
    shell.join("\n")
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
    assert_eq!(
        stdout.lines().collect::<Vec<_>>(),
        [
            "true",
            "hours.md",
            "active",
            "true",
            "connected",
            "connected",
            "ai",
            "human",
            "sent",
            "ai",
            "converted",
            "2490"
        ]
    );

    let log = daemon.stderr();
    for secret in ["a long enough password", "EAAB-demo-page-token", "clo_at_", "clo_rt_", "$argon2"] {
        assert!(!log.contains(secret), "{secret:?} reached the log:\n{log}");
    }
    assert!(log.contains("account registered"), "the log is there to be searched:\n{log}");

    let connected = graph.requests();
    assert!(connected.iter().any(|r| r.path.ends_with("/104729581234567/subscribed_apps")), "{connected:?}");
}
