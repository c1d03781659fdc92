//! `llmcalc completions` and `llmcalc man`: generated from the same definitions as `--help`.

use clap::{Args, CommandFactory};

use super::Cli;
use crate::catalog::presets::{self, Preset};
use crate::domain::hardware::Gpu;
use crate::domain::model::Model;

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
        clap_complete::generate(self.shell, &mut with_preset_names(), "llmcalc", &mut out);
        String::from_utf8_lossy(&out).into_owned()
    }
}

/// The command line with the built-in model and GPU names (and GPU aliases) as the values the shell
/// offers for MODEL and --gpu. For completion only: parsing still takes any name or a path to a file.
fn with_preset_names() -> clap::Command {
    let models: Vec<&'static str> = presets::names::<Model>().collect();
    let mut gpus: Vec<&'static str> = presets::names::<Gpu>()
        .chain(Gpu::ALIASES.iter().map(|(alias, _)| *alias))
        .collect();
    gpus.sort_unstable();
    Cli::command().mut_subcommands(|sub| {
        let has = |id: &str| sub.get_arguments().any(|a| a.get_id() == id);
        let (model, gpu) = (has("model"), has("gpu"));
        let mut sub = sub;
        if model {
            sub = sub.mut_arg("model", |a| a.value_parser(models.clone()));
        }
        if gpu {
            sub = sub.mut_arg("gpu", |a| a.value_parser(gpus.clone()));
        }
        sub
    })
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
