//! `closer man`: the man page, generated from the same clap definitions as `--help`,
//! so the two never disagree. Installed with
//! `closer man | sudo tee /usr/local/share/man/man1/closer.1 >/dev/null`, or one page
//! per command with `closer man --dir DIR`.

use std::path::PathBuf;

use clap::CommandFactory as _;

use crate::error::{CliError, Result};
use crate::output::Output;

#[derive(Debug, clap::Args)]
pub struct ManArgs {
    /// Write closer.1 and a page per command (closer-campaign-create.1, …) into DIR
    /// instead of printing closer.1.
    #[arg(long, value_name = "DIR")]
    dir: Option<PathBuf>,
}

pub fn run(args: &ManArgs) -> Result<()> {
    let command = super::Cli::command();
    if let Some(dir) = &args.dir {
        std::fs::create_dir_all(dir)
            .and_then(|()| clap_mangen::generate_to(command, dir))
            .map_err(|error| CliError::Local(format!("{}: {error}", dir.display())))?;
        return Ok(());
    }
    let mut page = Vec::new();
    clap_mangen::Man::new(command).render(&mut page)?;
    Output::new(false, false).raw(&String::from_utf8_lossy(&page))?;
    Ok(())
}
