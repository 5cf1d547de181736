//! Fresh stores for each test: a SQLite file in a temp dir, a MongoDB database of its
//! own on the test server.

use std::sync::Arc;

use closer_core::store::Store;

pub struct Backend {
    store: Arc<dyn Store>,
    #[cfg(feature = "mongodb")]
    mongo: Option<(mongodb::Client, String)>,
    // Dropped last: the SQLite file lives here.
    _dir: Option<tempfile::TempDir>,
}

impl Backend {
    pub fn store(&self) -> Arc<dyn Store> {
        Arc::clone(&self.store)
    }

    #[cfg(feature = "mongodb")]
    /// Removes the test's database, so the test server does not fill up.
    pub async fn drop_database(&self) {
        if let Some((client, name)) = &self.mongo {
            client.database(name).drop().await.expect("drop the test database");
        }
    }
}

pub async fn sqlite() -> Backend {
    let dir = tempfile::tempdir().expect("temp dir");
    let url = format!("sqlite://{}", dir.path().join("closer.db").display());
    let store = closer_core::store::open(&url).await.expect("open SQLite");
    Backend {
        store,
        #[cfg(feature = "mongodb")]
        mongo: None,
        _dir: Some(dir),
    }
}

#[cfg(feature = "mongodb")]
pub async fn mongodb() -> Backend {
    let server = mongodb_server_uri().await;
    let name = format!("closer_test_{}", uuid::Uuid::now_v7().simple());
    let url = with_database(server, &name);
    let store = closer_core::store::open(&url).await.expect("open MongoDB");
    let client = mongodb::Client::with_uri_str(&url).await.expect("connect to MongoDB");
    Backend { store, mongo: Some((client, name)), _dir: None }
}

/// The test server's URI: `CLOSER_TEST_MONGODB_URI`, or the one the repo's script
/// starts (or finds running). Asked once per test process.
#[cfg(feature = "mongodb")]
pub async fn mongodb_server_uri() -> &'static str {
    static URI: tokio::sync::OnceCell<String> = tokio::sync::OnceCell::const_new();
    URI.get_or_init(|| async {
        if let Ok(uri) = std::env::var("CLOSER_TEST_MONGODB_URI") {
            return uri;
        }
        let script = concat!(env!("CARGO_MANIFEST_DIR"), "/../scripts/mongodb-test-server.sh");
        let output = tokio::task::spawn_blocking(move || std::process::Command::new("bash").arg(script).arg("start").output())
            .await
            .expect("join")
            .unwrap_or_else(|e| panic!("cannot run {script}: {e}"));
        assert!(
            output.status.success(),
            "MongoDB tests need a server: {script} start failed ({}):\n{}",
            output.status,
            String::from_utf8_lossy(&output.stderr)
        );
        String::from_utf8(output.stdout).expect("utf-8 URI").trim().to_owned()
    })
    .await
}

#[cfg(feature = "mongodb")]
/// `mongodb://host:port/?opts` with the database name put in its place.
fn with_database(server: &str, database: &str) -> String {
    let (scheme, rest) = server.split_once("://").expect("a mongodb:// URI");
    let (hosts, options) = match rest.split_once('/') {
        Some((hosts, tail)) => (hosts, tail.split_once('?').map(|(_, o)| o)),
        None => (rest.split_once('?').map_or(rest, |(h, _)| h), rest.split_once('?').map(|(_, o)| o)),
    };
    match options {
        Some(options) => format!("{scheme}://{hosts}/{database}?{options}"),
        None => format!("{scheme}://{hosts}/{database}"),
    }
}

#[cfg(feature = "mongodb")]
#[test]
fn database_names_go_into_the_uri() {
    assert_eq!(with_database("mongodb://h:1/?replicaSet=rs0", "d"), "mongodb://h:1/d?replicaSet=rs0");
    assert_eq!(with_database("mongodb://h:1", "d"), "mongodb://h:1/d");
    assert_eq!(with_database("mongodb://h:1/old", "d"), "mongodb://h:1/d");
    assert_eq!(with_database("mongodb://h:1?x=1", "d"), "mongodb://h:1/d?x=1");
}
