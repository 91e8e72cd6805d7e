//! Ctrl-C: temporary output files are registered here while they are being written; on SIGINT
//! they are removed before the process exits, so an interrupted run leaves no partial file.

use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::Mutex;

static TEMPS: Mutex<Vec<PathBuf>> = Mutex::new(Vec::new());
static INTERRUPTED: AtomicBool = AtomicBool::new(false);

/// Installs the Ctrl-C handler (once per process; later calls do nothing).
pub fn install() {
    let _ = ctrlc::set_handler(|| {
        INTERRUPTED.store(true, Ordering::SeqCst);
        let temps = TEMPS.lock().map(|t| t.clone()).unwrap_or_default();
        for temp in temps {
            let _ = std::fs::remove_file(temp);
        }
        eprintln!("hbsim: interrupted; no partial output was left");
        std::process::exit(130);
    });
}

/// True once Ctrl-C was pressed.
pub fn interrupted() -> bool {
    INTERRUPTED.load(Ordering::SeqCst)
}

pub(crate) fn register_temp(path: &Path) {
    if let Ok(mut temps) = TEMPS.lock() {
        temps.push(path.to_path_buf());
    }
}

pub(crate) fn unregister_temp(path: &Path) {
    if let Ok(mut temps) = TEMPS.lock() {
        temps.retain(|p| p != path);
    }
}
