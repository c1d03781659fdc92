//! The README's examples are real: every ```console block starting with `$ llmcalc ARGS` must hold
//! exactly what the binary prints for ARGS (standard output, or standard error when it fails), ARGS
//! split as a shell splits them; a `$` in ARGS must be quoted, as a shell would otherwise take it.
//! `LLMCALC_UPDATE_README=1 cargo test readme` rewrites the blocks from the binary; review the diff.

use std::path::Path;

use crate::llmcalc;

/// What llmcalc prints for a command line from the README: standard output for an answer, then
/// standard error when there is no answer (exit code 3), or standard error alone for an error.
fn run(command: &str) -> String {
    let args = crate::cli::shell_words(command);
    let output = llmcalc().args(&args).output().unwrap();
    let text = match output.status.code() {
        Some(0) => output.stdout,
        Some(3) => [output.stdout, output.stderr].concat(),
        _ => output.stderr,
    };
    String::from_utf8(text).unwrap()
}

#[test]
fn readme_examples_match_the_binary() {
    let path = Path::new(env!("CARGO_MANIFEST_DIR")).join("README.md");
    let readme = std::fs::read_to_string(&path).unwrap();
    let mut rewritten = String::new();
    let mut stale = Vec::new();
    let mut rest = readme.as_str();
    let mut examples = 0;
    while let Some(start) = rest.find("```console\n$ llmcalc ") {
        let body_start = start + "```console\n".len();
        let end = body_start + rest[body_start..].find("\n```").expect("unclosed block") + 1;
        let block = &rest[body_start..end];
        let (first, expected) = block.split_once('\n').unwrap_or((block, ""));
        let command = first.trim_start_matches("$ llmcalc ");
        for word in command.split_whitespace().filter(|w| w.contains('$')) {
            assert!(word.starts_with('\''), "`{command}`: quote `{word}`");
        }
        let actual = run(command);
        if actual != expected {
            stale.push(command.to_string());
        }
        rewritten.push_str(&rest[..body_start]);
        rewritten.push_str(first);
        rewritten.push('\n');
        rewritten.push_str(&actual);
        rest = &rest[end..];
        examples += 1;
    }
    rewritten.push_str(rest);
    assert!(examples >= 5, "the README lost its examples");
    if std::env::var_os("LLMCALC_UPDATE_README").is_some() {
        std::fs::write(&path, rewritten).unwrap();
        return;
    }
    assert!(
        stale.is_empty(),
        "README examples differ from the binary's output: {stale:?}; run \
         LLMCALC_UPDATE_README=1 cargo test readme and review the diff"
    );
}
