//! The README's "From zero to a live bot in the terminal", run as written with bash
//! against a fresh `closerd`, with the built `closer` first on PATH: if the README
//! drifts from the command line, this fails.

use std::process::Stdio;

use closer_tests::{Closerd, closer_bin};

const README: &str = include_str!("../README.md");

/// The shell between the CLI walkthrough's markers, without the code fences.
fn walkthrough() -> String {
    let start = README.find("<!-- cli-walkthrough:start -->").expect("the README marks its CLI walkthrough");
    let end = README[start..].find("<!-- cli-walkthrough:end -->").expect("the CLI walkthrough ends") + start;
    assert!(!README[end..].contains("<!-- cli-walkthrough:start -->"), "one CLI walkthrough only");
    let shell: Vec<&str> =
        README[start..end].lines().skip(1).filter(|line| !line.starts_with("```")).collect();
    shell.join("\n")
}

/// `pattern` with `*` for any text (ids, dates, durations) matches all of `line`.
fn matches(pattern: &str, line: &str) -> bool {
    let mut parts = pattern.split('*');
    let first = parts.next().unwrap_or_default();
    let Some(mut rest) = line.strip_prefix(first) else { return false };
    let parts: Vec<&str> = parts.collect();
    for (i, part) in parts.iter().enumerate() {
        if i + 1 == parts.len() {
            return rest.ends_with(part);
        }
        match rest.find(part) {
            Some(at) => rest = &rest[at + part.len()..],
            None => return false,
        }
    }
    rest.is_empty()
}

/// What the walkthrough prints, line by line; `*` stands for ids, ports, dates and
/// durations.
const EXPECTED: &[&str] = &[
    "registered ana@bakery.example on http://127.0.0.1:* and logged in",
    "saved business_name, description, industry, owner_name, phone",
    "onboarding complete: the AI knows the business",
    "added hours.md (42 bytes, text/markdown) as *",
    "trained: version 1 (1 documents, 0 campaigns, * passages, in * ms)",
    "campaign \"Christmas panettone\" (*) is now active",
    "campaign \"Christmas panettone\" (*) is now the default on facebook",
    "sandbox: connected",
    "ai> Hello! Thinking of a panettone for Christmas?",
    "",
    "    The Panettone 1 kg is €24.90.",
    "",
    "    For how many people?",
    "chat *: you answer now; the AI is silent until `closer chat release *`",
    "sent to chat * (sent)",
    "chat *: handed back to the AI",
    "chat *: sale of 24.90 EUR recorded",
    "*-*-* to *-*-* (against *-*-* to *-*-*)",
    "  messages sent                     3  new",
    "  messages received                 1  new",
    "  messages answered                 1  new",
    "  conversations started             1  new",
    "  leads                             0",
    "  sales                             1  new",
    "  revenue                       24.90  new",
    "  response rate                100.0%",
    "  conversion rate              100.0%",
    "  average order                 24.90",
    "Revenue this week: 24.90 EUR from 1 conversion (the same days last week: 0.00 EUR).",
    "All figures: *",
];

#[tokio::test]
async fn the_readme_cli_walkthrough_works_as_written() {
    let daemon = Closerd::start().await;
    let home = tempfile::tempdir().expect("a temporary directory");
    let config = home.path().join("config");
    let bin_dir = closer_bin().parent().expect("closer sits in a directory");
    let path = std::env::join_paths(
        std::iter::once(bin_dir.to_owned())
            .chain(std::env::split_paths(&std::env::var_os("PATH").unwrap_or_default())),
    )
    .expect("a PATH");

    let output = tokio::process::Command::new("bash")
        .args(["-euo", "pipefail", "-c", &walkthrough()])
        .current_dir(home.path())
        .env("PATH", path)
        .env("CLOSER_SERVER", daemon.url(""))
        .env("CLOSER_CONFIG_DIR", &config)
        .env("NO_COLOR", "1")
        .env_remove("CLOSER_TOKEN")
        .stdin(Stdio::null())
        .output()
        .await
        .expect("bash runs");
    let stdout = String::from_utf8_lossy(&output.stdout);
    let report = || {
        format!(
            "({}):\nstdout:\n{stdout}\nstderr:\n{}\ncloserd:\n{}",
            output.status,
            String::from_utf8_lossy(&output.stderr),
            daemon.stderr()
        )
    };
    assert!(output.status.success(), "the walkthrough failed {}", report());
    assert!(output.stderr.is_empty(), "the walkthrough complained {}", report());
    assert!(config.join("credentials.json").is_file(), "the login is kept in CLOSER_CONFIG_DIR");

    let lines: Vec<&str> = stdout.lines().collect();
    for (i, pattern) in EXPECTED.iter().enumerate() {
        let line = lines.get(i).copied().unwrap_or_default();
        assert!(matches(pattern, line), "line {} is {line:?}, expected {pattern:?} {}", i + 1, report());
    }
    assert_eq!(lines.len(), EXPECTED.len(), "more lines than expected {}", report());
}

#[test]
fn the_wildcards_match_as_meant() {
    assert!(matches("chat *: sale", "chat 0193: sale"));
    assert!(matches("*", ""));
    assert!(matches("ai> *24.90*", "ai> It is 24.90 EUR."));
    assert!(!matches("ai> *24.90*", "ai> It is 19.90 EUR."));
    assert!(!matches("a*c", "abcd"));
    assert!(matches("a*c*", "abcd"));
}
