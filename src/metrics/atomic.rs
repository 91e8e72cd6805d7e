//! Atomic outputs, at two levels.
//!
//! - One file ([`AtomicFile`]): written to a temporary file beside the target and renamed over it
//!   only when complete. The temporary has an unguessable name and is created with `O_EXCL`
//!   (the `tempfile` crate), so a symbolic link planted in the output folder is never followed:
//!   `O_CREAT | O_EXCL` fails on any existing name, dangling links included, and `rename` replaces
//!   a link at the final name instead of writing through it.
//! - One set of files ([`OutputSet`]): a run's timelines, summaries, dumps, charts, comparison
//!   and report are written into a hidden staging folder beside the output folder,
//!   `.<name>.staging-<random>`, and swapped with the output folder only when all of them are
//!   complete. A lock file beside the output folder, `.<name>.hbsim.lock`, makes a second run on
//!   the same folder fail cleanly. See docs/robustness.md ("Output sets") for the exact swap.

use crate::error::Error;
use std::fs::{File, OpenOptions, Permissions};
use std::io::{BufWriter, Read, Seek, Write};
use std::os::unix::fs::{MetadataExt, OpenOptionsExt, PermissionsExt};
use std::path::{Path, PathBuf};
use tempfile::NamedTempFile;

/// Random characters in temporary names (62^12 > 2^71 choices).
const RAND_CHARS: usize = 12;

/// A file being written; it appears under its final name only on [`AtomicFile::commit`].
pub struct AtomicFile {
    temp: PathBuf,
    target: PathBuf,
    writer: Option<BufWriter<NamedTempFile>>,
}

impl AtomicFile {
    /// Starts writing `target` (through a temporary file in the same folder).
    pub fn create(target: &Path) -> Result<AtomicFile, Error> {
        let dir = match target.parent() {
            Some(p) if !p.as_os_str().is_empty() => p,
            _ => Path::new("."),
        };
        let name = target.file_name().map(|n| n.to_string_lossy().into_owned()).unwrap_or_default();
        let file = tempfile::Builder::new()
            .prefix(&format!(".{name}."))
            .suffix(".tmp")
            .rand_bytes(RAND_CHARS)
            .permissions(Permissions::from_mode(0o666))
            .tempfile_in(dir)
            .map_err(|source| Error::Io {
                path: dir.join(format!(".{name}.<random>.tmp")),
                source,
            })?;
        let temp = file.path().to_path_buf();
        crate::interrupt::register_temp(&temp);
        Ok(AtomicFile {
            temp,
            target: target.to_path_buf(),
            writer: Some(BufWriter::with_capacity(1 << 16, file)),
        })
    }

    /// The writer (for csv and serde_json).
    pub fn writer(&mut self) -> &mut BufWriter<NamedTempFile> {
        self.writer.as_mut().expect("not committed yet")
    }

    /// The temporary path (for error messages).
    pub fn temp_path(&self) -> &Path {
        &self.temp
    }

    /// Flushes and renames the file into place. On any failure the temporary file is removed.
    pub fn commit(mut self) -> Result<(), Error> {
        let writer = self.writer.take().expect("commit once");
        let result = Self::finish(writer, &self.temp, &self.target);
        crate::interrupt::unregister_temp(&self.temp);
        if result.is_ok() {
            crate::interrupt::note_written(&self.target);
        }
        result
    }

    fn finish(writer: BufWriter<NamedTempFile>, temp: &Path, target: &Path) -> Result<(), Error> {
        // Every early return drops the NamedTempFile, which removes the temporary.
        let file = writer.into_inner().map_err(|e| Error::Io {
            path: temp.to_path_buf(),
            source: e.into_error(),
        })?;
        file.as_file().sync_all().map_err(|source| Error::Io {
            path: temp.to_path_buf(),
            source,
        })?;
        // `persist` is rename(2): a symlink at `target` is replaced, never followed.
        file.persist(target).map_err(|e| Error::Io {
            path: target.to_path_buf(),
            source: e.error,
        })?;
        Ok(())
    }
}

impl Drop for AtomicFile {
    fn drop(&mut self) {
        // Dropping the NamedTempFile removes the temporary.
        if self.writer.take().is_some() {
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

/// Proves `dir` can be written with a probe file that has an unguessable name and is created
/// exclusively (so a planted link is never followed), then removes it.
pub fn probe_dir(dir: &Path) -> Result<(), std::io::Error> {
    tempfile::Builder::new()
        .prefix(".hbsim-write-probe.")
        .rand_bytes(RAND_CHARS)
        .tempfile_in(dir)
        .map(drop)
}

/// The marker file written into every output set (how a later run knows it may replace it):
/// [`MARKER_HEADER`] and the version, then the set's entries, one per line.
pub const SET_MARKER: &str = ".hbsim-output";

/// First line of the marker, before the version.
const MARKER_HEADER: &str = "an output set written by hbsim, replaced as a whole by the next run on this folder; its entries:\nhbsim ";

/// Names directly in `dir` (lossy UTF-8).
fn names_in(dir: &Path) -> Vec<String> {
    std::fs::read_dir(dir)
        .map(|entries| entries.flatten().map(|e| e.file_name().to_string_lossy().into_owned()).collect())
        .unwrap_or_default()
}

/// The parts of an output folder path: its parent folder and its own name.
fn split_out(dir: &Path) -> Result<(PathBuf, String), Error> {
    let name = match dir.file_name() {
        Some(name)
            if dir
                .components()
                .next_back()
                .is_some_and(|c| matches!(c, std::path::Component::Normal(_))) =>
        {
            name.to_string_lossy().into_owned()
        }
        _ => {
            return Err(Error::Output {
                path: dir.to_path_buf(),
                message: "cannot be used as an output folder: the path must end in a folder name (not `.`, `..` or `/`)".into(),
            })
        }
    };
    let parent = match dir.parent() {
        Some(p) if !p.as_os_str().is_empty() => p.to_path_buf(),
        _ => PathBuf::from("."),
    };
    Ok((parent, name))
}

/// A lock on one output folder: the file `.<name>.hbsim.lock` beside it, opened without
/// following links and held with `flock` (released by the kernel when the process ends, even on
/// kill -9, so a lock is never stale; the file itself is removed on release).
pub struct OutputLock {
    path: PathBuf,
    file: Option<File>,
}

impl OutputLock {
    /// Takes the lock of output folder `dir` (`parent/name`), or fails with exit 3 naming the
    /// folder and the pid of the run that holds it.
    pub fn acquire(dir: &Path, parent: &Path, name: &str) -> Result<OutputLock, Error> {
        let path = parent.join(format!(".{name}.hbsim.lock"));
        let fail = |message: String| Error::Output {
            path: dir.to_path_buf(),
            message,
        };
        // The lock file may be removed by the holder between our open and our lock: retry then.
        for _ in 0..100 {
            let mut file = OpenOptions::new()
                .read(true)
                .write(true)
                .create(true)
                .truncate(false)
                .mode(0o644)
                .custom_flags(libc::O_NOFOLLOW | libc::O_CLOEXEC)
                .open(&path)
                .map_err(|e| {
                    if e.raw_os_error() == Some(libc::ELOOP) {
                        fail(format!(
                            "the lock file {} is a symbolic link; refusing to follow it (remove it)",
                            path.display()
                        ))
                    } else {
                        fail(format!("cannot create the lock file {}: {e}", path.display()))
                    }
                })?;
            let meta = file.metadata().map_err(|e| fail(format!("{}: {e}", path.display())))?;
            if !meta.is_file() {
                return Err(fail(format!("the lock file {} is not a regular file (remove it)", path.display())));
            }
            match file.try_lock() {
                Ok(()) => {}
                Err(std::fs::TryLockError::WouldBlock) => {
                    let mut text = String::new();
                    let _ = Read::by_ref(&mut file).take(64).read_to_string(&mut text);
                    let pid = text.trim();
                    let pid = if pid.is_empty() { "unknown".to_string() } else { pid.to_string() };
                    return Err(fail(format!(
                        "another hbsim run (pid {pid}) is writing this output folder (lock {}); wait for it to end or choose another --out",
                        path.display()
                    )));
                }
                Err(std::fs::TryLockError::Error(e)) => return Err(fail(format!("cannot lock {}: {e}", path.display()))),
            }
            // Still the file at `path` (not one its previous holder removed)?
            let same = std::fs::symlink_metadata(&path).is_ok_and(|now| now.ino() == meta.ino() && now.dev() == meta.dev());
            if !same {
                continue;
            }
            let _ = file.set_len(0);
            let _ = file.rewind();
            let _ = writeln!(file, "{}", std::process::id());
            let _ = file.sync_all();
            crate::interrupt::register_lock(&path);
            return Ok(OutputLock { path, file: Some(file) });
        }
        Err(fail(format!("cannot take the lock {}: it keeps being replaced", path.display())))
    }

    /// Where the lock file is.
    pub fn path(&self) -> &Path {
        &self.path
    }
}

impl Drop for OutputLock {
    fn drop(&mut self) {
        if let Some(file) = self.file.take() {
            // Remove while still holding the lock; a waiting run re-checks the inode.
            let _ = std::fs::remove_file(&self.path);
            crate::interrupt::unregister_lock(&self.path);
            drop(file);
        }
    }
}

/// A run's output folder while it is being written: everything goes into [`OutputSet::path`]
/// (a hidden staging folder beside the final one) and appears under the final name only on
/// [`OutputSet::commit`]. Dropping an uncommitted set removes the staging folder and leaves the
/// previous output folder as it was.
pub struct OutputSet {
    final_dir: PathBuf,
    parent: PathBuf,
    name: String,
    staging: Option<PathBuf>,
    _lock: OutputLock,
}

impl OutputSet {
    /// Locks `dir`, checks that it may be replaced, removes what killed runs left beside it and
    /// creates the staging folder. Fails (exit 3) before any simulation.
    pub fn begin(dir: &Path) -> Result<OutputSet, Error> {
        let (parent, name) = split_out(dir)?;
        let fail = |message: String| Error::Output {
            path: dir.to_path_buf(),
            message,
        };
        std::fs::create_dir_all(&parent).map_err(|e| fail(format!("cannot create the output folder: {e}")))?;
        match std::fs::symlink_metadata(dir) {
            Ok(meta) if meta.is_file() => {
                return Err(fail("cannot create the output folder: a file of that name exists".into()));
            }
            _ => {}
        }
        let lock = OutputLock::acquire(dir, &parent, &name)?;
        check_replaceable(dir)?;
        remove_leftovers(&parent, &name);
        let staging = tempfile::Builder::new()
            .prefix(&format!(".{name}.staging-"))
            .rand_bytes(RAND_CHARS)
            .permissions(Permissions::from_mode(0o755))
            .tempdir_in(&parent)
            .map_err(|e| fail(format!("cannot write beside the output folder (in {}): {e}", parent.display())))?
            .keep();
        crate::interrupt::register_staging(&staging, dir);
        Ok(OutputSet {
            final_dir: dir.to_path_buf(),
            parent,
            name,
            staging: Some(staging),
            _lock: lock,
        })
    }

    /// The staging folder: write every output of the run here.
    pub fn path(&self) -> &Path {
        self.staging.as_deref().expect("not committed yet")
    }

    /// The final output folder.
    pub fn final_path(&self) -> &Path {
        &self.final_dir
    }

    /// Puts the complete set in place of the output folder (the old set, if any, is removed).
    pub fn commit(mut self) -> Result<(), Error> {
        // The marker lists what the set holds: a later run replaces exactly that, and refuses
        // a folder where anything else (a file the user added) has appeared.
        let mut entries = names_in(self.path());
        entries.sort();
        let marker = format!(
            "{MARKER_HEADER}{}\n{}",
            env!("CARGO_PKG_VERSION"),
            entries.iter().map(|e| format!("{e}\n")).collect::<String>()
        );
        write_bytes(&self.path().join(SET_MARKER), marker.as_bytes())?;
        let staging = self.staging.take().expect("commit once");
        // Holding this guard, a Ctrl-C waits until the swap is done, so its message is true.
        let mut guard = crate::interrupt::begin_commit();
        let result = swap_into_place(&staging, &self.final_dir, &self.parent, &self.name);
        match &result {
            Ok(()) => guard.committed(&staging, &self.final_dir),
            Err(_) => {
                let _ = std::fs::remove_dir_all(&staging);
                guard.discarded(&staging);
            }
        }
        result
    }
}

impl Drop for OutputSet {
    fn drop(&mut self) {
        if let Some(staging) = self.staging.take() {
            let _ = std::fs::remove_dir_all(&staging);
            crate::interrupt::unregister_staging(&staging);
        }
    }
}

/// An existing output folder may be replaced only if it is empty or an earlier output set
/// (it has the marker, or only names hbsim writes): a `--out` pointing at a folder with the
/// user's own files is refused instead of emptied.
fn check_replaceable(dir: &Path) -> Result<(), Error> {
    let meta = match std::fs::symlink_metadata(dir) {
        Ok(meta) => meta,
        Err(_) => return Ok(()),
    };
    if meta.file_type().is_symlink() {
        return Err(Error::Output {
            path: dir.to_path_buf(),
            message: "the output folder is a symbolic link; hbsim does not write through links (give the real folder)".into(),
        });
    }
    let entries: Vec<String> = std::fs::read_dir(dir)
        .map_err(|e| Error::Output {
            path: dir.to_path_buf(),
            message: format!("cannot read the output folder: {e}"),
        })?
        .filter_map(|e| e.ok().map(|e| e.file_name().to_string_lossy().into_owned()))
        .collect();
    // The marker's list (after its two header lines), if the folder is an output set.
    let listed: Vec<String> = std::fs::read_to_string(dir.join(SET_MARKER))
        .ok()
        .filter(|text| text.starts_with(MARKER_HEADER.lines().next().unwrap_or_default()))
        .map(|text| text.lines().skip(2).map(str::to_string).collect())
        .unwrap_or_default();
    let foreign: Vec<&String> = entries
        .iter()
        .filter(|e| *e != SET_MARKER && !listed.contains(e) && !looks_like_output(e))
        .collect();
    match foreign.first() {
        None => Ok(()),
        Some(first) => Err(Error::Output {
            path: dir.to_path_buf(),
            message: format!(
                "the output folder holds files hbsim did not write (`{}`{}); hbsim replaces the whole folder, so choose another --out or empty it",
                crate::error::escape_control(first),
                if foreign.len() > 1 {
                    format!(" and {} more", foreign.len() - 1)
                } else {
                    String::new()
                }
            ),
        }),
    }
}

/// Names an earlier hbsim (before output sets had a marker) wrote into an output folder.
fn looks_like_output(name: &str) -> bool {
    crate::model::policy::Policy::parse(name).is_some()
        || name == "report.html"
        || name == "comparison.csv"
        || name.ends_with(".png")
        || name.ends_with(".svg")
        || is_carried_over(name)
}

/// Folders that live inside an output folder but are not part of its set: `sweep`'s default
/// output, `output/<scenario>/sweep-<param>/`. They are moved into the new set just before the
/// swap instead of being removed with the old one.
fn is_carried_over(name: &str) -> bool {
    name.starts_with("sweep-")
}

/// Moves the carried-over folders of the old set into the staging folder (same file system);
/// returns their names, so that a failed swap can move them back.
fn carry_over(final_dir: &Path, staging: &Path) -> (Vec<std::ffi::OsString>, std::io::Result<()>) {
    let mut moved = Vec::new();
    let Ok(entries) = std::fs::read_dir(final_dir) else {
        return (moved, Ok(()));
    };
    for entry in entries.flatten() {
        let name = entry.file_name();
        if is_carried_over(&name.to_string_lossy()) && entry.file_type().is_ok_and(|t| t.is_dir()) && !staging.join(&name).exists() {
            if let Err(e) = std::fs::rename(entry.path(), staging.join(&name)) {
                return (moved, Err(e));
            }
            moved.push(name);
        }
    }
    (moved, Ok(()))
}

/// Undoes [`carry_over`] after a failed swap (best effort: the old set is still in place).
fn carry_back(moved: &[std::ffi::OsString], final_dir: &Path, staging: &Path) {
    for name in moved {
        let _ = std::fs::rename(staging.join(name), final_dir.join(name));
    }
}

/// Removes `.<name>.staging-*` and `.<name>.old-*` beside the folder: what a killed run left.
/// Only called while holding the folder's lock, so no live run owns them.
fn remove_leftovers(parent: &Path, name: &str) {
    let staging = format!(".{name}.staging-");
    let old = format!(".{name}.old-");
    let Ok(entries) = std::fs::read_dir(parent) else { return };
    for entry in entries.flatten() {
        let file_name = entry.file_name().to_string_lossy().into_owned();
        let ours = [&staging, &old]
            .iter()
            .any(|p| file_name.strip_prefix(p.as_str()).is_some_and(|rest| rest.len() == RAND_CHARS));
        if ours && entry.file_type().is_ok_and(|t| t.is_dir()) {
            let _ = std::fs::remove_dir_all(entry.path());
        }
    }
}

/// The swap. Linux: `renameat2(RENAME_EXCHANGE)` exchanges the two folders in one step (the
/// output folder is always either the whole old set or the whole new one), then the old set,
/// now under the staging name, is removed. Elsewhere, or on a file system without exchange: the
/// old set is renamed aside, the new one renamed in, the old one removed (between the two renames
/// the output folder is briefly absent, never mixed).
fn swap_into_place(staging: &Path, final_dir: &Path, parent: &Path, name: &str) -> Result<(), Error> {
    let fail = |e: std::io::Error| Error::Output {
        path: final_dir.to_path_buf(),
        message: format!("cannot move the finished output set into place: {e}"),
    };
    sync_dir(staging);
    if std::fs::symlink_metadata(final_dir).is_err() {
        std::fs::rename(staging, final_dir).map_err(fail)?;
        sync_dir(parent);
        return Ok(());
    }
    let (moved, carried) = carry_over(final_dir, staging);
    if let Err(e) = carried {
        carry_back(&moved, final_dir, staging);
        return Err(fail(e));
    }
    if exchange(staging, final_dir).is_ok() {
        sync_dir(parent);
        let _ = std::fs::remove_dir_all(staging);
        return Ok(());
    }
    let aside = match tempfile::Builder::new()
        .prefix(&format!(".{name}.old-"))
        .rand_bytes(RAND_CHARS)
        .tempdir_in(parent)
    {
        Ok(dir) => dir.keep(),
        Err(e) => {
            carry_back(&moved, final_dir, staging);
            return Err(fail(e));
        }
    };
    // rename(2) of a folder onto an empty folder replaces it.
    if let Err(e) = std::fs::rename(final_dir, &aside) {
        let _ = std::fs::remove_dir(&aside);
        carry_back(&moved, final_dir, staging);
        return Err(fail(e));
    }
    if let Err(e) = std::fs::rename(staging, final_dir) {
        let _ = std::fs::rename(&aside, final_dir);
        carry_back(&moved, final_dir, staging);
        return Err(fail(e));
    }
    sync_dir(parent);
    let _ = std::fs::remove_dir_all(&aside);
    Ok(())
}

#[cfg(target_os = "linux")]
fn exchange(a: &Path, b: &Path) -> std::io::Result<()> {
    use std::ffi::CString;
    use std::os::unix::ffi::OsStrExt;
    let a = CString::new(a.as_os_str().as_bytes()).map_err(std::io::Error::other)?;
    let b = CString::new(b.as_os_str().as_bytes()).map_err(std::io::Error::other)?;
    // SAFETY: both arguments are valid NUL-terminated paths that outlive the call.
    let rc = unsafe { libc::renameat2(libc::AT_FDCWD, a.as_ptr(), libc::AT_FDCWD, b.as_ptr(), libc::RENAME_EXCHANGE) };
    if rc == 0 {
        Ok(())
    } else {
        Err(std::io::Error::last_os_error())
    }
}

#[cfg(not(target_os = "linux"))]
fn exchange(_: &Path, _: &Path) -> std::io::Result<()> {
    Err(std::io::Error::from(std::io::ErrorKind::Unsupported))
}

/// fsync of a folder, so renames in it survive a power cut (best effort).
fn sync_dir(dir: &Path) {
    if let Ok(file) = File::open(dir) {
        let _ = file.sync_all();
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn output_paths_must_end_in_a_name() {
        for bad in [".", "..", "/", "a/.."] {
            assert!(split_out(Path::new(bad)).is_err(), "{bad}");
        }
        assert_eq!(split_out(Path::new("out")).unwrap(), (PathBuf::from("."), "out".to_string()));
        assert_eq!(split_out(Path::new("a/b/")).unwrap(), (PathBuf::from("a"), "b".to_string()));
    }

    #[test]
    fn leftovers_are_recognised_by_their_exact_shape() {
        let dir = tempfile::tempdir().unwrap();
        for name in [
            ".out.staging-abcdefghijkl",
            ".out.old-abcdefghijkl",
            ".out.staging-short",
            ".other.staging-abcdefghijkl",
        ] {
            std::fs::create_dir(dir.path().join(name)).unwrap();
        }
        remove_leftovers(dir.path(), "out");
        let mut left: Vec<String> = std::fs::read_dir(dir.path())
            .unwrap()
            .map(|e| e.unwrap().file_name().to_string_lossy().into_owned())
            .collect();
        left.sort();
        assert_eq!(left, vec![".other.staging-abcdefghijkl", ".out.staging-short"]);
    }
}
