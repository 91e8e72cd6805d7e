//! Ctrl-C: temporary files, staging folders of unfinished output sets and output locks are
//! registered here while they exist; on SIGINT they are removed before the process exits, and
//! the message says what the output folders now hold. A commit in progress (the swap of a
//! finished set into place) is waited for, so the message is true either way.

use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Mutex, MutexGuard};

/// What exists on disk on behalf of this process.
struct State {
    temps: Vec<PathBuf>,
    /// (staging folder, final output folder) of unfinished sets.
    staging: Vec<(PathBuf, PathBuf)>,
    /// Output folders whose new set is in place.
    committed: Vec<PathBuf>,
    locks: Vec<PathBuf>,
    /// Complete files written outside any output set (sweep, check --junit), the last few.
    written: Vec<PathBuf>,
}

static STATE: Mutex<State> = Mutex::new(State {
    temps: Vec::new(),
    staging: Vec::new(),
    committed: Vec::new(),
    locks: Vec::new(),
    written: Vec::new(),
});
static INTERRUPTED: AtomicBool = AtomicBool::new(false);

fn state() -> MutexGuard<'static, State> {
    STATE.lock().unwrap_or_else(|poisoned| poisoned.into_inner())
}

/// Installs the Ctrl-C handler (once per process; later calls do nothing).
pub fn install() {
    let _ = ctrlc::set_handler(|| {
        INTERRUPTED.store(true, Ordering::SeqCst);
        // Waits for a commit in progress; the process exits while holding the lock.
        let state = state();
        for temp in &state.temps {
            let _ = std::fs::remove_file(temp);
        }
        for (staging, _) in &state.staging {
            // A worker thread may still be creating files in it: try a few times.
            for _ in 0..5 {
                if std::fs::remove_dir_all(staging).is_ok() || !staging.exists() {
                    break;
                }
            }
        }
        for lock in &state.locks {
            let _ = std::fs::remove_file(lock);
        }
        eprintln!("hbsim: {}", message(&state));
        std::process::exit(130);
    });
}

/// What an interrupted run left, in one line.
fn message(state: &State) -> String {
    let mut parts = Vec::new();
    for (_, dir) in &state.staging {
        parts.push(format!(
            "the unfinished output for {} was removed; that folder keeps what it held before this run",
            dir.display()
        ));
    }
    for dir in &state.committed {
        parts.push(format!("{} holds this run's complete output", dir.display()));
    }
    let loose: Vec<&PathBuf> = state
        .written
        .iter()
        .filter(|w| !state.staging.iter().any(|(s, _)| w.starts_with(s)) && !state.committed.iter().any(|c| w.starts_with(c)))
        .collect();
    if !loose.is_empty() {
        parts.push(format!(
            "complete files written before the interrupt: {} (no file was left half-written)",
            loose.iter().map(|p| p.display().to_string()).collect::<Vec<_>>().join(", ")
        ));
    }
    if parts.is_empty() {
        "interrupted; no output was written".into()
    } else {
        format!("interrupted; {}", parts.join("; "))
    }
}

/// True once Ctrl-C was pressed.
pub fn interrupted() -> bool {
    INTERRUPTED.load(Ordering::SeqCst)
}

pub(crate) fn register_temp(path: &Path) {
    state().temps.push(path.to_path_buf());
}

pub(crate) fn unregister_temp(path: &Path) {
    state().temps.retain(|p| p != path);
}

pub(crate) fn note_written(path: &Path) {
    let mut state = state();
    // Files inside a staging folder are accounted for by the set.
    if state.staging.iter().any(|(s, _)| path.starts_with(s)) {
        return;
    }
    if state.written.len() >= 8 {
        state.written.remove(0);
    }
    state.written.push(path.to_path_buf());
}

pub(crate) fn register_staging(staging: &Path, final_dir: &Path) {
    state().staging.push((staging.to_path_buf(), final_dir.to_path_buf()));
}

pub(crate) fn unregister_staging(staging: &Path) {
    state().staging.retain(|(s, _)| s != staging);
}

pub(crate) fn register_lock(path: &Path) {
    state().locks.push(path.to_path_buf());
}

pub(crate) fn unregister_lock(path: &Path) {
    state().locks.retain(|p| p != path);
}

/// Held while a finished set is swapped into place: Ctrl-C waits for it.
pub(crate) struct CommitGuard(MutexGuard<'static, State>);

pub(crate) fn begin_commit() -> CommitGuard {
    CommitGuard(state())
}

impl CommitGuard {
    /// The set in `staging` is now `final_dir`.
    pub(crate) fn committed(&mut self, staging: &Path, final_dir: &Path) {
        self.0.staging.retain(|(s, _)| s != staging);
        self.0.committed.push(final_dir.to_path_buf());
    }

    /// The set in `staging` was removed without replacing anything.
    pub(crate) fn discarded(&mut self, staging: &Path) {
        self.0.staging.retain(|(s, _)| s != staging);
    }
}
