//! `trace.csv` (`replay --trace`): every handled event of the selected kinds, in the order the
//! engine handled them: time, kind and the event's fields. For debugging a model.

use super::atomic::AtomicFile;
use crate::error::Error;
use crate::model::{event_kind, Event, EVENT_KIND_NAMES};
use std::io::Write;
use std::path::{Path, PathBuf};

/// A trace being written (atomically, like every output).
pub struct TraceWriter {
    file: AtomicFile,
    path: PathBuf,
}

impl TraceWriter {
    /// Starts `path` with its header.
    pub fn create(path: &Path) -> Result<TraceWriter, Error> {
        let mut writer = TraceWriter {
            file: AtomicFile::create(path)?,
            path: path.to_path_buf(),
        };
        writer.line("time_ns,time_s,kind,event\n")?;
        Ok(writer)
    }

    fn line(&mut self, text: &str) -> Result<(), Error> {
        self.file.write_all(text.as_bytes()).map_err(|source| Error::Io {
            path: self.path.clone(),
            source,
        })
    }

    /// Appends events.
    pub fn write(&mut self, events: &[(u64, Event)]) -> Result<(), Error> {
        let mut text = String::with_capacity(events.len() * 64);
        for (time, event) in events {
            let kind = EVENT_KIND_NAMES[event_kind(event) as usize];
            // The Debug form has commas: quote it for CSV.
            text.push_str(&format!(
                "{time},{}.{:09},{kind},\"{event:?}\"\n",
                time / 1_000_000_000,
                time % 1_000_000_000
            ));
        }
        self.line(&text)
    }

    /// Completes the file.
    pub fn finish(self) -> Result<(), Error> {
        self.file.commit()
    }
}
