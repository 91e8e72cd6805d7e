//! Reads HotSpot thread dumps (`jstack`, `jstack -l`, JDK 8 and 17 formats, `kill -3` output
//! inside a log, hbsim's own `thread-dumps.txt`) and looks for the incident's signature:
//! `HeartbeatThread_N` BLOCKED waiting to lock the `ProducerManager` monitor, and who holds it.
//! Tolerant of whitespace and of the optional header fields (`#n`, `daemon`, `cpu=`, `elapsed=`).

use serde::Serialize;
use std::path::Path;

/// The class whose monitor the heartbeat threads wait for: `registerProducer` and
/// `doChannelCloseEvent` are `synchronized` in broker/src/main/java/org/apache/rocketmq/broker/
/// client/ProducerManager.java (tag rocketmq-all-4.9.8, lines 105 and 125; 4.6.1 … 5.3.1).
/// The heartbeat pool's threads are named by `new ThreadFactoryImpl("HeartbeatThread_", true)`
/// in BrokerController.java (rocketmq-all-4.9.8), hence `HeartbeatThread_1` … `_N`.
pub const PRODUCER_MANAGER: &str = "org.apache.rocketmq.broker.client.ProducerManager";

/// One thread of a dump.
#[derive(Debug, Clone)]
pub struct Thread {
    pub name: String,
    /// 1-based line of the header in the file.
    pub line: usize,
    pub state: String,
    pub state_line: usize,
    /// `(line, frame)`, innermost first, without the leading `at `.
    pub frames: Vec<(usize, String)>,
    /// `(line, address, class)` of `- waiting to lock <addr> (a class)`.
    pub waiting_to_lock: Vec<(usize, String, String)>,
    /// `(line, address, class, index of the frame that took it)` of `- locked <addr> (a class)`.
    pub locked: Vec<(usize, String, String, usize)>,
}

/// One dump (a file can hold several: a log with several `kill -3`, hbsim's dumps).
#[derive(Debug, Clone)]
pub struct Dump {
    pub line: usize,
    pub header: String,
    pub threads: Vec<Thread>,
}

/// A line of the file that proves a finding.
#[derive(Debug, Clone, Serialize, PartialEq)]
pub struct Evidence {
    pub location: String,
    pub text: String,
}

/// What one dump shows.
#[derive(Debug, Clone, Serialize, PartialEq)]
pub struct DumpFinding {
    pub file: String,
    pub line: usize,
    pub header: String,
    pub signature: bool,
    /// Heartbeat threads seen (`HeartbeatThread_N`): the pool size.
    pub heartbeat_threads: usize,
    /// Of them, BLOCKED waiting for the ProducerManager monitor.
    pub heartbeat_blocked: usize,
    pub monitor: Option<String>,
    pub owner: Option<String>,
    /// The owner's method holding the monitor, e.g. `ProducerManager.doChannelCloseEvent`.
    pub owner_method: Option<String>,
    /// True when the owner is the NettyEventExecutor in doChannelCloseEvent (a close walk).
    pub owner_is_close_walk: bool,
    pub version_hint: Option<String>,
    pub summary: String,
    pub evidence: Vec<Evidence>,
}

/// Why a file is not usable as a dump.
pub fn not_a_dump(path: &Path, text: &str) -> String {
    let why = if text.contains("Full thread dump") {
        "it has a `Full thread dump` header but no complete thread (a thread header followed by its `java.lang.Thread.State:` line): truncated?"
    } else {
        "no `Full thread dump` header and no thread with a `java.lang.Thread.State:` line"
    };
    format!(
        "{}: not a thread dump ({why}); give the output of `jstack <pid>`, `jstack -l <pid>` or a log with `kill -3` output",
        path.display()
    )
}

/// Splits a file into dumps. A file without any thread is not a dump (`None`).
pub fn parse(text: &str) -> Option<Vec<Dump>> {
    let mut dumps: Vec<Dump> = Vec::new();
    let mut current: Option<Thread> = None;
    let flush = |dumps: &mut Vec<Dump>, thread: Option<Thread>| {
        if let Some(t) = thread {
            if dumps.is_empty() {
                dumps.push(Dump {
                    line: t.line,
                    header: String::new(),
                    threads: Vec::new(),
                });
            }
            if let Some(d) = dumps.last_mut() {
                d.threads.push(t);
            }
        }
    };
    for (i, raw) in text.lines().enumerate() {
        let line_no = i + 1;
        let line = raw.trim();
        if let Some(pos) = raw.find("Full thread dump") {
            flush(&mut dumps, current.take());
            dumps.push(Dump {
                line: line_no,
                header: raw[pos..].trim().to_string(),
                threads: Vec::new(),
            });
            continue;
        }
        if let Some(name) = thread_header(line) {
            flush(&mut dumps, current.take());
            current = Some(Thread {
                name,
                line: line_no,
                state: String::new(),
                state_line: 0,
                frames: Vec::new(),
                waiting_to_lock: Vec::new(),
                locked: Vec::new(),
            });
            continue;
        }
        let Some(thread) = current.as_mut() else { continue };
        if let Some(state) = line.strip_prefix("java.lang.Thread.State:") {
            thread.state = state.trim().to_string();
            thread.state_line = line_no;
        } else if let Some(frame) = line.strip_prefix("at ") {
            thread.frames.push((line_no, frame.trim().to_string()));
        } else if let Some(rest) = line.strip_prefix("- waiting to lock") {
            if let Some((addr, class)) = lock_target(rest) {
                thread.waiting_to_lock.push((line_no, addr, class));
            }
        } else if let Some(rest) = line.strip_prefix("- locked") {
            if let Some((addr, class)) = lock_target(rest) {
                let frame = thread.frames.len().saturating_sub(1);
                thread.locked.push((line_no, addr, class, frame));
            }
        } else if line.is_empty() || line.starts_with("- ") || line.starts_with("Locked ownable") {
            // Other lock lines (`waiting on`, `parking to wait for`, `- None`), blank lines.
        } else if !line.starts_with('"') {
            // Anything else (a log line between dumps) ends the thread.
            flush(&mut dumps, current.take());
        }
    }
    flush(&mut dumps, current.take());
    dumps.retain(|d| d.threads.iter().any(|t| !t.state.is_empty()));
    (!dumps.is_empty()).then_some(dumps)
}

/// `"name" #12 daemon prio=5 … nid=0x… state` → the name (quotes may be in the name: the
/// name ends at the last quote followed by a space or the end of the line).
fn thread_header(line: &str) -> Option<String> {
    let rest = line.strip_prefix('"')?;
    let end = rest.rfind('"')?;
    let after = &rest[end + 1..];
    let looks_like_thread = after.is_empty()
        || after.contains("prio=")
        || after.contains("tid=")
        || after.contains("nid=")
        || after.trim_start().starts_with('#');
    looks_like_thread.then(|| rest[..end].to_string())
}

/// ` <0x000000069ec1bf18> (a org.apache…ProducerManager)` → (address, class).
fn lock_target(rest: &str) -> Option<(String, String)> {
    let start = rest.find('<')?;
    let end = rest[start..].find('>')? + start;
    let addr = rest[start + 1..end].to_string();
    let class = rest[end + 1..]
        .trim()
        .trim_start_matches('(')
        .trim_end_matches(')')
        .trim_start_matches("a ")
        .trim()
        .to_string();
    Some((addr, class))
}

fn heartbeat_index(name: &str) -> Option<u32> {
    name.strip_prefix("HeartbeatThread_")?.parse().ok()
}

fn method_of(frame: &str) -> String {
    // `org.apache.rocketmq.broker.client.ProducerManager.doChannelCloseEvent(ProducerManager.java:107)`
    let call = frame.split('(').next().unwrap_or(frame);
    let mut parts = call.rsplitn(3, '.');
    let method = parts.next().unwrap_or("");
    let class = parts.next().unwrap_or("");
    format!("{class}.{method}")
}

/// Looks for the signature in one dump of `file`.
pub fn examine(file: &str, dump: &Dump, whole_text: &str) -> DumpFinding {
    let at = |line: usize| format!("{file}:{line}");
    let mut evidence = Vec::new();
    // The pool size: the highest N seen (an idle thread may be missing from a partial dump).
    let seen = dump.threads.iter().filter(|t| heartbeat_index(&t.name).is_some()).count();
    let highest = dump.threads.iter().filter_map(|t| heartbeat_index(&t.name)).max().unwrap_or(0);
    let pool = seen.max(highest as usize);
    let blocked: Vec<&Thread> = dump
        .threads
        .iter()
        .filter(|t| heartbeat_index(&t.name).is_some() && t.state.starts_with("BLOCKED"))
        .filter(|t| t.waiting_to_lock.iter().any(|(_, _, c)| c == PRODUCER_MANAGER))
        .collect();
    let monitor = blocked
        .first()
        .and_then(|t| t.waiting_to_lock.iter().find(|(_, _, c)| c == PRODUCER_MANAGER))
        .map(|(_, a, _)| a.clone());
    let owner = monitor.as_ref().and_then(|addr| {
        dump.threads
            .iter()
            .find_map(|t| t.locked.iter().find(|(_, a, _, _)| a == addr).map(|l| (t, l.clone())))
    });
    for t in blocked.iter().take(3) {
        evidence.push(Evidence {
            location: at(t.line),
            text: format!("\"{}\" {}", t.name, t.state),
        });
        if let Some((line, addr, class)) = t.waiting_to_lock.iter().find(|(_, _, c)| c == PRODUCER_MANAGER) {
            evidence.push(Evidence {
                location: at(*line),
                text: format!("- waiting to lock <{addr}> (a {class})"),
            });
        }
    }
    let mut owner_name = None;
    let mut owner_method = None;
    let mut owner_is_close_walk = false;
    if let Some((t, (line, addr, class, frame))) = &owner {
        owner_name = Some(t.name.clone());
        let method = t.frames.get(*frame).map(|(_, f)| method_of(f));
        owner_is_close_walk =
            t.name.starts_with("NettyEventExecutor") && t.frames.iter().any(|(_, f)| f.contains("ProducerManager.doChannelCloseEvent"));
        evidence.push(Evidence {
            location: at(t.line),
            text: format!("\"{}\" {}", t.name, t.state),
        });
        if let Some((fline, f)) = t.frames.get(*frame) {
            evidence.push(Evidence {
                location: at(*fline),
                text: format!("at {f}"),
            });
        }
        evidence.push(Evidence {
            location: at(*line),
            text: format!("- locked <{addr}> (a {class})"),
        });
        owner_method = method.map(|m| {
            m.rsplit_once('.')
                .map_or(m.clone(), |(c, m)| format!("{}.{m}", c.rsplit('.').next().unwrap_or(c)))
        });
    }
    let version_hint = version_hint(dump, whole_text, !blocked.is_empty());
    let signature = !blocked.is_empty();
    let summary = if signature {
        format!(
            "signature found: {} of {} heartbeat threads BLOCKED on the ProducerManager monitor <{}>, held by {}{}",
            blocked.len(),
            pool,
            monitor.clone().unwrap_or_default(),
            owner_name.clone().unwrap_or_else(|| "a thread not in the dump".into()),
            match (&owner_method, owner_is_close_walk) {
                (Some(m), true) => format!(" in {m} (a close walk over the whole group table)"),
                (Some(m), false) => format!(" in {m}"),
                _ => String::new(),
            }
        )
    } else if pool > 0 {
        format!("no signature: none of the {pool} heartbeat threads waits for the ProducerManager monitor")
    } else {
        "no signature: no HeartbeatThread_N in this dump (is it a RocketMQ broker?)".into()
    };
    DumpFinding {
        file: file.to_string(),
        line: dump.line,
        header: dump.header.clone(),
        signature,
        heartbeat_threads: pool,
        heartbeat_blocked: blocked.len(),
        monitor,
        owner: owner_name,
        owner_method,
        owner_is_close_walk,
        version_hint,
        summary,
        evidence,
    }
}

/// What the frames (or the text around them) say about the RocketMQ version.
fn version_hint(dump: &Dump, whole_text: &str, synchronized_wait: bool) -> Option<String> {
    // An explicit version string: a jar name or a startup line in the log.
    for word in whole_text.split(|c: char| c.is_whitespace() || c == '/' || c == ':' || c == '(' || c == ')') {
        for prefix in ["rocketmq-broker-", "rocketmq-all-", "rocketmq-common-"] {
            if let Some(rest) = word.strip_prefix(prefix) {
                let version: String = rest.chars().take_while(|c| c.is_ascii_digit() || *c == '.').collect();
                let version = version.trim_end_matches('.');
                if version.contains('.') {
                    return Some(format!("{version} (from `{word}` in the file)"));
                }
            }
        }
    }
    let frames = || dump.threads.iter().flat_map(|t| t.frames.iter().map(|(_, f)| f.as_str()));
    if frames().any(|f| f.starts_with("org.apache.rocketmq.proxy.")) {
        return Some("5.x (proxy classes in the frames)".into());
    }
    let try_lock = dump.threads.iter().any(|t| {
        t.frames
            .windows(2)
            .any(|w| w[0].1.contains("ReentrantLock.tryLock") || (w[0].1.contains("locks.") && w[1].1.contains("ProducerManager.")))
    });
    if try_lock {
        return Some("4.0.0 … 4.6.0 (ProducerManager under a ReentrantLock: policy v4.6.0)".into());
    }
    if synchronized_wait {
        return Some(
            "4.6.1 … 5.3.1 (ProducerManager methods are synchronized; policies leaky/fixed/v5.0 — the leak itself is 4.6.1 … 4.9.8)".into(),
        );
    }
    None
}

#[cfg(test)]
mod tests {
    use super::*;

    const DUMP: &str = "2024-10-17 10:21:33\nFull thread dump Java HotSpot(TM) 64-Bit Server VM (25.202-b08 mixed mode):\n\n\
\"HeartbeatThread_2\" #41 prio=5 os_prio=0 tid=0x1 nid=0x2 waiting for monitor entry [0x3]\n   java.lang.Thread.State: BLOCKED (on object monitor)\n\
\tat org.apache.rocketmq.broker.client.ProducerManager.registerProducer(ProducerManager.java:126)\n\
\t- waiting to lock <0x00000005c0a1b2c8> (a org.apache.rocketmq.broker.client.ProducerManager)\n\n\
\"NettyEventExecutor\" #30 prio=5 os_prio=0 tid=0x4 nid=0x5 runnable [0x6]\n   java.lang.Thread.State: RUNNABLE\n\
\tat org.apache.rocketmq.broker.client.ProducerManager.doChannelCloseEvent(ProducerManager.java:107)\n\
\t- locked <0x00000005c0a1b2c8> (a org.apache.rocketmq.broker.client.ProducerManager)\n";

    #[test]
    fn finds_the_signature_and_its_owner() {
        let dumps = parse(DUMP).unwrap();
        assert_eq!(dumps.len(), 1);
        let f = examine("d.txt", &dumps[0], DUMP);
        assert!(f.signature, "{f:?}");
        assert_eq!(f.owner.as_deref(), Some("NettyEventExecutor"));
        assert_eq!(f.owner_method.as_deref(), Some("ProducerManager.doChannelCloseEvent"));
        assert!(f.owner_is_close_walk);
        assert!(f.evidence.iter().any(|e| e.location == "d.txt:7"), "{:?}", f.evidence);
    }

    #[test]
    fn text_without_threads_is_not_a_dump() {
        assert!(parse("hello\nworld\n").is_none());
        assert!(parse("").is_none());
    }
}
