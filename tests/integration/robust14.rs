//! Issue 14: outputs no one can turn against the user, output sets that are whole, gates that
//! cannot pass by accident. One test per defect, named after it; CLI tests run the real binary
//! in temporary folders. The symlink and full-disk cases need root (they skip with a message
//! otherwise).

use crate::common::{hbsim_bin, repo_root, run_in, text, TempDir};
use std::collections::BTreeMap;
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

fn small(name: &str, duration: &str, extra: &str) -> String {
    // The robustness tests' small scenario, under both policies.
    crate::robustness::small_scenario(name, duration, extra).replacen("policies = [\"leaky\"]", "policies = [\"leaky\", \"fixed\"]", 1)
}

fn is_root() -> bool {
    Command::new("id")
        .arg("-u")
        .output()
        .is_ok_and(|o| String::from_utf8_lossy(&o.stdout).trim() == "0")
}

/// Every file under `dir` (relative path -> bytes), hidden ones included.
fn snapshot(dir: &Path) -> BTreeMap<PathBuf, Vec<u8>> {
    let mut out = BTreeMap::new();
    let mut stack = vec![dir.to_path_buf()];
    while let Some(next) = stack.pop() {
        let Ok(entries) = std::fs::read_dir(&next) else { continue };
        for entry in entries.flatten() {
            let path = entry.path();
            let kind = entry.file_type().unwrap();
            if kind.is_dir() {
                stack.push(path);
            } else if kind.is_symlink() {
                out.insert(path.strip_prefix(dir).unwrap().to_path_buf(), b"<symlink>".to_vec());
            } else {
                out.insert(path.strip_prefix(dir).unwrap().to_path_buf(), std::fs::read(&path).unwrap());
            }
        }
    }
    out
}

/// Names directly in `dir`.
fn names(dir: &Path) -> Vec<String> {
    let mut v: Vec<String> = std::fs::read_dir(dir)
        .map(|r| r.flatten().map(|e| e.file_name().to_string_lossy().into_owned()).collect())
        .unwrap_or_default();
    v.sort();
    v
}

/// Staging folders, old sets, lock files or temporaries anywhere under `dir`.
fn leftovers(dir: &Path) -> Vec<String> {
    let mut found = Vec::new();
    let mut stack = vec![dir.to_path_buf()];
    while let Some(next) = stack.pop() {
        let Ok(entries) = std::fs::read_dir(&next) else { continue };
        for entry in entries.flatten() {
            let name = entry.file_name().to_string_lossy().into_owned();
            if name.contains(".staging-") || name.contains(".old-") || name.ends_with(".hbsim.lock") || name.ends_with(".tmp") {
                found.push(entry.path().display().to_string());
            }
            if entry.file_type().unwrap().is_dir() {
                stack.push(entry.path());
            }
        }
    }
    found
}

fn stderr(output: &std::process::Output) -> String {
    String::from_utf8_lossy(&output.stderr).into_owned()
}

/// Waits (at most 60 s) until `ready` holds, while `child` runs.
fn wait_for(child: &mut Child, what: &str, ready: impl Fn() -> bool) {
    let started = Instant::now();
    while !ready() {
        assert!(started.elapsed() < Duration::from_secs(60), "timed out waiting for {what}");
        assert!(child.try_wait().unwrap().is_none(), "hbsim ended before {what}");
        std::thread::sleep(Duration::from_millis(20));
    }
}

fn long_replay(dir: &Path, out: &str) -> Child {
    let scenario = repo_root().join("scenarios").join("incident-2024-10.toml");
    Command::new(hbsim_bin())
        .args(["replay", scenario.to_str().unwrap(), "--policy", "leaky", "--out", out])
        .current_dir(dir)
        .stdout(Stdio::null())
        .stderr(Stdio::piped())
        .spawn()
        .expect("hbsim starts")
}

// ---- 1. symlinks --------------------------------------------------------------------------

#[test]
fn symlink_planted_in_the_output_folder_is_never_followed() {
    if !is_root() {
        eprintln!("skipped: symlink_planted_in_the_output_folder_is_never_followed needs root (CI runs as root)");
        return;
    }
    let dir = TempDir::new("r14-symlink");
    dir.write("s.toml", &small("sym", "30s", ""));
    let victim = dir.write("victim.txt", "precious\n");
    // An earlier output set, then links planted at every name hbsim writes, at the old
    // guessable temporary and probe names, and one level up.
    let output = run_in(dir.path(), &["replay", "s.toml", "--out", "out", "--no-charts"]);
    assert!(output.status.success(), "{}", text(&output));
    let planted: Vec<PathBuf> = {
        let mut v = Vec::new();
        for file in ["report.html", "leaky/timeline.csv", "leaky/summary.json", "leaky/thread-dumps.txt"] {
            v.push(dir.path().join("out").join(file));
        }
        for pid in 1..=64u32 {
            v.push(dir.path().join(format!(".hbsim-write-probe.{pid}")));
            v.push(dir.path().join(format!(".out.staging-{pid}")));
            v.push(dir.path().join(format!("out/leaky/.timeline.csv.{pid}.0.tmp")));
        }
        v
    };
    for args in [
        vec!["replay", "s.toml", "--out", "out", "--no-charts"],
        vec!["compare", "s.toml", "--out", "out", "--no-charts"],
    ] {
        for link in &planted {
            let _ = std::fs::remove_file(link);
            std::os::unix::fs::symlink(&victim, link).unwrap();
        }
        let output = run_in(dir.path(), &args);
        assert!(output.status.success(), "{args:?}: {}", text(&output));
        assert_eq!(
            std::fs::read_to_string(&victim).unwrap(),
            "precious\n",
            "{args:?} wrote through a link"
        );
        assert!(std::fs::symlink_metadata(dir.path().join("out/leaky/timeline.csv"))
            .unwrap()
            .is_file());
    }
    // A link where the lock file goes, and a link as the output folder: refused, victim intact.
    std::os::unix::fs::symlink(&victim, dir.path().join(".out.hbsim.lock")).unwrap();
    let output = run_in(dir.path(), &["replay", "s.toml", "--out", "out", "--no-charts"]);
    assert_eq!(output.status.code(), Some(3), "{}", text(&output));
    assert!(stderr(&output).contains("symbolic link"), "{}", text(&output));
    std::fs::remove_file(dir.path().join(".out.hbsim.lock")).unwrap();
    let elsewhere = dir.path().join("elsewhere");
    std::fs::create_dir(&elsewhere).unwrap();
    std::fs::write(elsewhere.join("keep.txt"), "mine").unwrap();
    std::os::unix::fs::symlink(&elsewhere, dir.path().join("linked")).unwrap();
    let output = run_in(dir.path(), &["replay", "s.toml", "--out", "linked", "--no-charts"]);
    assert_eq!(output.status.code(), Some(3), "{}", text(&output));
    assert_eq!(names(&elsewhere), vec!["keep.txt"]);
    assert_eq!(std::fs::read_to_string(&victim).unwrap(), "precious\n");
    // A link among the set's own names is a file hbsim did not write: refused, not followed.
    std::os::unix::fs::symlink(&victim, dir.path().join("out/.hbsim-write-probe.1")).unwrap();
    let output = run_in(dir.path(), &["replay", "s.toml", "--out", "out", "--no-charts"]);
    assert_eq!(output.status.code(), Some(3), "{}", text(&output));
    assert_eq!(std::fs::read_to_string(&victim).unwrap(), "precious\n");
    // sweep writes file by file: a link at runs.csv is replaced, not followed.
    std::fs::create_dir(dir.path().join("sw")).unwrap();
    std::os::unix::fs::symlink(&victim, dir.path().join("sw/runs.csv")).unwrap();
    for pid in 1..=64u32 {
        std::os::unix::fs::symlink(&victim, dir.path().join(format!("sw/.hbsim-write-probe.{pid}"))).unwrap();
    }
    let output = run_in(
        dir.path(),
        &[
            "sweep",
            "s.toml",
            "--param",
            "groups.initial",
            "--values",
            "10",
            "--seeds",
            "1",
            "--policy",
            "leaky",
            "--out",
            "sw",
        ],
    );
    assert!(output.status.success(), "{}", text(&output));
    assert_eq!(std::fs::read_to_string(&victim).unwrap(), "precious\n");
}

// ---- 2. output sets -----------------------------------------------------------------------

#[test]
fn failed_rerun_exit_4_keeps_the_previous_output_set_whole() {
    let dir = TempDir::new("r14-sets");
    dir.write("s.toml", &small("sets", "2m", ""));
    dir.write("budget.toml", &small("sets", "2m", "max_events = 2000"));
    for command in ["replay", "compare"] {
        let out = format!("out-{command}");
        let output = run_in(dir.path(), &[command, "s.toml", "--out", &out]);
        assert!(output.status.success(), "{}", text(&output));
        let before = snapshot(&dir.path().join(&out));
        assert!(before.contains_key(Path::new("report.html")) && before.contains_key(Path::new(".hbsim-output")));
        // The same folder, a run that stops at its event budget (exit 4) part-way.
        let output = run_in(dir.path(), &[command, "budget.toml", "--out", &out]);
        assert_eq!(output.status.code(), Some(4), "{command}: {}", text(&output));
        assert_eq!(snapshot(&dir.path().join(&out)), before, "{command}: the previous set changed");
        assert!(leftovers(dir.path()).is_empty(), "{command}: {:?}", leftovers(dir.path()));
        // A successful rerun with other policies replaces the whole set: no old policy folder.
        let output = run_in(dir.path(), &[command, "s.toml", "--out", &out, "--policy", "fixed"]);
        assert!(output.status.success(), "{}", text(&output));
        let after = names(&dir.path().join(&out));
        assert!(
            !after.contains(&"leaky".to_string()),
            "{command}: an old policy folder survived: {after:?}"
        );
        assert!(after.contains(&"fixed".to_string()));
    }
}

#[test]
fn default_sweep_folder_inside_the_replay_folder_survives_a_rerun() {
    let dir = TempDir::new("r14-carry");
    dir.write("s.toml", &small("carry", "30s", ""));
    let output = run_in(dir.path(), &["replay", "s.toml", "--no-charts"]);
    assert!(output.status.success(), "{}", text(&output));
    let output = run_in(
        dir.path(),
        &[
            "sweep",
            "s.toml",
            "--param",
            "groups.initial",
            "--values",
            "10",
            "--seeds",
            "1",
            "--policy",
            "leaky",
        ],
    );
    assert!(output.status.success(), "{}", text(&output));
    let sweep = dir.path().join("output/carry/sweep-groups.initial");
    let before = snapshot(&sweep);
    assert!(before.contains_key(Path::new("sweep.csv")));
    let output = run_in(dir.path(), &["replay", "s.toml", "--no-charts", "--policy", "fixed"]);
    assert!(output.status.success(), "{}", text(&output));
    assert_eq!(snapshot(&sweep), before, "the sweep results were lost");
    assert!(!dir.path().join("output/carry/leaky").exists());
}

#[test]
fn output_folder_with_foreign_files_is_refused_not_emptied() {
    let dir = TempDir::new("r14-foreign");
    dir.write("s.toml", &small("foreign", "30s", ""));
    std::fs::create_dir(dir.path().join("mine")).unwrap();
    dir.write("mine/thesis.tex", "years of work");
    let output = run_in(dir.path(), &["replay", "s.toml", "--out", "mine"]);
    assert_eq!(output.status.code(), Some(3), "{}", text(&output));
    assert!(stderr(&output).contains("thesis.tex"), "{}", text(&output));
    assert_eq!(names(&dir.path().join("mine")), vec!["thesis.tex"]);
    // A file the user put into an earlier output set is not deleted by the next run either.
    let output = run_in(dir.path(), &["replay", "s.toml", "--out", "set", "--no-charts"]);
    assert!(output.status.success(), "{}", text(&output));
    dir.write("set/notes.md", "my notes");
    let output = run_in(dir.path(), &["replay", "s.toml", "--out", "set", "--no-charts"]);
    assert_eq!(output.status.code(), Some(3), "{}", text(&output));
    assert!(stderr(&output).contains("notes.md"), "{}", text(&output));
    assert_eq!(std::fs::read_to_string(dir.path().join("set/notes.md")).unwrap(), "my notes");
    for bad in [".", "..", "/"] {
        let output = run_in(dir.path(), &["replay", "s.toml", "--out", bad]);
        assert_eq!(output.status.code(), Some(3), "--out {bad}: {}", text(&output));
    }
    assert!(leftovers(dir.path()).is_empty(), "{:?}", leftovers(dir.path()));
}

#[test]
fn two_runs_on_one_out_second_fails_cleanly_and_sigint_tells_the_truth() {
    let dir = TempDir::new("r14-lock");
    dir.write("s.toml", &small("lock", "30s", ""));
    let output = run_in(dir.path(), &["replay", "s.toml", "--out", "out", "--no-charts"]);
    assert!(output.status.success(), "{}", text(&output));
    let before = snapshot(&dir.path().join("out"));
    let mut first = long_replay(dir.path(), "out");
    let lock = dir.path().join(".out.hbsim.lock");
    let first_pid = first.id().to_string();
    wait_for(&mut first, "the lock file", || {
        std::fs::read_to_string(&lock).is_ok_and(|t| t.trim() == first_pid)
    });
    let output = run_in(dir.path(), &["replay", "s.toml", "--out", "out"]);
    assert_eq!(output.status.code(), Some(3), "{}", text(&output));
    let message = stderr(&output);
    assert!(message.contains(&format!("pid {}", first.id())), "{message}");
    assert!(message.contains("out"), "{message}");
    // The first run, interrupted while writing: the old set is intact, and it says so.
    let pid = first.id().to_string();
    assert!(Command::new("kill").args(["-INT", &pid]).status().unwrap().success());
    let output = first.wait_with_output().unwrap();
    assert_eq!(output.status.code(), Some(130), "{}", text(&output));
    let message = stderr(&output);
    assert!(message.contains("keeps what it held before this run"), "{message}");
    assert!(!message.contains("no partial output"), "{message}");
    assert_eq!(snapshot(&dir.path().join("out")), before);
    assert!(leftovers(dir.path()).is_empty(), "{:?}", leftovers(dir.path()));
}

#[test]
fn kill_9_mid_run_leaves_the_old_set_and_the_next_run_cleans_up() {
    let dir = TempDir::new("r14-kill9");
    dir.write("s.toml", &small("kill", "30s", ""));
    let output = run_in(dir.path(), &["replay", "s.toml", "--out", "out", "--no-charts"]);
    assert!(output.status.success(), "{}", text(&output));
    let before = snapshot(&dir.path().join("out"));
    let mut child = long_replay(dir.path(), "out");
    wait_for(&mut child, "a staging folder with a timeline", || {
        names(dir.path())
            .iter()
            .any(|n| n.starts_with(".out.staging-") && dir.path().join(n).join("leaky").is_dir())
    });
    child.kill().unwrap(); // SIGKILL
    let _ = child.wait();
    assert_eq!(snapshot(&dir.path().join("out")), before, "kill -9 changed the output folder");
    // The lock died with the process: the next run takes it and removes the leftovers.
    let output = run_in(dir.path(), &["replay", "s.toml", "--out", "out", "--no-charts"]);
    assert!(output.status.success(), "{}", text(&output));
    assert!(leftovers(dir.path()).is_empty(), "{:?}", leftovers(dir.path()));
}

// ---- 3. full disk -------------------------------------------------------------------------

/// A small tmpfs, unmounted on drop.
struct Tmpfs(PathBuf);

impl Tmpfs {
    fn mount(at: &Path, size: &str) -> Option<Tmpfs> {
        std::fs::create_dir_all(at).ok()?;
        let ok = Command::new("mount")
            .args(["-t", "tmpfs", "-o", &format!("size={size}"), "tmpfs", at.to_str()?])
            .stderr(Stdio::null())
            .status()
            .is_ok_and(|s| s.success());
        ok.then(|| Tmpfs(at.to_path_buf()))
    }
}

impl Drop for Tmpfs {
    fn drop(&mut self) {
        let _ = Command::new("umount").arg(&self.0).status();
    }
}

#[test]
fn full_disk_leaves_no_temporary_and_keeps_the_old_set() {
    if !is_root() {
        eprintln!("skipped: full_disk_leaves_no_temporary_and_keeps_the_old_set needs root to mount a tmpfs");
        return;
    }
    let dir = TempDir::new("r14-full");
    let Some(disk) = Tmpfs::mount(&dir.path().join("disk"), "1m") else {
        eprintln!("skipped: full_disk_leaves_no_temporary_and_keeps_the_old_set: mounting a tmpfs failed");
        return;
    };
    dir.write("s.toml", &small("full", "30s", ""));
    // About 36,000 rows per policy: several MB, more than the 1 MiB disk.
    dir.write("big.toml", &small("full", "1h", "sample_interval = \"100ms\""));
    let output = run_in(dir.path(), &["replay", "s.toml", "--out", "disk/out", "--no-charts"]);
    assert!(output.status.success(), "{}", text(&output));
    let before = snapshot(&disk.0.join("out"));
    for args in [
        vec!["replay", "big.toml", "--out", "disk/out", "--no-charts"],
        vec!["compare", "big.toml", "--out", "disk/out", "--no-charts"],
    ] {
        let output = run_in(dir.path(), &args);
        assert_eq!(output.status.code(), Some(3), "{args:?}: {}", text(&output));
        assert!(stderr(&output).to_lowercase().contains("no space"), "{}", text(&output));
        assert_eq!(names(&disk.0), vec!["out"], "{args:?} left something on the full disk");
        assert!(leftovers(&disk.0).is_empty(), "{:?}", leftovers(&disk.0));
        assert_eq!(snapshot(&disk.0.join("out")), before, "{args:?}: the previous set changed");
    }
    // A JUnit report that does not fit: no temporary either.
    let fill = disk.0.join("fill");
    let _ = std::fs::write(&fill, vec![0u8; 2 << 20]);
    dir.write(
        "c.toml",
        &format!("{}\n[expect]\nlag_max_below = 1000000000000\n", small("fullcheck", "30s", "")),
    );
    let output = run_in(dir.path(), &["check", "c.toml", "--junit", "disk/junit.xml"]);
    assert!(
        output.status.code() == Some(3) || output.status.code() == Some(0),
        "{}",
        text(&output)
    );
    assert!(leftovers(&disk.0).is_empty(), "{:?}", leftovers(&disk.0));
}

// ---- 4. sweep --merge ---------------------------------------------------------------------

fn sweep_args<'a>(scenario: &'a str, values: &'a str, extra: &[&'a str]) -> Vec<&'a str> {
    let mut a = vec![
        "sweep",
        scenario,
        "--param",
        "groups.initial",
        "--values",
        values,
        "--seeds",
        "2",
        "--policy",
        "leaky",
        "--jobs",
        "1",
    ];
    a.extend_from_slice(extra);
    a
}

fn copy_dir(from: &Path, to: &Path) {
    std::fs::create_dir_all(to).unwrap();
    for entry in std::fs::read_dir(from).unwrap().flatten().filter(|e| e.path().is_file()) {
        std::fs::copy(entry.path(), to.join(entry.file_name())).unwrap();
    }
}

#[test]
fn sweep_merge_refuses_missing_mixed_and_corrupt_shards() {
    let dir = TempDir::new("r14-merge");
    dir.write("s.toml", &small("merge", "30s", ""));
    dir.write("other.toml", &small("merge", "30s", "# another file"));
    for shard in ["0/2", "1/2"] {
        let output = run_in(dir.path(), &sweep_args("s.toml", "10,20", &["--shard", shard, "--out", "good"]));
        assert!(output.status.success(), "{}", text(&output));
    }
    assert!(dir.path().join("good/runs-0-of-2.json").is_file(), "each shard has its sidecar");
    let output = run_in(dir.path(), &["sweep", "s.toml", "--merge", "good"]);
    assert!(output.status.success(), "complete shards merge: {}", text(&output));

    let case = |name: &str, change: &dyn Fn(&Path)| -> String {
        let folder = dir.path().join(name);
        copy_dir(&dir.path().join("good"), &folder);
        let _ = std::fs::remove_file(folder.join("sweep.csv"));
        change(&folder);
        let output = run_in(dir.path(), &["sweep", "s.toml", "--merge", name]);
        assert_eq!(output.status.code(), Some(2), "{name}: {}", text(&output));
        assert!(!folder.join("sweep.csv").exists(), "{name}: a sweep.csv was written");
        stderr(&output)
    };
    let edit = |path: PathBuf, f: &dyn Fn(String) -> String| {
        let t = std::fs::read_to_string(&path).unwrap();
        std::fs::write(&path, f(t)).unwrap();
    };
    let m = case("missing", &|f| std::fs::remove_file(f.join("runs-1-of-2.csv")).unwrap());
    assert!(m.contains("shard 1 of 2 is missing"), "{m}");
    let m = case("header-only", &|f| {
        edit(f.join("runs-1-of-2.csv"), &|t| t.lines().next().unwrap().to_string() + "\n")
    });
    assert!(m.contains("holds 0 runs"), "{m}");
    let m = case("nan", &|f| {
        edit(f.join("runs-0-of-2.csv"), &|t| {
            let mut lines: Vec<String> = t.lines().map(String::from).collect();
            let mut cells: Vec<String> = lines[1].split(',').map(String::from).collect();
            cells[6] = "NaN".into();
            lines[1] = cells.join(",");
            lines.join("\n") + "\n"
        })
    });
    assert!(m.contains("heartbeat_timeout_ratio is `NaN`"), "{m}");
    let m = case("negative", &|f| {
        edit(f.join("runs-0-of-2.csv"), &|t| {
            let mut lines: Vec<String> = t.lines().map(String::from).collect();
            let mut cells: Vec<String> = lines[1].split(',').map(String::from).collect();
            cells[4] = "-5".into();
            lines[1] = cells.join(",");
            lines.join("\n") + "\n"
        })
    });
    assert!(m.contains("lag_max is `-5`"), "{m}");
    let m = case("header", &|f| {
        edit(f.join("runs-0-of-2.csv"), &|t| t.replacen("lag_max", "lag_maximum", 1))
    });
    assert!(m.contains("wrong header"), "{m}");
    let m = case("no-sidecar", &|f| std::fs::remove_file(f.join("runs-0-of-2.json")).unwrap());
    assert!(m.contains("sidecar"), "{m}");
    let m = case("values", &|f| edit(f.join("runs-1-of-2.json"), &|t| t.replace("\"20\"", "\"30\"")));
    assert!(m.contains("values"), "{m}");
    let m = case("param", &|f| {
        edit(f.join("runs-1-of-2.json"), &|t| t.replace("groups.initial", "groups.lifetime"))
    });
    assert!(m.contains("param"), "{m}");
    // Mixed N: a shard of a 3-way split beside the 2-way shards.
    let output = run_in(dir.path(), &sweep_args("s.toml", "10,20", &["--shard", "2/3", "--out", "three"]));
    assert!(output.status.success(), "{}", text(&output));
    let three = dir.path().join("three");
    let m = case("mixed-n", &|f| {
        std::fs::copy(three.join("runs-2-of-3.csv"), f.join("runs-2-of-3.csv")).unwrap();
        std::fs::copy(three.join("runs-2-of-3.json"), f.join("runs-2-of-3.json")).unwrap();
    });
    assert!(m.contains("shard count N"), "{m}");
    // Another scenario file than the shards were run from.
    let output = run_in(dir.path(), &["sweep", "other.toml", "--merge", "good"]);
    assert_eq!(output.status.code(), Some(2), "{}", text(&output));
    assert!(stderr(&output).contains("another scenario file"), "{}", text(&output));
    // An empty folder, a folder that does not exist.
    std::fs::create_dir(dir.path().join("empty")).unwrap();
    let output = run_in(dir.path(), &["sweep", "s.toml", "--merge", "empty"]);
    assert_eq!(output.status.code(), Some(2), "{}", text(&output));
    assert!(stderr(&output).contains("no runs*.csv shard"), "{}", text(&output));
    let output = run_in(dir.path(), &["sweep", "s.toml", "--merge", "nowhere"]);
    assert_eq!(output.status.code(), Some(3), "{}", text(&output));
}

// ---- 5, 6. check ----------------------------------------------------------------------------

#[test]
fn check_with_nothing_to_check_fails_unless_allow_empty() {
    let dir = TempDir::new("r14-empty");
    std::fs::create_dir(dir.path().join("none")).unwrap();
    let output = run_in(dir.path(), &["check", "none"]);
    assert_eq!(output.status.code(), Some(2), "{}", text(&output));
    assert!(stderr(&output).contains("--allow-empty"), "{}", text(&output));
    let output = run_in(dir.path(), &["check", "none", "--allow-empty"]);
    assert_eq!(output.status.code(), Some(0), "{}", text(&output));
    assert!(String::from_utf8_lossy(&output.stdout).contains("nothing was checked"));

    std::fs::create_dir(dir.path().join("noexpect")).unwrap();
    dir.write("noexpect/a.toml", &small("a", "30s", ""));
    let output = run_in(dir.path(), &["check", "noexpect"]);
    assert_eq!(output.status.code(), Some(2), "{}", text(&output));
    assert!(stderr(&output).contains("a.toml has no [expect]"), "{}", text(&output));
    let output = run_in(dir.path(), &["check", "noexpect", "--allow-empty"]);
    assert_eq!(output.status.code(), Some(0), "{}", text(&output));
}

#[test]
fn check_junit_and_baseline_paths_are_checked_before_any_run() {
    let dir = TempDir::new("r14-early");
    // Any simulation of this scenario stops at its event budget (exit 4): an exit 3 proves the
    // paths were checked before running.
    dir.write(
        "c.toml",
        &format!(
            "{}\n[expect]\nlag_max_below = 1000000000000\n",
            small("early", "2m", "max_events = 1000")
        ),
    );
    let output = run_in(dir.path(), &["check", "c.toml"]);
    assert_eq!(output.status.code(), Some(4), "the control: {}", text(&output));
    dir.write("afile", "x");
    for junit in ["nowhere/j.xml", "afile/j.xml", "."] {
        let output = run_in(dir.path(), &["check", "c.toml", "--junit", junit]);
        assert_eq!(output.status.code(), Some(3), "--junit {junit}: {}", text(&output));
        assert!(stderr(&output).contains("--junit"), "{}", text(&output));
    }
    for baseline in ["nowhere", "afile"] {
        let output = run_in(dir.path(), &["check", "c.toml", "--baseline", baseline]);
        assert_eq!(output.status.code(), Some(3), "--baseline {baseline}: {}", text(&output));
    }
    std::fs::create_dir(dir.path().join("emptybase")).unwrap();
    let output = run_in(dir.path(), &["check", "c.toml", "--baseline", "emptybase"]);
    assert_eq!(output.status.code(), Some(3), "a baseline without the summary: {}", text(&output));
    assert!(stderr(&output).contains("summary.json"), "{}", text(&output));
}

#[test]
fn baseline_of_another_scenario_or_policy_is_refused() {
    let dir = TempDir::new("r14-baseline");
    let expect = "\n[expect.leaky]\nlag_max_below = 1000000000000\n";
    dir.write("c.toml", &format!("{}{expect}", small("basecheck", "30s", "")));
    let output = run_in(dir.path(), &["replay", "c.toml", "--out", "base/basecheck", "--no-charts"]);
    assert!(output.status.success(), "{}", text(&output));
    let output = run_in(dir.path(), &["check", "c.toml", "--baseline", "base"]);
    assert_eq!(output.status.code(), Some(0), "its own baseline: {}", text(&output));
    // The scenario file changed since the baseline was run.
    dir.write("c.toml", &format!("{}{expect}", small("basecheck", "40s", "")));
    let output = run_in(dir.path(), &["check", "c.toml", "--baseline", "base"]);
    assert_eq!(output.status.code(), Some(2), "{}", text(&output));
    assert!(stderr(&output).contains("another scenario file"), "{}", text(&output));
    // A fixed run filed as the leaky baseline.
    dir.write("c.toml", &format!("{}{expect}", small("basecheck", "30s", "")));
    let leaky = dir.path().join("base/basecheck/leaky/summary.json");
    std::fs::copy(dir.path().join("base/basecheck/fixed/summary.json"), &leaky).unwrap();
    let output = run_in(dir.path(), &["check", "c.toml", "--baseline", "base"]);
    assert_eq!(output.status.code(), Some(2), "{}", text(&output));
    assert!(stderr(&output).contains("policy `fixed`, not `leaky`"), "{}", text(&output));
}

// ---- 7. bounded input ---------------------------------------------------------------------

#[test]
fn unbounded_scenario_input_is_refused_at_1_mib() {
    let dir = TempDir::new("r14-big");
    let output = run_in(dir.path(), &["replay", "/dev/zero", "--out", "out"]);
    assert_eq!(output.status.code(), Some(2), "{}", text(&output));
    assert!(
        stderr(&output).contains("/dev/zero") && stderr(&output).contains("1048576"),
        "{}",
        text(&output)
    );
    let mut big = small("big", "30s", "");
    while big.len() <= 1 << 20 {
        big.push_str("# padding padding padding padding padding padding padding padding\n");
    }
    dir.write("big.toml", &big);
    for command in ["replay", "check"] {
        let output = run_in(dir.path(), &[command, "big.toml"]);
        assert_eq!(output.status.code(), Some(2), "{command}: {}", text(&output));
        assert!(stderr(&output).contains("big.toml"), "{}", text(&output));
    }
    assert!(!dir.path().join("output").exists() && !dir.path().join("out").exists());
}

// ---- 8. --jobs ----------------------------------------------------------------------------

#[test]
fn jobs_10000_is_capped_with_a_message() {
    let dir = TempDir::new("r14-jobs");
    dir.write("s.toml", &small("jobs", "30s", ""));
    let output = run_in(dir.path(), &["compare", "s.toml", "--jobs", "10000", "--no-charts", "--out", "out"]);
    assert!(output.status.success(), "{}", text(&output));
    assert!(stderr(&output).contains("--jobs 10000 capped to"), "{}", text(&output));
}

// ---- 9. column names ----------------------------------------------------------------------

#[test]
fn consumer_group_named_total_cannot_forge_the_lag_total_column() {
    let dir = TempDir::new("r14-total");
    dir.write("s.toml", &small("total", "30s", "").replace("name = \"g\"", "name = \"total\""));
    let output = run_in(dir.path(), &["replay", "s.toml", "--out", "out"]);
    assert_eq!(output.status.code(), Some(2), "{}", text(&output));
    let message = stderr(&output);
    assert!(
        message.contains("consumer_groups[0].name") && message.contains("lag_total"),
        "{message}"
    );
    assert!(!dir.path().join("out").exists());
}

// ---- 10. control characters -----------------------------------------------------------------

#[test]
fn control_characters_from_scenario_text_are_escaped() {
    let dir = TempDir::new("r14-ctl");
    // A bad topic reference carrying ESC sequences, BEL and a bidi override.
    let bad = small("ctl", "30s", "").replace(
        "topic = \"t\"\nconsumers",
        "topic = \"\\u001b[2J\\u001b]0;pwned\\u0007\\u202ex\"\nconsumers",
    );
    dir.write("bad.toml", &bad);
    let output = run_in(dir.path(), &["replay", "bad.toml", "--out", "out"]);
    assert_eq!(output.status.code(), Some(2), "{}", text(&output));
    let message = stderr(&output);
    assert!(message.contains("\\u{1b}[2J"), "{message}");
    for raw in ['\u{1b}', '\u{7}', '\u{202e}'] {
        assert!(!message.contains(raw), "raw {raw:?} in {message:?}");
    }
    // An unknown policy name with ESC and CR, and a valid name with a bidi override.
    let policy = small("ctl", "30s", "").replace("policies = [\"leaky\", \"fixed\"]", "policies = [\"evil\\u001b[31mname\\rX\"]");
    dir.write("policy.toml", &policy);
    let output = run_in(dir.path(), &["replay", "policy.toml", "--out", "out"]);
    assert_eq!(output.status.code(), Some(2), "{}", text(&output));
    let message = stderr(&output);
    assert!(!message.contains('\u{1b}') && !message.contains('\r'), "{message:?}");
    assert!(message.contains("evil\\u{1b}[31mname\\rX"), "{message}");
    dir.write("named.toml", &small("right\u{202e}left", "30s", ""));
    let output = run_in(dir.path(), &["replay", "named.toml", "--out", "out", "--no-charts"]);
    assert!(output.status.success(), "{}", text(&output));
    let stdout = String::from_utf8_lossy(&output.stdout);
    assert!(!stdout.contains('\u{202e}') && stdout.contains("right\\u{202e}left"), "{stdout}");
}

/// Found by the fuzzer (session 4): a `broker.count` of billions was reported as out of range only
/// after the per-broker specs had been allocated for it, and the process aborted on a 1.9 TB
/// allocation instead of exiting 2.
#[test]
fn huge_broker_count_is_an_error_not_an_allocation() {
    let dir = TempDir::new("r14-count");
    let scenario = small("count", "20s", "").replace("[broker]\n", "[broker]\ncount = 4000000000\n");
    let scenario = if scenario.contains("count = 4000000000") {
        scenario
    } else {
        format!("{scenario}\n[broker]\ncount = 4000000000\n")
    };
    dir.write("s.toml", &scenario);
    let output = run_in(dir.path(), &["replay", "s.toml", "--out", "o", "--no-charts"]);
    assert_eq!(output.status.code(), Some(2), "{}", text(&output));
    let err = String::from_utf8_lossy(&output.stderr);
    assert!(err.contains("broker.count") && err.contains("s.toml"), "{err}");
    assert!(!dir.path().join("o").exists());
}
