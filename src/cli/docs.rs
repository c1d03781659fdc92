//! `llmcalc completions` and `llmcalc man`: generated from the same definitions as `--help`.

use clap::{Args, CommandFactory};

use super::Cli;

/// Print a shell completion script: `llmcalc completions bash > /etc/bash_completion.d/llmcalc`.
#[derive(Args)]
#[command(
    after_help = "Examples:\n  llmcalc completions bash > ~/.local/share/bash-completion/completions/llmcalc\n  llmcalc completions zsh > ~/.zfunc/_llmcalc\n  llmcalc completions fish > ~/.config/fish/completions/llmcalc.fish"
)]
pub struct CompletionsArgs {
    /// The shell
    #[arg(value_enum)]
    shell: clap_complete::Shell,
}

impl CompletionsArgs {
    pub fn run(self) -> String {
        let mut out = Vec::new();
        clap_complete::generate(self.shell, &mut Cli::command(), "llmcalc", &mut out);
        String::from_utf8_lossy(&out).into_owned()
    }
}

/// The main page, then one page per command, as `llmcalc-NAME`.
pub fn man() -> String {
    // Rendering into memory cannot fail.
    let mut out = Vec::new();
    let command = Cli::command();
    clap_mangen::Man::new(command.clone())
        .render(&mut out)
        .expect("writing to memory");
    for sub in command.get_subcommands() {
        let name = format!("llmcalc-{}", sub.get_name());
        clap_mangen::Man::new(sub.clone().display_name(name))
            .render(&mut out)
            .expect("writing to memory");
    }
    String::from_utf8_lossy(&out).into_owned()
}
