//! Helpers shared by the integration tests.

use std::path::{Path, PathBuf};
use std::process::{Command, Output};
use std::sync::atomic::{AtomicU64, Ordering};

/// The built binary.
pub fn hbsim_bin() -> PathBuf {
    PathBuf::from(env!("CARGO_BIN_EXE_hbsim"))
}

/// The repository root (scenarios/ lives there).
pub fn repo_root() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR"))
}

/// A fresh temporary folder, removed on drop.
pub struct TempDir(PathBuf);

impl TempDir {
    pub fn new(tag: &str) -> TempDir {
        static COUNTER: AtomicU64 = AtomicU64::new(0);
        let n = COUNTER.fetch_add(1, Ordering::SeqCst);
        let dir = std::env::temp_dir().join(format!("hbsim-test-{tag}-{}-{n}", std::process::id()));
        let _ = std::fs::remove_dir_all(&dir);
        std::fs::create_dir_all(&dir).unwrap();
        TempDir(dir)
    }
    pub fn path(&self) -> &Path {
        &self.0
    }
    pub fn write(&self, name: &str, text: &str) -> PathBuf {
        let path = self.0.join(name);
        std::fs::write(&path, text).unwrap();
        path
    }
}

impl Drop for TempDir {
    fn drop(&mut self) {
        let _ = std::fs::remove_dir_all(&self.0);
    }
}

/// Runs `hbsim args...` in `dir`.
pub fn run_in(dir: &Path, args: &[&str]) -> Output {
    Command::new(hbsim_bin()).args(args).current_dir(dir).output().expect("hbsim runs")
}

/// stdout + stderr as text, for assertion messages.
pub fn text(output: &Output) -> String {
    format!(
        "stdout:\n{}\nstderr:\n{}",
        String::from_utf8_lossy(&output.stdout),
        String::from_utf8_lossy(&output.stderr)
    )
}

/// Reads a timeline as (header, rows of fields).
pub fn read_timeline(path: &Path) -> (Vec<String>, Vec<Vec<String>>) {
    let mut reader = csv::Reader::from_path(path).unwrap();
    let header = reader.headers().unwrap().iter().map(String::from).collect();
    let rows = reader.records().map(|r| r.unwrap().iter().map(String::from).collect()).collect();
    (header, rows)
}

/// The column `name` of a timeline read by [`read_timeline`], as numbers.
pub fn column(header: &[String], rows: &[Vec<String>], name: &str) -> Vec<f64> {
    let i = header.iter().position(|h| h == name).unwrap_or_else(|| panic!("no column {name}"));
    rows.iter().map(|r| r[i].parse::<f64>().unwrap()).collect()
}

/// One row of `replay --trace-holds`'s holds.csv.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct HoldRow {
    /// H (registerProducer), W (the close walk), C (unregisterProducer), S (the expiry scan).
    pub kind: char,
    pub arrive_ns: u64,
    pub in_ns: u64,
    pub out_ns: u64,
    /// The thread (H, C), or whether the walk counted (W).
    pub d: u64,
    pub broker: u64,
}

/// Reads a holds.csv, checking its header and every row's shape (six fields, a known kind,
/// asked, entered and left in order).
pub fn read_holds(path: &Path) -> Vec<HoldRow> {
    let trace = std::fs::read_to_string(path).unwrap_or_else(|e| panic!("{}: {e}", path.display()));
    let mut lines = trace.lines();
    let header = lines.next().unwrap_or_default();
    assert!(header.starts_with("# kind,a,b,c,d,broker: H arrive,in,out,thread"), "{header}");
    lines
        .map(|line| {
            let f: Vec<&str> = line.split(',').collect();
            assert_eq!(f.len(), 6, "{line}");
            let n = |i: usize| f[i].parse::<u64>().unwrap_or_else(|e| panic!("{line}: {e}"));
            let kind = f[0].chars().next().unwrap();
            assert!("HWCS".contains(kind), "{line}");
            assert!(n(1) <= n(2) && n(2) <= n(3), "asked, entered, left in order: {line}");
            HoldRow {
                kind,
                arrive_ns: n(1),
                in_ns: n(2),
                out_ns: n(3),
                d: n(4),
                broker: n(5),
            }
        })
        .collect()
}
