//! `closer-tui`: the operator console on its own (`closer tui` opens the same).

use std::process::ExitCode;

fn main() -> ExitCode {
    let mut args = std::env::args().skip(1);
    let mut server = std::env::var("CLOSER_SERVER").ok().filter(|server| !server.is_empty());
    while let Some(arg) = args.next() {
        match arg.as_str() {
            "--server" => {
                let Some(url) = args.next().filter(|url| !url.trim().is_empty()) else {
                    eprintln!("closer-tui: --server needs a URL, such as http://127.0.0.1:8080");
                    return ExitCode::from(2);
                };
                server = Some(url);
            }
            "-h" | "--help" => {
                println!(
                    "closer-tui: the Closer operator console\n\nUsage: closer-tui [--server URL]\n\nPress ? in the console for its keys."
                );
                return ExitCode::SUCCESS;
            }
            other => {
                eprintln!("closer-tui: unexpected argument {other:?} (usage: closer-tui [--server URL])");
                return ExitCode::from(2);
            }
        }
    }
    // reqwest is built with rustls and no provider: one, ring, for the whole process.
    let _ = rustls::crypto::ring::default_provider().install_default();
    let runtime = match tokio::runtime::Builder::new_multi_thread().worker_threads(2).enable_all().build() {
        Ok(runtime) => runtime,
        Err(error) => {
            eprintln!("closer-tui: cannot start: {error}");
            return ExitCode::FAILURE;
        }
    };
    match runtime.block_on(closer_tui::run(server)) {
        Ok(()) => ExitCode::SUCCESS,
        Err(error) => {
            eprintln!("closer-tui: {error}");
            ExitCode::FAILURE
        }
    }
}
