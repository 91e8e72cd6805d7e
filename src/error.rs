//! Operating errors: bad scenarios, unreadable or unwritable files, runs that hit a limit. Bugs
//! are panics, not errors; usage errors are clap's.

use std::path::PathBuf;
use thiserror::Error;

/// Everything that can go wrong while doing what the user asked.
#[derive(Debug, Error)]
pub enum Error {
    /// A scenario file that cannot be used; every problem found is listed.
    #[error("{}: {}", shown(path), format_problems(problems))]
    Scenario { path: PathBuf, problems: Vec<String> },
    /// A file or folder that could not be read or written.
    #[error("{}: {}", shown(path), escape_control(&source.to_string()))]
    Io { path: PathBuf, source: std::io::Error },
    /// The output folder cannot be used.
    #[error("{}: {}", shown(path), escape_control(message))]
    Output { path: PathBuf, message: String },
    /// A run stopped at its event budget before its end time.
    #[error("scenario `{}` (policy {policy}, seed {seed}) hit max_events = {max_events} at t = {at_s:.3}s before its end; raise max_events or shorten duration", escape_control(scenario))]
    MaxEvents {
        scenario: String,
        policy: String,
        seed: u64,
        max_events: u64,
        at_s: f64,
    },
    /// A chart could not be drawn.
    #[error("chart {}: {}", shown(path), escape_control(message))]
    Chart { path: PathBuf, message: String },
    /// A command-line value that clap cannot check by itself.
    #[error("{}", escape_control(.0))]
    Usage(String),
    /// The run was interrupted (Ctrl-C); nothing partial was left behind.
    #[error("interrupted")]
    Interrupted,
}

fn format_problems(problems: &[String]) -> String {
    if problems.len() == 1 {
        escape_control(&problems[0])
    } else {
        let mut text = format!("{} problems:", problems.len());
        for problem in problems {
            text.push_str("\n  - ");
            text.push_str(&escape_control(problem));
        }
        text
    }
}

fn shown(path: &std::path::Path) -> String {
    escape_control(&path.display().to_string())
}

/// `text` safe to print on a terminal: control characters (ESC, CR, newline, ...) and the
/// invisible formatting characters that reorder or hide text (bidi overrides, zero-width
/// characters) are written as escapes, so scenario text cannot move the cursor, recolour the
/// terminal or forge a line of output.
pub fn escape_control(text: &str) -> String {
    if !text.chars().any(needs_escape) {
        return text.to_string();
    }
    let mut out = String::with_capacity(text.len() + 8);
    for c in text.chars() {
        match c {
            '\n' => out.push_str("\\n"),
            '\r' => out.push_str("\\r"),
            '\t' => out.push_str("\\t"),
            c if needs_escape(c) => out.push_str(&format!("\\u{{{:x}}}", u32::from(c))),
            c => out.push(c),
        }
    }
    out
}

fn needs_escape(c: char) -> bool {
    c.is_control() || matches!(c, '\u{200b}'..='\u{200f}' | '\u{2028}'..='\u{202e}' | '\u{2060}'..='\u{2069}' | '\u{feff}' | '\u{061c}')
}

impl Error {
    /// The process exit code for this error (documented in the README).
    pub fn exit_code(&self) -> i32 {
        match self {
            Error::Scenario { .. } | Error::Usage(_) => 2,
            Error::Io { .. } | Error::Output { .. } | Error::Chart { .. } => 3,
            Error::MaxEvents { .. } => 4,
            Error::Interrupted => 130,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn control_characters_are_escaped() {
        assert_eq!(escape_control("plain ü"), "plain ü");
        assert_eq!(escape_control("a\u{1b}[31mb\nc\r\u{202e}d"), "a\\u{1b}[31mb\\nc\\r\\u{202e}d");
        let error = Error::Scenario {
            path: "s.toml".into(),
            problems: vec!["name `\u{1b}]0;x\u{7}`".into(), "two".into()],
        };
        let text = error.to_string();
        assert!(!text.contains('\u{1b}') && !text.contains('\u{7}'), "{text}");
        assert!(text.contains("\n  - two"), "the list layout is kept: {text}");
    }
}
