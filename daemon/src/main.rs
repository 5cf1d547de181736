//! `closerd`: parses the command line and hands over to the `closer_daemon` library.

use std::io::Write as _;
use std::process::ExitCode;

use anyhow::Context as _;
use clap::Parser as _;
use closer_core::config::Config;
use closer_daemon::{Cli, Command, ConfigCommand, DaemonError};

/// A customer message's path allocates and frees many small values from several
/// threads; glibc's allocator took about a seventh of closerd's time under load, and
/// jemalloc stays lean where mimalloc did not (BENCHMARKS.md, "Pipeline").
#[global_allocator]
static ALLOCATOR: tikv_jemallocator::Jemalloc = tikv_jemallocator::Jemalloc;

fn main() -> ExitCode {
    closer_daemon::crypto::install_crypto_provider();
    match dispatch(Cli::parse()) {
        Ok(()) => ExitCode::SUCCESS,
        Err(error) => {
            eprintln!("closerd: {error:#}");
            ExitCode::from(error.downcast_ref::<DaemonError>().map_or(1, DaemonError::exit_code))
        }
    }
}

fn dispatch(cli: Cli) -> anyhow::Result<()> {
    let path = cli.config.as_deref();
    let command = cli.command.unwrap_or(Command::Run);
    if let Command::Config { command: ConfigCommand::Example } = command {
        return print(Config::example());
    }
    let config = closer_daemon::load_config(path).map_err(DaemonError::from)?;
    if let Command::Config { command: ConfigCommand::Check } = command {
        return print(&closer_daemon::check_report(&config, path).map_err(DaemonError::from)?);
    }
    closer_daemon::init_logging(&config.log)?;
    let runtime = tokio::runtime::Runtime::new().context("cannot start the async runtime")?;
    runtime.block_on(closer_daemon::run(config, path, closer_daemon::shutdown_signal()))?;
    Ok(())
}

/// Writes to stdout; a reader that went away (`closerd config example | head`) is fine.
fn print(text: &str) -> anyhow::Result<()> {
    let mut stdout = std::io::stdout().lock();
    match stdout.write_all(text.as_bytes()).and_then(|()| stdout.flush()) {
        Err(error) if error.kind() != std::io::ErrorKind::BrokenPipe => {
            Err(error).context("cannot write to stdout")
        }
        _ => Ok(()),
    }
}
