//! Workload files: request lengths as a distribution, one kind of request a line of CSV,
//!
//! ```text
//! # prompt_tokens,output_tokens[,weight]
//! prompt_tokens,output_tokens,weight
//! 200,150,6
//! 2000,400,3
//! 8000,1000,1
//! ```
//!
//! Tokens are whole numbers from 1 to 10^15; the weight, a number above 0 (1 when left out), is the
//! kind's share of the requests, relative to the other rows (counts, percentages or fractions). Blank
//! lines and lines starting with `#` are skipped, and the first line may name the columns. The file
//! is read within [`super::limits`] (a regular file of at most 1 MiB); every problem is reported with
//! the file, line and column of the field.

use std::ops::Range;
use std::path::Path;

use super::limits::read_text;
use super::presets::location;
use crate::domain::serving::{Lengths, Workload};
use crate::error::{Error, Result};

/// The most tokens a prompt or output may have, as for the command-line counts.
const MAX_TOKENS: f64 = 1e15;

/// What a row looks like, for the messages.
const ROW: &str = "a row is `prompt_tokens,output_tokens[,weight]`";

/// Reads the workload file at `path`.
pub fn read(path: &Path) -> Result<Workload> {
    let text = read_text(path)?;
    parse(&path.display().to_string(), &text)
}

/// The workload of CSV `text` read from `origin`.
pub fn parse(origin: &str, text: &str) -> Result<Workload> {
    let error = |span: Range<usize>, message: String| Error::Preset {
        location: location(origin.to_string(), text, span.start, span.end),
        message,
    };
    let mut rows = Vec::new();
    let mut start = 0;
    for line in text.split_inclusive('\n') {
        let at = start;
        start += line.len();
        let content = line.trim_end_matches(['\n', '\r']);
        let trimmed = content.trim();
        let header = rows.is_empty() && trimmed.starts_with("prompt_tokens");
        if trimmed.is_empty() || trimmed.starts_with('#') || header && is_header(trimmed) {
            continue;
        }
        rows.push(row(content, at, &error)?);
    }
    if rows.is_empty() {
        let end = text.len();
        return Err(error(
            end..end,
            format!("no requests; {ROW}, one line per kind of request"),
        ));
    }
    Ok(Workload::new(rows))
}

/// Whether a line names the columns.
fn is_header(line: &str) -> bool {
    let names: Vec<&str> = line.split(',').map(str::trim).collect();
    names == ["prompt_tokens", "output_tokens"]
        || names == ["prompt_tokens", "output_tokens", "weight"]
}

/// One row of `line`, which starts at byte `at` of the file.
fn row(line: &str, at: usize, error: &impl Fn(Range<usize>, String) -> Error) -> Result<Lengths> {
    let mut fields = Vec::new();
    let mut offset = at;
    for field in line.split(',') {
        let lead = field.len() - field.trim_start().len();
        let span = offset + lead..offset + lead + field.trim().len();
        fields.push((field.trim(), span));
        offset += field.len() + 1;
    }
    if fields.len() < 2 || fields.len() > 3 {
        let span = fields.get(3).map_or(at + line.len()..at + line.len(), |f| {
            f.1.start..at + line.len()
        });
        let message = format!("{} fields; {ROW}", fields.len());
        return Err(error(span, message));
    }
    let tokens = |(value, span): &(&str, Range<usize>), name: &str| -> Result<u64> {
        match value.parse::<f64>() {
            Ok(n) if n.fract() == 0.0 && (1.0..=MAX_TOKENS).contains(&n) => Ok(n as u64),
            _ => Err(error(
                span.clone(),
                format!(
                    "{name} `{value}` is not allowed: a whole number of tokens from 1 to 10^15"
                ),
            )),
        }
    };
    let weight = match fields.get(2) {
        None => 1.0,
        Some((value, span)) => match value.parse::<f64>() {
            Ok(w) if w > 0.0 && w <= MAX_TOKENS => w,
            _ => Err(error(
                span.clone(),
                format!("weight `{value}` is not allowed: a number above 0 and at most 10^15"),
            ))?,
        },
    };
    Ok(Lengths {
        prompt: tokens(&fields[0], "prompt_tokens")?,
        output: tokens(&fields[1], "output_tokens")?,
        weight,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn err(text: &str) -> String {
        parse("w.csv", text).unwrap_err().to_string()
    }

    #[test]
    fn rows_headers_comments_and_default_weights() {
        let w = parse(
            "w.csv",
            "# chat\nprompt_tokens,output_tokens\n\n100, 100\n3000,900\n",
        )
        .unwrap();
        assert_eq!(w.mean_prompt(), 1550.0);
        let weighted = parse("w.csv", "100,100,3\r\n3000,900,1\r\n").unwrap();
        assert_eq!(weighted.mean_prompt(), 825.0);
    }

    #[test]
    fn problems_name_the_line_column_field_and_what_is_allowed() {
        let e = err("100,100\n200, -5\n");
        assert!(
            e.starts_with("w.csv:2:6: output_tokens `-5` is not allowed"),
            "{e}"
        );
        let e = err("100,0\n");
        assert!(e.starts_with("w.csv:1:5: output_tokens `0`"), "{e}");
        let e = err("abc,10\n");
        assert!(e.starts_with("w.csv:1:1: prompt_tokens `abc`"), "{e}");
        let e = err("1,2,0\n");
        assert!(e.starts_with("w.csv:1:5: weight `0` is not allowed"), "{e}");
        let e = err("1e16,2\n");
        assert!(e.contains("from 1 to 10^15"), "{e}");
        let e = err("1,2,3,4\n");
        assert!(e.starts_with("w.csv:1:7: 4 fields"), "{e}");
        let e = err("# nothing\n");
        assert!(e.starts_with("w.csv:2:1: no requests"), "{e}");
        assert!(err("").starts_with("w.csv:1:1: no requests"));
    }
}
