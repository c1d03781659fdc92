//! Bounds on what a preset or config file may make llmcalc do: how much it reads, what kind of file it
//! reads from, and how deep the TOML nests, so that no file can hang it or exhaust its memory.

use std::io::Read;
use std::path::Path;

use crate::error::{Error, Result};

/// The most bytes read from a preset or `config.json`: the largest real ones are a few kilobytes.
pub const MAX_BYTES: u64 = 1 << 20;

/// The deepest nesting of tables, arrays and dotted keys a preset may have: real presets nest three
/// levels (`[decoder.moe]`); TOML parsers recurse once per level and slow down with the square of it.
pub const MAX_DEPTH: usize = 16;

/// Reads a regular file of at most [`MAX_BYTES`]; a device (`/dev/zero`), a FIFO or a folder is refused
/// before it is opened for reading, so that nothing blocks or reads without end.
pub fn read_text(path: &Path) -> Result<String> {
    let refuse = |message: String| Error::PresetFile {
        origin: path.display().to_string(),
        message,
    };
    let read_error = |source| Error::Read {
        path: path.display().to_string(),
        source,
    };
    let metadata = std::fs::metadata(path).map_err(read_error)?;
    if !metadata.is_file() {
        return Err(refuse(
            "not a regular file; give a preset or config file".into(),
        ));
    }
    let mut text = String::new();
    std::fs::File::open(path)
        .map_err(read_error)?
        .take(MAX_BYTES + 1)
        .read_to_string(&mut text)
        .map_err(read_error)?;
    if text.len() as u64 > MAX_BYTES {
        return Err(refuse(format!(
            "larger than {} MiB; a preset or config is a few kilobytes",
            MAX_BYTES >> 20
        )));
    }
    Ok(text)
}

/// Where TOML `text` first nests deeper than [`MAX_DEPTH`] — brackets and braces, or the segments of a
/// dotted key or table header — as a byte offset; `None` when it does not. Strings and comments are
/// skipped; the scan is linear, so it runs before a parser that is not.
pub fn too_deep(text: &str) -> Option<usize> {
    let bytes = text.as_bytes();
    let (mut depth, mut key_segments, mut in_key) = (0usize, 0usize, true);
    let mut i = 0;
    while i < bytes.len() {
        match bytes[i] {
            quote @ (b'"' | b'\'') => i = string_end(bytes, i, quote),
            b'#' => {
                i = bytes[i..]
                    .iter()
                    .position(|&b| b == b'\n')
                    .map_or(bytes.len(), |n| i + n)
            }
            b'[' | b'{' => {
                depth += 1;
                in_key = bytes[i] == b'{' || key_segments == 0 && in_key;
                key_segments = 0;
            }
            b']' | b'}' => depth = depth.saturating_sub(1),
            b'\n' | b',' => (in_key, key_segments) = (true, 0),
            b'=' => in_key = false,
            b'.' if in_key => key_segments += 1,
            _ => {}
        }
        // `key_segments` counts the dots: one fewer than the segments.
        if depth > MAX_DEPTH || key_segments >= MAX_DEPTH {
            return Some(i);
        }
        i += 1;
    }
    None
}

/// The index of the quote closing the string that opens at `start` (or the end of the text).
fn string_end(bytes: &[u8], start: usize, quote: u8) -> usize {
    let mut i = start + 1;
    while i < bytes.len() && bytes[i] != quote {
        // Only basic strings (`"`) have escapes.
        i += if quote == b'"' && bytes[i] == b'\\' {
            2
        } else {
            1
        };
    }
    i.min(bytes.len())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn real_nesting_passes_and_deep_nesting_is_found_where_it_starts() {
        let real = "[decoder.moe]\nexperts = 8\nx = { a = [1.5, 2.5], b = \"a.b.c.d\" }\n# a.b.c\n";
        assert_eq!(too_deep(real), None);
        let braces = format!("a = {}1{}", "{b = ".repeat(40), "}".repeat(40));
        assert_eq!(too_deep(&braces), Some(4 + 5 * MAX_DEPTH));
        let header = format!("[{}]\n", vec!["a"; 40].join("."));
        assert_eq!(too_deep(&header), Some(2 * MAX_DEPTH));
        let key = format!("{} = 1\n", vec!["a"; 40].join("."));
        assert!(too_deep(&key).is_some());
        let arrays = format!("a = {}1{}", "[".repeat(40), "]".repeat(40));
        assert!(too_deep(&arrays).is_some());
        // Dots and brackets inside strings are text.
        let quoted = format!("a = \"{}\"\n", "[".repeat(40));
        assert_eq!(too_deep(&quoted), None);
    }

    #[test]
    fn only_regular_files_of_bounded_size_are_read() {
        let err = read_text(Path::new("/dev/zero")).unwrap_err();
        assert!(err.to_string().contains("not a regular file"), "{err}");
        let err = read_text(Path::new("/")).unwrap_err();
        assert!(err.to_string().contains("not a regular file"), "{err}");
        let dir = std::env::temp_dir().join(format!("llmcalc-limits-{}", std::process::id()));
        std::fs::create_dir_all(&dir).unwrap();
        let big = dir.join("big.toml");
        std::fs::write(&big, vec![b'#'; MAX_BYTES as usize + 1]).unwrap();
        let err = read_text(&big).unwrap_err();
        assert!(err.to_string().contains("larger than 1 MiB"), "{err}");
        std::fs::remove_dir_all(&dir).unwrap();
    }
}
