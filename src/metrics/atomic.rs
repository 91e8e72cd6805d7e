//! Atomic output files: everything is written to a hidden temporary file beside the target and
//! renamed over it only when complete, so a failed or interrupted run leaves either the previous
//! complete file or none.

use crate::error::Error;
use std::fs::File;
use std::io::{BufWriter, Write};
use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicU64, Ordering};

/// Distinguishes temporary files of runs going on in parallel in one process.
static TEMP_COUNTER: AtomicU64 = AtomicU64::new(0);

/// A file being written; it appears under its final name only on [`AtomicFile::commit`].
pub struct AtomicFile {
    temp: PathBuf,
    target: PathBuf,
    writer: Option<BufWriter<File>>,
}

impl AtomicFile {
    /// Starts writing `target` (through a temporary file in the same folder).
    pub fn create(target: &Path) -> Result<AtomicFile, Error> {
        let dir = target.parent().unwrap_or(Path::new("."));
        let name = target.file_name().map(|n| n.to_string_lossy().into_owned()).unwrap_or_default();
        let unique = TEMP_COUNTER.fetch_add(1, Ordering::Relaxed);
        let temp = dir.join(format!(".{name}.{}.{unique}.tmp", std::process::id()));
        let file = File::create(&temp).map_err(|source| Error::Io {
            path: temp.clone(),
            source,
        })?;
        crate::interrupt::register_temp(&temp);
        Ok(AtomicFile {
            temp,
            target: target.to_path_buf(),
            writer: Some(BufWriter::with_capacity(1 << 16, file)),
        })
    }

    /// The writer (for csv and serde_json).
    pub fn writer(&mut self) -> &mut BufWriter<File> {
        self.writer.as_mut().expect("not committed yet")
    }

    /// The temporary path (for error messages).
    pub fn temp_path(&self) -> &Path {
        &self.temp
    }

    /// Flushes and renames the file into place.
    pub fn commit(mut self) -> Result<(), Error> {
        let writer = self.writer.take().expect("commit once");
        let file = writer.into_inner().map_err(|e| Error::Io {
            path: self.temp.clone(),
            source: e.into_error(),
        })?;
        file.sync_all().map_err(|source| Error::Io {
            path: self.temp.clone(),
            source,
        })?;
        drop(file);
        std::fs::rename(&self.temp, &self.target).map_err(|source| Error::Io {
            path: self.target.clone(),
            source,
        })?;
        crate::interrupt::unregister_temp(&self.temp);
        Ok(())
    }
}

impl Drop for AtomicFile {
    fn drop(&mut self) {
        if self.writer.take().is_some() {
            let _ = std::fs::remove_file(&self.temp);
            crate::interrupt::unregister_temp(&self.temp);
        }
    }
}

/// Writes `bytes` to `target` atomically.
pub fn write_bytes(target: &Path, bytes: &[u8]) -> Result<(), Error> {
    let mut file = AtomicFile::create(target)?;
    let temp = file.temp_path().to_path_buf();
    file.writer().write_all(bytes).map_err(|source| Error::Io { path: temp, source })?;
    file.commit()
}

impl Write for AtomicFile {
    fn write(&mut self, buf: &[u8]) -> std::io::Result<usize> {
        self.writer().write(buf)
    }
    fn flush(&mut self) -> std::io::Result<()> {
        self.writer().flush()
    }
}
