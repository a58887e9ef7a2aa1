//! The man pages and shell completions, generated from the same clap
//! definitions that parse the command line (so they never drift from it):
//! `matterbox generate-docs --out DIR` writes `DIR/man1/*.1` (one page per
//! command) and `DIR/completions/{matterbox.bash,_matterbox,matterbox.fish}`.
//! `scripts/package.sh` puts them in the packages. Hidden from `--help`.

use std::path::Path;

use clap::CommandFactory;
use clap_complete::Shell;

pub(crate) fn generate(out: &Path) -> std::io::Result<()> {
    let command = crate::Cli::command();
    let man = out.join("man1");
    std::fs::create_dir_all(&man)?;
    clap_mangen::generate_to(command.clone(), &man)?;
    let completions = out.join("completions");
    std::fs::create_dir_all(&completions)?;
    for shell in [Shell::Bash, Shell::Zsh, Shell::Fish] {
        let mut command = command.clone();
        clap_complete::generate_to(shell, &mut command, "matterbox", &completions)?;
    }
    Ok(())
}
