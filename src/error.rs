//! Operating errors: bad scenarios, unreadable or unwritable files, runs that hit a limit. Bugs
//! are panics, not errors; usage errors are clap's.

use std::path::PathBuf;
use thiserror::Error;

/// Everything that can go wrong while doing what the user asked.
#[derive(Debug, Error)]
pub enum Error {
    /// A scenario file that cannot be used; every problem found is listed.
    #[error("{}: {}", path.display(), format_problems(problems))]
    Scenario { path: PathBuf, problems: Vec<String> },
    /// A file or folder that could not be read or written.
    #[error("{}: {source}", path.display())]
    Io { path: PathBuf, source: std::io::Error },
    /// The output folder cannot be used.
    #[error("{}: {message}", path.display())]
    Output { path: PathBuf, message: String },
    /// A run stopped at its event budget before its end time.
    #[error("scenario `{scenario}` (policy {policy}, seed {seed}) hit max_events = {max_events} at t = {at_s:.3}s before its end; raise max_events or shorten duration")]
    MaxEvents {
        scenario: String,
        policy: String,
        seed: u64,
        max_events: u64,
        at_s: f64,
    },
    /// A chart could not be drawn.
    #[error("chart {}: {message}", path.display())]
    Chart { path: PathBuf, message: String },
    /// A command-line value that clap cannot check by itself.
    #[error("{0}")]
    Usage(String),
    /// The run was interrupted (Ctrl-C); nothing partial was left behind.
    #[error("interrupted")]
    Interrupted,
}

fn format_problems(problems: &[String]) -> String {
    if problems.len() == 1 {
        problems[0].clone()
    } else {
        let mut text = format!("{} problems:", problems.len());
        for problem in problems {
            text.push_str("\n  - ");
            text.push_str(problem);
        }
        text
    }
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
