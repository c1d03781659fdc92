//! The `llmcalc` command; all of it is in [`llmcalc::cli`].

fn main() -> std::process::ExitCode {
    llmcalc::cli::main()
}
