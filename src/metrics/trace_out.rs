//! `trace.csv` (`replay --trace`): every handled event of the selected kinds, in the order the
//! engine handled them: time, kind and the event's fields. For debugging a model.
//!
//! `holds.csv` (`replay --trace-holds`): every ProducerManager monitor hold, in the harness's own
//! trace format (`HbCalib --mode validate --trace-holds`, calibration/jvm/Validate.java) with the
//! broker added, so that calibration/jvm/holds.py reads the loop's trace and hbsim's alike.

use super::atomic::AtomicFile;
use crate::error::Error;
use crate::model::{event_kind, Event, Hold, ThreadRef, EVENT_KIND_NAMES};
use std::io::Write;
use std::path::{Path, PathBuf};

/// A text file written as a run goes on, then committed whole (atomically, like every output).
struct TextStream {
    file: AtomicFile,
    path: PathBuf,
}

impl TextStream {
    fn create(path: &Path, header: &str) -> Result<TextStream, Error> {
        let mut stream = TextStream {
            file: AtomicFile::create(path)?,
            path: path.to_path_buf(),
        };
        stream.append(header)?;
        Ok(stream)
    }

    fn append(&mut self, text: &str) -> Result<(), Error> {
        self.file.write_all(text.as_bytes()).map_err(|source| Error::Io {
            path: self.path.clone(),
            source,
        })
    }

    fn commit(self) -> Result<(), Error> {
        self.file.commit()
    }
}

/// An event trace being written.
pub struct TraceWriter(TextStream);

impl TraceWriter {
    /// Starts `path` with its header.
    pub fn create(path: &Path) -> Result<TraceWriter, Error> {
        TextStream::create(path, "time_ns,time_s,kind,event\n").map(TraceWriter)
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
        self.0.append(&text)
    }

    /// Completes the file.
    pub fn finish(self) -> Result<(), Error> {
        self.0.commit()
    }
}

/// The first line of `holds.csv`: what its columns hold.
pub const HOLDS_HEADER: &str = "# kind,a,b,c,d,broker: H arrive,in,out,thread (registerProducer); \
W ready,in,out,counted (the close walk); C arrive,in,out,thread (unregisterProducer); S arrive,in,out,0 (the \
expiry scan); virtual ns\n";

/// A hold trace being written.
pub struct HoldWriter(TextStream);

impl HoldWriter {
    /// Starts `path` with its header.
    pub fn create(path: &Path) -> Result<HoldWriter, Error> {
        TextStream::create(path, HOLDS_HEADER).map(HoldWriter)
    }

    /// Appends holds.
    pub fn write(&mut self, holds: &[Hold]) -> Result<(), Error> {
        let mut text = String::with_capacity(holds.len() * 48);
        for h in holds {
            let (kind, d) = match h.thread {
                ThreadRef::Heartbeat(i) => ('H', i),
                // Every walk counts: hbsim has no warm-up to leave out.
                ThreadRef::Netty => ('W', 1),
                ThreadRef::ClientManage(i) => ('C', i),
                ThreadRef::Housekeeping => ('S', 0),
            };
            text.push_str(&format!("{kind},{},{},{},{d},{}\n", h.arrive_ns, h.in_ns, h.out_ns, h.broker));
        }
        self.0.append(&text)
    }

    /// Completes the file.
    pub fn finish(self) -> Result<(), Error> {
        self.0.commit()
    }
}
