//! `closer completions bash|zsh|fish`: the shell completion script, from the clap
//! definitions, on stdout (`closer completions bash > ~/.local/share/bash-completion/completions/closer`).

use clap::CommandFactory as _;

use crate::error::Result;

#[derive(Debug, clap::Args)]
pub struct CompletionsArgs {
    #[arg(value_enum)]
    shell: clap_complete::Shell,
}

pub fn run(args: &CompletionsArgs) -> Result<()> {
    let mut script = Vec::new();
    clap_complete::generate(args.shell, &mut super::Cli::command(), "closer", &mut script);
    let script = String::from_utf8_lossy(&script);
    crate::output::Output::new(false, false).raw(&script)?;
    Ok(())
}
