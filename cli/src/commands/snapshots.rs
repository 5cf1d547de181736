//! `--help` of every command, compared with the files under `cli/tests/snapshots/`,
//! so that a change of the command line shows up in review. After an intended change:
//! `UPDATE_SNAPSHOTS=1 cargo test -p closer-cli snapshots`, and commit the files.

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};

use clap::CommandFactory as _;

/// `closer campaign create` as `closer-campaign-create.txt`: the help of each command.
fn help_texts() -> BTreeMap<String, String> {
    fn walk(command: &mut clap::Command, path: &str, texts: &mut BTreeMap<String, String>) {
        let help = command.render_long_help().to_string();
        // Trailing spaces are invisible in review and editors strip them.
        let help: Vec<&str> = help.lines().map(str::trim_end).collect();
        texts.insert(format!("{path}.txt"), format!("{}\n", help.join("\n").trim_end()));
        for sub in command.get_subcommands_mut() {
            if sub.get_name() != "help" {
                let path = format!("{path}-{}", sub.get_name());
                walk(sub, &path, texts);
            }
        }
    }
    let mut command = super::Cli::command();
    // Built, the subcommands know their full names and the global flags.
    command.build();
    let mut texts = BTreeMap::new();
    walk(&mut command, "closer", &mut texts);
    texts
}

fn directory() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/snapshots")
}

#[test]
fn the_help_of_every_command_matches_its_snapshot() {
    let texts = help_texts();
    let dir = directory();
    if std::env::var_os("UPDATE_SNAPSHOTS").is_some_and(|value| value == "1") {
        std::fs::create_dir_all(&dir).expect("the snapshot directory can be created");
        for entry in std::fs::read_dir(&dir).expect("the snapshot directory can be read") {
            let path = entry.expect("a directory entry").path();
            if path.extension().is_some_and(|e| e == "txt") {
                std::fs::remove_file(&path).expect("an old snapshot can be removed");
            }
        }
        for (name, text) in &texts {
            std::fs::write(dir.join(name), text).expect("a snapshot can be written");
        }
        return;
    }
    let mut problems = Vec::new();
    for (name, text) in &texts {
        match std::fs::read_to_string(dir.join(name)) {
            Ok(stored) if stored == *text => {}
            Ok(stored) => problems.push(format!("{name} differs:\n--- stored\n{stored}--- now\n{text}")),
            Err(_) => problems.push(format!("{name} is missing")),
        }
    }
    let stored: Vec<String> = std::fs::read_dir(&dir)
        .map(|entries| entries.filter_map(|e| e.ok()?.file_name().into_string().ok()).collect())
        .unwrap_or_default();
    problems.extend(
        stored
            .into_iter()
            .filter(|name| {
                Path::new(name).extension().is_some_and(|e| e == "txt") && !texts.contains_key(name)
            })
            .map(|name| format!("{name} is of no command any more")),
    );
    assert!(
        problems.is_empty(),
        "the help changed; if that is intended, run `UPDATE_SNAPSHOTS=1 cargo test -p closer-cli snapshots` \
         and commit cli/tests/snapshots/:\n\n{}",
        problems.join("\n")
    );
}

#[test]
fn every_command_says_what_it_does() {
    for (name, text) in help_texts() {
        let first = text.lines().next().unwrap_or_default();
        assert!(!first.trim().is_empty() && !first.starts_with("Usage"), "{name} has no about line:\n{text}");
    }
}
