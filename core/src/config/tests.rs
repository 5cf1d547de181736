//! Unit tests of loading, overriding, validating and showing the configuration.

#![allow(clippy::unwrap_used)]

use std::io::Write as _;
use std::path::{Path, PathBuf};

use super::*;

const NO_ENV: [(&str, &str); 0] = [];

fn file_with(text: &str) -> tempfile::NamedTempFile {
    let mut file = tempfile::Builder::new().suffix(".toml").tempfile().unwrap();
    file.write_all(text.as_bytes()).unwrap();
    file
}

fn load_text(text: &str) -> Result<Config, ConfigError> {
    let file = file_with(text);
    Config::load(Some(file.path()), NO_ENV)
}

fn load_env(env: &[(&str, &str)]) -> Result<Config, ConfigError> {
    Config::load(None, env.iter().copied())
}

#[test]
fn defaults_are_the_documented_ones() {
    let config = Config::load(None, NO_ENV).unwrap();
    assert_eq!(config, Config::default());
    assert_eq!(config.server.listen.to_string(), "127.0.0.1:8080");
    assert_eq!(config.store.url, "");
    assert_eq!(config.facebook.graph_api_base, "https://graph.facebook.com");
    assert_eq!(config.facebook.graph_api_version, "v21.0");
    assert_eq!(config.ai.provider, AiProvider::Auto);
    assert_eq!(config.ai.base_url, "https://api.openai.com/v1");
    assert_eq!(config.ai.model, "gpt-4o-mini");
    assert_eq!(config.ai.timeout_secs, 15);
    assert_eq!(config.ai.max_retries, 2);
    assert_eq!(config.log.level, "info");
    assert_eq!(config.log.format, LogFormat::Text);
}

#[test]
fn the_example_file_parses_and_equals_the_defaults() {
    let example = Config::from_toml(Config::example(), Path::new("config.example.toml")).unwrap();
    assert_eq!(example, Config::default());
}

#[test]
fn the_example_file_shows_every_key() {
    // Equal to the defaults could still hide a key left out of the file; a key missing
    // from the example would not be documented.
    let example: toml::Table = toml::from_str(Config::example()).unwrap();
    let defaults = toml::Table::try_from(Config::default()).unwrap();
    assert_eq!(example, defaults);
}

#[test]
fn the_file_overrides_the_defaults_and_keeps_the_rest() {
    let config = load_text(
        "[server]\nlisten = \"0.0.0.0:9000\"\n\
         [store]\nurl = \"mongodb://127.0.0.1:27017/closer\"\n\
         [ai]\ntimeout_secs = 30\nprovider = \"rules\"\n\
         [log]\nformat = \"json\"\n",
    )
    .unwrap();
    assert_eq!(config.server.listen.to_string(), "0.0.0.0:9000");
    assert_eq!(config.store.url, "mongodb://127.0.0.1:27017/closer");
    assert_eq!(config.ai.timeout_secs, 30);
    assert_eq!(config.ai.provider, AiProvider::Rules);
    assert_eq!(config.ai.model, "gpt-4o-mini");
    assert_eq!(config.log.format, LogFormat::Json);
    assert_eq!(config.log.level, "info");
}

#[test]
fn the_environment_beats_the_file() {
    let file = file_with("[server]\nlisten = \"0.0.0.0:9000\"\n[ai]\ntimeout_secs = 30\n");
    let env = [
        ("CLOSER__SERVER__LISTEN", "127.0.0.1:9001"),
        ("CLOSER__AI__TIMEOUT_SECS", "45"),
        ("CLOSER__AI__API_KEY", "sk-test"),
        ("PATH", "/usr/bin"),
        ("CLOSER_UNRELATED", "single underscore: not ours"),
    ];
    let config = Config::load(Some(file.path()), env).unwrap();
    assert_eq!(config.server.listen.to_string(), "127.0.0.1:9001");
    assert_eq!(config.ai.timeout_secs, 45);
    assert_eq!(config.ai.api_key, "sk-test");
    assert_eq!(config.ai.effective_provider(), AiProvider::OpenAi);
}

#[test]
fn env_names_are_case_insensitive_after_the_prefix() {
    let config = load_env(&[("CLOSER__log__Format", "json")]).unwrap();
    assert_eq!(config.log.format, LogFormat::Json);
}

#[test]
fn an_unknown_key_in_the_file_is_an_error_naming_it() {
    let error = load_text("[server]\nlisten = \"127.0.0.1:1\"\nlisen = 5\n").unwrap_err();
    assert_eq!(error.key(), Some("server.lisen"));
    let message = error.to_string();
    assert!(message.contains("server.lisen"), "{message}");
    assert!(message.contains("line 3"), "{message}");
    assert!(message.contains("unknown key `lisen`, expected `listen`"), "{message}");
}

#[test]
fn an_unknown_section_is_an_error_naming_it() {
    let error = load_text("[databse]\nurl = \"x\"\n").unwrap_err();
    assert_eq!(error.key(), Some("databse"));
}

#[test]
fn a_wrong_type_names_the_file_the_key_and_the_expectation() {
    let file = file_with("[ai]\ntimeout_secs = \"fifteen\"\n");
    let error = Config::load(Some(file.path()), NO_ENV).unwrap_err();
    let message = error.to_string();
    assert!(message.contains(&file.path().display().to_string()), "{message}");
    assert!(message.contains("ai.timeout_secs (line 2, column 16)"), "{message}");
    assert!(message.contains("expected a whole number"), "{message}");
}

#[test]
fn a_bad_listen_address_says_what_one_looks_like() {
    let error = load_text("[server]\nlisten = \"localhost\"\n").unwrap_err();
    let message = error.to_string();
    assert!(message.contains("server.listen"), "{message}");
    assert!(message.contains("expected IP:PORT"), "{message}");
}

#[test]
fn a_bad_enum_value_lists_the_accepted_ones() {
    let error = load_text("[log]\nformat = \"xml\"\n").unwrap_err();
    let message = error.to_string();
    assert!(message.contains("log.format"), "{message}");
    assert!(message.contains("`text`") && message.contains("`json`"), "{message}");
}

#[test]
fn broken_toml_gives_the_line() {
    let error = load_text("[server\nlisten = 1\n").unwrap_err();
    assert!(matches!(error, ConfigError::File { line: 1, .. }), "{error:?}");
}

#[test]
fn a_missing_file_names_it() {
    let path = PathBuf::from("/nonexistent/closer.toml");
    let error = Config::load(Some(&path), NO_ENV).unwrap_err();
    let message = error.to_string();
    assert!(message.starts_with("cannot read config file /nonexistent/closer.toml: "), "{message}");
}

#[test]
fn an_unknown_env_variable_is_an_error_naming_it() {
    for var in ["CLOSER__SERVER__PORT", "CLOSER__NOPE__X", "CLOSER__SERVER", "CLOSER__A__B__C"] {
        let error = load_env(&[(var, "1")]).unwrap_err();
        let message = error.to_string();
        assert!(matches!(&error, ConfigError::Env { var: named, .. } if named == var), "{message}");
        assert!(message.contains("CLOSER__SERVER__LISTEN"), "lists the known ones: {message}");
    }
}

#[test]
fn a_bad_env_value_names_the_variable_and_the_expectation() {
    let cases = [
        ("CLOSER__AI__TIMEOUT_SECS", "soon", "whole number"),
        ("CLOSER__AI__TIMEOUT_SECS", "-3", "ai.timeout_secs"),
        ("CLOSER__SERVER__LISTEN", "nowhere", "expected IP:PORT"),
        ("CLOSER__AI__PROVIDER", "gpt", "`openai`"),
    ];
    for (var, value, expected) in cases {
        let error = load_env(&[(var, value)]).unwrap_err();
        let message = error.to_string();
        assert!(message.starts_with(&format!("environment variable {var}: ")), "{message}");
        assert!(message.contains(expected), "{message}");
    }
}

#[test]
fn a_validation_error_names_where_the_value_came_from() {
    let file = file_with("[store]\nurl = \"sqlite:///tmp/x.db\"\n");
    let error = Config::load(Some(file.path()), [("CLOSER__STORE__URL", "postgres://x")]).unwrap_err();
    assert!(error.to_string().starts_with("environment variable CLOSER__STORE__URL: store.url: "));

    let error = load_text("[ai]\ntimeout_secs = 0\n").unwrap_err();
    assert!(error.to_string().starts_with("config file "), "{error}");
    assert!(error.to_string().contains("ai.timeout_secs: must be at least 1"), "{error}");
}

#[test]
fn the_workers_default_to_the_stores_and_are_bounded() {
    let defaults = Config::default().pipeline;
    assert_eq!(defaults.workers_for("sqlite"), 128);
    assert_eq!(defaults.workers_for("mongodb"), 512);
    let set = load_text("[pipeline]\nworkers = 40\n").unwrap().pipeline;
    assert_eq!((set.workers_for("sqlite"), set.workers_for("mongodb")), (40, 40));
    let from_env = load_env(&[("CLOSER__PIPELINE__WORKERS", "24")]).unwrap().pipeline;
    assert_eq!(from_env.workers_for("mongodb"), 24);
    let error = load_text("[pipeline]\nworkers = 1025\n").unwrap_err();
    assert!(error.to_string().contains("pipeline.workers: must be at most 1024"), "{error}");
    let error = load_text("[pipeline]\nworkers = -3\n").unwrap_err();
    assert!(error.to_string().contains("workers"), "{error}");
}

#[test]
fn store_urls_must_use_a_known_scheme() {
    for good in [
        "",
        "sqlite:///var/lib/closer/closer.db",
        "sqlite://closer.db",
        "mongodb://127.0.0.1:27017/closer?replicaSet=rs0",
        "mongodb://u:p@a:1,b:2/closer",
        "mongodb+srv://cluster.example.net/closer",
    ] {
        let config = Config { store: StoreConfig { url: good.to_owned() }, ..Config::default() };
        assert!(config.validate().is_ok(), "{good}");
    }
    for bad in ["postgres://x", "sqlite://", "mongodb://", "/var/lib/closer.db", "mongodb:///db"] {
        let config = Config { store: StoreConfig { url: bad.to_owned() }, ..Config::default() };
        let error = config.validate().unwrap_err();
        assert_eq!(error.key(), Some("store.url"), "{bad}");
        assert!(error.to_string().contains("sqlite://PATH"), "{error}");
    }
}

#[test]
fn other_values_are_checked() {
    let cases: [(&str, &str); 8] = [
        ("[facebook]\ngraph_api_base = \"graph.facebook.com\"\n", "facebook.graph_api_base"),
        ("[facebook]\ngraph_api_version = \"21\"\n", "facebook.graph_api_version"),
        ("[ai]\nbase_url = \"ftp://x\"\n", "ai.base_url"),
        ("[ai]\nmodel = \" \"\n", "ai.model"),
        ("[ai]\nprovider = \"openai\"\n", "ai.api_key"),
        ("[log]\nlevel = \"infoo\"\n", "log.level"),
        ("[log]\nlevel = \"closer=loud\"\n", "log.level"),
        ("[pipeline]\ninbox_retention_days = 100000\n", "pipeline.inbox_retention_days"),
    ];
    for (text, key) in cases {
        let error = load_text(text).unwrap_err();
        assert_eq!(error.key(), Some(key), "{error}");
    }
    for level in ["debug", "WARN", "closer_daemon=debug,info", "tower_http::trace=off, warn"] {
        let text = format!("[log]\nlevel = {level:?}\n");
        assert!(load_text(&text).is_ok(), "{level}");
    }
}

#[test]
fn masked_hides_set_secrets_and_keeps_unset_ones_empty() {
    let mut config = Config::default();
    config.facebook.app_secret = "fb-app-secret".to_owned();
    config.ai.api_key = "sk-live-123".to_owned();
    config.store.url = "mongodb://closer:hunter2@db.example.net/closer".to_owned();
    let shown = config.masked().unwrap();
    for secret in ["fb-app-secret", "sk-live-123", "hunter2"] {
        assert!(!shown.contains(secret), "{secret} leaked:\n{shown}");
    }
    assert!(shown.contains("app_secret = \"********\""), "{shown}");
    assert!(shown.contains("api_key = \"********\""), "{shown}");
    assert!(shown.contains("verify_token = \"\""), "{shown}");
    assert!(shown.contains("mongodb://closer:********@db.example.net/closer"), "{shown}");

    // What is shown is still a valid configuration file.
    let reparsed = Config::from_toml(&shown, Path::new("masked")).unwrap();
    assert_eq!(reparsed.server, config.server);
}

#[test]
fn redact_url_leaves_urls_without_a_password_alone() {
    for url in ["sqlite:///a/b.db", "mongodb://user@h/db", "mongodb://h:1/db?x=a@b", "plain"] {
        assert_eq!(redact_url(url), url);
    }
    assert_eq!(redact_url("mongodb+srv://u:p%40ss@h/db"), "mongodb+srv://u:********@h/db");
}

#[test]
fn empty_paths_resolve_under_the_data_dir() {
    let config = Config::default();
    if let Some(dir) = data_dir() {
        assert_eq!(config.store_url().unwrap(), format!("sqlite://{}", dir.join("closer.db").display()));
        assert_eq!(config.secret_key_file().unwrap(), dir.join("secret.key"));
    }
    assert!(config.uses_default_store());

    let mut config = Config::default();
    config.store.url = "sqlite:///srv/closer.db".to_owned();
    config.security.secret_key_file = PathBuf::from("/etc/closer/key");
    assert_eq!(config.store_url().unwrap(), "sqlite:///srv/closer.db");
    assert_eq!(config.secret_key_file().unwrap(), PathBuf::from("/etc/closer/key"));
    assert!(!config.uses_default_store());
}

#[test]
fn auto_provider_follows_the_key() {
    let mut ai = AiConfig::default();
    assert_eq!(ai.effective_provider(), AiProvider::Rules);
    ai.api_key = "k".to_owned();
    assert_eq!(ai.effective_provider(), AiProvider::OpenAi);
    ai.provider = AiProvider::Rules;
    assert_eq!(ai.effective_provider(), AiProvider::Rules);
}

#[test]
fn provider_names_match_the_file() {
    for provider in [AiProvider::Auto, AiProvider::OpenAi, AiProvider::Rules] {
        let ai = AiConfig { provider, ..AiConfig::default() };
        let text = toml::to_string(&ai).unwrap();
        assert!(text.contains(&format!("provider = \"{provider}\"")), "{text}");
    }
}
