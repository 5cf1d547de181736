//! The MongoDB server the tests use: `CLOSER_TEST_MONGODB_URI`, or the one
//! `scripts/mongodb-test-server.sh start` starts (or finds running).
//!
//! Shared by the workspace's end-to-end tests and, by path, by closer-core's store
//! conformance suite and benchmark. No server means a loud failure, never a skip.

use std::process::Command;
use std::sync::OnceLock;

/// The server's URI, asked for once per process. Blocking: call it from a blocking
/// context (or before the async work starts).
pub fn server_uri() -> &'static str {
    static URI: OnceLock<String> = OnceLock::new();
    URI.get_or_init(|| match std::env::var("CLOSER_TEST_MONGODB_URI") {
        Ok(uri) if !uri.trim().is_empty() => uri.trim().to_owned(),
        _ => start_server().unwrap_or_else(|why| panic!("the MongoDB tests need a server: {why}")),
    })
}

/// Starts (or reuses) the repository's test server and returns its URI.
pub fn start_server() -> Result<String, String> {
    let script = concat!(env!("CARGO_MANIFEST_DIR"), "/../scripts/mongodb-test-server.sh");
    let output = Command::new("bash")
        .arg(script)
        .arg("start")
        .output()
        .map_err(|e| format!("cannot run {script}: {e}"))?;
    if !output.status.success() {
        return Err(format!(
            "{script} start failed ({}):\n{}",
            output.status,
            String::from_utf8_lossy(&output.stderr).trim()
        ));
    }
    Ok(String::from_utf8_lossy(&output.stdout).trim().to_owned())
}

/// `uri` with its database replaced by `database`, so that runs sharing one server do
/// not share data.
pub fn with_database(uri: &str, database: &str) -> String {
    let (scheme, rest) = uri.split_once("://").expect("a MongoDB URI has a scheme");
    let authority_end = rest.find(['/', '?']).unwrap_or(rest.len());
    let (authority, tail) = rest.split_at(authority_end);
    let query = tail.find('?').map_or("", |at| &tail[at..]);
    format!("{scheme}://{authority}/{database}{query}")
}
