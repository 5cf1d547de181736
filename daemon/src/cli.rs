//! The command line of `closerd`.

use std::path::PathBuf;

use clap::{Parser, Subcommand};

/// The Closer daemon: answers customers, serves the console and the command line.
#[derive(Debug, Parser)]
#[command(
    name = "closerd",
    version,
    after_help = "Settings come from built-in defaults, then the --config file, then \
                  CLOSER__SECTION__KEY environment variables (see `closerd config example`).\n\n\
                  Exit status: 0 after a clean shutdown, 1 when the daemon cannot start or \
                  fails, 2 for a configuration or usage error."
)]
pub struct Cli {
    /// The TOML configuration file; without one, built-in defaults and the environment.
    #[arg(long, short = 'c', global = true, value_name = "PATH", env = "CLOSER_CONFIG")]
    pub config: Option<PathBuf>,

    /// What to do; `run` when omitted.
    #[command(subcommand)]
    pub command: Option<Command>,
}

#[derive(Debug, Clone, PartialEq, Eq, Subcommand)]
pub enum Command {
    /// Run the daemon (the default).
    Run,
    /// Inspect the configuration.
    Config {
        #[command(subcommand)]
        command: ConfigCommand,
    },
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Subcommand)]
pub enum ConfigCommand {
    /// Load and validate the configuration, then print it with secrets masked.
    Check,
    /// Print a commented configuration file with every key at its default.
    Example,
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used)]

    use clap::CommandFactory as _;

    use super::*;

    #[test]
    fn the_command_line_is_well_formed() {
        Cli::command().debug_assert();
    }

    #[test]
    fn run_is_the_default_and_config_is_global() {
        let cli = Cli::try_parse_from(["closerd"]).unwrap();
        assert_eq!(cli.command, None);

        let cli =
            Cli::try_parse_from(["closerd", "config", "check", "--config", "/etc/closer.toml"]).unwrap();
        assert_eq!(cli.command, Some(Command::Config { command: ConfigCommand::Check }));
        assert_eq!(cli.config, Some(PathBuf::from("/etc/closer.toml")));

        let cli = Cli::try_parse_from(["closerd", "-c", "x.toml", "run"]).unwrap();
        assert_eq!(cli.command, Some(Command::Run));
    }
}
