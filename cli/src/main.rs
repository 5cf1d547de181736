//! `closer`: the Closer command line. Parses the arguments, runs the command and turns
//! its error into a message on stderr and a documented exit code.

mod commands;
mod error;
mod lines;
mod money;
mod output;

use std::process::ExitCode;

use clap::Parser as _;

fn main() -> ExitCode {
    // Usage errors exit with 2 here, inside clap.
    let cli = commands::Cli::parse();
    let verbose = cli.verbose > 0;
    // reqwest is built with rustls and no provider: one, ring, for the whole process.
    let _ = rustls::crypto::ring::default_provider().install_default();
    let runtime = match tokio::runtime::Builder::new_current_thread().enable_all().build() {
        Ok(runtime) => runtime,
        Err(error) => {
            eprintln!("closer: cannot start: {error}");
            return ExitCode::FAILURE;
        }
    };
    match runtime.block_on(commands::run(cli)) {
        Ok(()) => ExitCode::SUCCESS,
        Err(error) if error.is_broken_pipe() => ExitCode::SUCCESS,
        Err(error) => {
            eprintln!("closer: {error}");
            if let Some(detail) = error.detail().filter(|_| verbose) {
                eprintln!("  ({detail})");
            }
            ExitCode::from(error.exit_code())
        }
    }
}
