//! Fresh stores for each test: a SQLite file in a temp dir, a MongoDB database of its
//! own on the test server.

use std::sync::Arc;

#[cfg(feature = "mongodb")]
#[path = "../../../tests/harness/mongodb.rs"]
mod mongodb_server;

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

/// The same backend behind the read cache.
pub fn cached(backend: Backend) -> Backend {
    let store = Arc::new(closer_core::store::cache::CachedStore::new(backend.store()));
    Backend { store, ..backend }
}

#[cfg(feature = "mongodb")]
pub async fn mongodb() -> Backend {
    let server = tokio::task::spawn_blocking(mongodb_server::server_uri).await.expect("join");
    let name = format!("closer_test_{}", uuid::Uuid::now_v7().simple());
    let url = mongodb_server::with_database(server, &name);
    let store = closer_core::store::open(&url).await.expect("open MongoDB");
    let client = mongodb::Client::with_uri_str(&url).await.expect("connect to MongoDB");
    Backend { store, mongo: Some((client, name)), _dir: None }
}
