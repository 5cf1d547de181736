//! `closer-tui` before it takes the terminal: bad arguments and a missing terminal get
//! a clear message and an exit code, and nothing is drawn or written.

use std::process::{Command, Output, Stdio};

fn closer_tui(args: &[&str]) -> Output {
    let config = tempfile::tempdir().expect("a temporary directory");
    Command::new(env!("CARGO_BIN_EXE_closer-tui"))
        .args(args)
        .env("CLOSER_CONFIG_DIR", config.path())
        .env_remove("CLOSER_SERVER")
        .stdin(Stdio::null())
        .output()
        .expect("closer-tui runs")
}

#[track_caller]
fn refused(run: &Output, code: i32, needle: &str) {
    let stderr = String::from_utf8_lossy(&run.stderr);
    assert_eq!(run.status.code(), Some(code), "{run:#?}");
    assert!(stderr.contains(needle), "stderr should say {needle:?}: {stderr}");
    assert!(run.stdout.is_empty(), "nothing is drawn: {run:#?}");
}

#[test]
fn bad_arguments_are_usage_errors() {
    refused(&closer_tui(&["--server"]), 2, "--server needs a URL");
    refused(&closer_tui(&["--server", " "]), 2, "--server needs a URL");
    refused(&closer_tui(&["--colour"]), 2, "unexpected argument \"--colour\"");
}

#[test]
fn without_a_terminal_it_says_what_to_use_instead() {
    refused(&closer_tui(&["--server", "http://127.0.0.1:9"]), 1, "the console needs a terminal");
}

#[test]
fn help_names_the_options() {
    let help = closer_tui(&["--help"]);
    assert!(help.status.success(), "{help:#?}");
    assert!(String::from_utf8_lossy(&help.stdout).contains("--server URL"));
}
