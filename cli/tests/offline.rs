//! `closer` where no server is needed or none answers: the man page, and the exit
//! code and hint for a closerd that is down. These run the built binary of this
//! package; everything that talks to a real closerd lives in the end-to-end tests.

use std::io::Write as _;
use std::path::Path;
use std::process::{Command, Output, Stdio};

fn closer(config: &Path, server: &str, args: &[&str]) -> Output {
    closer_with_stdin(config, server, args, "")
}

/// `closer --server SERVER ARGS` with its own configuration directory and `stdin` piped in.
fn closer_with_stdin(config: &Path, server: &str, args: &[&str], stdin: &str) -> Output {
    let mut child = Command::new(env!("CARGO_BIN_EXE_closer"))
        .arg("--server")
        .arg(server)
        .args(args)
        .env("CLOSER_CONFIG_DIR", config)
        .env("NO_COLOR", "1")
        .env_remove("CLOSER_SERVER")
        .env_remove("CLOSER_TOKEN")
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .expect("closer starts");
    child.stdin.take().expect("stdin is piped").write_all(stdin.as_bytes()).expect("stdin takes the text");
    child.wait_with_output().expect("closer runs")
}

#[track_caller]
fn assert_fails(run: &Output, code: i32, needle: &str) {
    let stderr = String::from_utf8_lossy(&run.stderr);
    assert_eq!(run.status.code(), Some(code), "{run:#?}");
    assert!(stderr.contains(needle), "stderr should say {needle:?}: {stderr}");
    assert!(!stderr.contains("panicked"), "{stderr}");
}

#[test]
fn the_man_page_renders_from_the_command_definitions() {
    let dir = tempfile::tempdir().expect("a temporary directory");
    let server = "http://127.0.0.1:9";
    let page = closer(dir.path(), server, &["man"]);
    assert!(page.status.success(), "{page:#?}");
    let roff = String::from_utf8_lossy(&page.stdout);
    assert!(roff.contains(".TH closer 1"), "{roff}");
    for needed in ["SUBCOMMANDS", "simulate", "Exit codes", "CLOSER_TOKEN"] {
        assert!(roff.contains(needed), "the man page lacks {needed:?}:\n{roff}");
    }

    let pages = dir.path().join("man1");
    let written = closer(dir.path(), server, &["man", "--dir", pages.to_str().expect("a UTF-8 path")]);
    assert!(written.status.success(), "{written:#?}");
    for page in ["closer.1", "closer-campaign-edit.1", "closer-simulate.1"] {
        assert!(pages.join(page).is_file(), "{page} is written");
    }

    let blocked = dir.path().join("file");
    std::fs::write(&blocked, "").expect("a file where a directory should be");
    let refused = closer(dir.path(), server, &["man", "--dir", blocked.to_str().expect("a UTF-8 path")]);
    assert_fails(&refused, 1, "file");
}

#[test]
fn a_server_that_is_down_is_exit_code_3_with_a_hint() {
    // A port that was just free: nothing listens there.
    let port = std::net::TcpListener::bind("127.0.0.1:0").expect("a port").local_addr().expect("addr").port();
    let server = format!("http://127.0.0.1:{port}");
    let dir = tempfile::tempdir().expect("a temporary directory");
    let run = closer_with_stdin(
        dir.path(),
        &server,
        &["login", "--email", "ana@bakery.example", "--password-stdin"],
        "a long enough password\n",
    );
    assert_fails(&run, 3, &format!("closerd is not reachable at {server}: is it running?"));
}
