//! `bare`: the baseline of the webhook benchmark, an axum server with nothing but
//! `POST /webhooks/facebook` answering 200, served as closerd serves (`TCP_NODELAY`),
//! in its own process so that it pays the same process and socket costs.

use axum::Router;
use axum::body::Bytes;
use axum::routing::post;
use axum::serve::ListenerExt as _;

pub async fn serve(listen: &str) -> Result<(), String> {
    let listener = tokio::net::TcpListener::bind(listen).await.map_err(|e| format!("bind {listen}: {e}"))?;
    let addr = listener.local_addr().map_err(|e| e.to_string())?;
    // The body is read, as closerd's handler reads it, and then ignored.
    let app = Router::new().route("/webhooks/facebook", post(|_body: Bytes| async { "EVENT_RECEIVED" }));
    let listener = listener.tap_io(|tcp| {
        let _ = tcp.set_nodelay(true);
    });
    println!("bare listening on {addr}");
    axum::serve(listener, app).with_graceful_shutdown(stopped()).await.map_err(|e| e.to_string())
}

/// Ctrl-C or SIGTERM, which is how the benchmark script stops it.
pub async fn stopped() {
    let mut terminate = tokio::signal::unix::signal(tokio::signal::unix::SignalKind::terminate()).ok();
    tokio::select! {
        _ = tokio::signal::ctrl_c() => {}
        () = async {
            match terminate.as_mut() {
                Some(signal) => { signal.recv().await; }
                None => std::future::pending().await,
            }
        } => {}
    }
}
