//! Thread dumps in the shape of HotSpot `jstack` output (JDK 17), the evidence the incident was
//! found with, so the tools people already use on real dumps read them too.
//!
//! Each dump is one broker JVM at one virtual instant: a line naming the hbsim run (the only line
//! a real `jstack` does not print), the timestamp line, the `Full thread dump OpenJDK ...` header,
//! then one block per thread with `jstack`'s header line, `java.lang.Thread.State`, frames down to
//! `java.lang.Thread.run` and the monitor lines (`- waiting to lock <...>`, `- locked <...>`,
//! `- parking to wait for  <...>`), and the closing `JNI global refs` line.
//!
//! RocketMQ frames and line numbers follow 4.9.6–4.9.8 as seen in the incident's dumps
//! (`ProducerManager.java:126`, `ClientManageProcessor.java:121`, `NettyRemotingAbstract.java:597`);
//! JDK frames follow OpenJDK 17.0.15 (checked against a `jstack` of a small program on 17.0.15).
//! The timestamp is the virtual time counted from 2000-01-01 00:00:00 (the simulation has no
//! calendar). `cpu=` is not modelled and printed as 0.00ms; `elapsed=` is the virtual time.

use crate::model::broker::{JavaState, Place, ThreadView};
use crate::model::{ThreadDump, ThreadRef};
use std::fmt::Write;

/// The JVM the dumps claim to come from.
const VM_HEADER: &str = "Full thread dump OpenJDK 64-Bit Server VM (17.0.15+6-LTS mixed mode, sharing):";
/// The `java.base` module version JDK frames carry.
const JDK: &str = "java.base@17.0.15";

/// The fake address of the ProducerManager monitor (one per broker, stable across runs).
fn monitor_address(broker: usize) -> String {
    format!("0x00000006c{:07x}", 0x1a2b3c0 + broker * 0x100)
}

/// The name `jstack` prints for a thread.
pub fn thread_name(thread: ThreadRef) -> String {
    match thread {
        ThreadRef::Heartbeat(i) => format!("HeartbeatThread_{}", i + 1),
        ThreadRef::Netty => "NettyEventExecutor".into(),
        ThreadRef::ClientManage(i) => format!("ClientManageThread_{}", i + 1),
        ThreadRef::Housekeeping => "ClientHousekeepingScheduledThread".into(),
    }
}

fn state_line(state: JavaState) -> &'static str {
    match state {
        JavaState::Runnable => "RUNNABLE",
        JavaState::Blocked => "BLOCKED (on object monitor)",
        JavaState::Waiting => "WAITING (parking)",
        JavaState::TimedWaiting => "TIMED_WAITING (parking)",
    }
}

/// What `jstack` prints after `nid=` for a state.
fn header_state(state: JavaState) -> &'static str {
    match state {
        JavaState::Runnable => "runnable",
        JavaState::Blocked => "waiting for monitor entry",
        JavaState::Waiting | JavaState::TimedWaiting => "waiting on condition",
    }
}

/// A frame of the JDK (module-qualified as JDK 17 prints it).
enum Frame {
    Jdk(&'static str, &'static str),
    App(&'static str),
}

use Frame::{App, Jdk};

/// The bottom of every pool worker: `getTask` for an idle one, the task for a busy one.
const WORKER_BOTTOM: &[Frame] = &[
    Jdk("java.util.concurrent.ThreadPoolExecutor.runWorker", "ThreadPoolExecutor.java:1136"),
    Jdk("java.util.concurrent.ThreadPoolExecutor$Worker.run", "ThreadPoolExecutor.java:635"),
    Jdk("java.lang.Thread.run", "Thread.java:840"),
];

/// A request task submitted by `NettyRemotingAbstract.processRequestCommand` to an executor.
const REQUEST_TASK: &[Frame] = &[
    App("org.apache.rocketmq.remoting.netty.NettyRemotingAbstract$1.run(NettyRemotingAbstract.java:227)"),
    App("org.apache.rocketmq.remoting.netty.RequestTask.run(RequestTask.java:80)"),
    Jdk("java.util.concurrent.Executors$RunnableAdapter.call", "Executors.java:539"),
    Jdk("java.util.concurrent.FutureTask.run", "FutureTask.java:264"),
];

/// An idle pool worker parked in `LinkedBlockingQueue.take`.
const IDLE_WORKER: &[Frame] = &[
    Jdk("jdk.internal.misc.Unsafe.park", "Native Method"),
    Jdk("java.util.concurrent.locks.LockSupport.park", "LockSupport.java:341"),
    Jdk(
        "java.util.concurrent.locks.AbstractQueuedSynchronizer$ConditionNode.block",
        "AbstractQueuedSynchronizer.java:506",
    ),
    Jdk("java.util.concurrent.ForkJoinPool.unmanagedBlock", "ForkJoinPool.java:3465"),
    Jdk("java.util.concurrent.ForkJoinPool.managedBlock", "ForkJoinPool.java:3436"),
    Jdk(
        "java.util.concurrent.locks.AbstractQueuedSynchronizer$ConditionObject.await",
        "AbstractQueuedSynchronizer.java:1623",
    ),
    Jdk("java.util.concurrent.LinkedBlockingQueue.take", "LinkedBlockingQueue.java:435"),
    Jdk("java.util.concurrent.ThreadPoolExecutor.getTask", "ThreadPoolExecutor.java:1062"),
    Jdk("java.util.concurrent.ThreadPoolExecutor.runWorker", "ThreadPoolExecutor.java:1122"),
    Jdk("java.util.concurrent.ThreadPoolExecutor$Worker.run", "ThreadPoolExecutor.java:635"),
    Jdk("java.lang.Thread.run", "Thread.java:840"),
];

/// The scheduled housekeeping thread waiting for its next 10 s scan.
const IDLE_SCHEDULED: &[Frame] = &[
    Jdk("jdk.internal.misc.Unsafe.park", "Native Method"),
    Jdk("java.util.concurrent.locks.LockSupport.parkNanos", "LockSupport.java:252"),
    Jdk(
        "java.util.concurrent.locks.AbstractQueuedSynchronizer$ConditionObject.awaitNanos",
        "AbstractQueuedSynchronizer.java:1679",
    ),
    Jdk(
        "java.util.concurrent.ScheduledThreadPoolExecutor$DelayedWorkQueue.take",
        "ScheduledThreadPoolExecutor.java:1182",
    ),
    Jdk(
        "java.util.concurrent.ScheduledThreadPoolExecutor$DelayedWorkQueue.take",
        "ScheduledThreadPoolExecutor.java:899",
    ),
    Jdk("java.util.concurrent.ThreadPoolExecutor.getTask", "ThreadPoolExecutor.java:1062"),
    Jdk("java.util.concurrent.ThreadPoolExecutor.runWorker", "ThreadPoolExecutor.java:1122"),
    Jdk("java.util.concurrent.ThreadPoolExecutor$Worker.run", "ThreadPoolExecutor.java:635"),
    Jdk("java.lang.Thread.run", "Thread.java:840"),
];

/// `NettyEventExecutor` (a plain `ServiceThread`, no pool) polling its event queue.
const NETTY_POLL: &[Frame] = &[
    Jdk("jdk.internal.misc.Unsafe.park", "Native Method"),
    Jdk("java.util.concurrent.locks.LockSupport.parkNanos", "LockSupport.java:252"),
    Jdk(
        "java.util.concurrent.locks.AbstractQueuedSynchronizer$ConditionObject.awaitNanos",
        "AbstractQueuedSynchronizer.java:1679",
    ),
    Jdk("java.util.concurrent.LinkedBlockingQueue.poll", "LinkedBlockingQueue.java:460"),
    App("org.apache.rocketmq.remoting.netty.NettyRemotingAbstract$NettyEventExecutor.run(NettyRemotingAbstract.java:585)"),
    Jdk("java.lang.Thread.run", "Thread.java:840"),
];

/// The top of a busy thread's stack (the part that depends on where it is), innermost first; the
/// first frame is the one a monitor line follows.
fn top_frames(place: Place) -> &'static [&'static str] {
    match place {
        Place::PoolTake | Place::NettyPoll | Place::ScheduledWait => &[],
        Place::HeartBeat => &[
            "org.apache.rocketmq.broker.client.ConsumerManager.registerConsumer(ConsumerManager.java:98)",
            "org.apache.rocketmq.broker.processor.ClientManageProcessor.heartBeat(ClientManageProcessor.java:104)",
            "org.apache.rocketmq.broker.processor.ClientManageProcessor.processRequest(ClientManageProcessor.java:58)",
        ],
        Place::RegisterProducer => &[
            "org.apache.rocketmq.broker.client.ProducerManager.registerProducer(ProducerManager.java:126)",
            "org.apache.rocketmq.broker.processor.ClientManageProcessor.heartBeat(ClientManageProcessor.java:121)",
            "org.apache.rocketmq.broker.processor.ClientManageProcessor.processRequest(ClientManageProcessor.java:58)",
        ],
        Place::UnregisterClient => &[
            "org.apache.rocketmq.broker.processor.ClientManageProcessor.unregisterClient(ClientManageProcessor.java:150)",
            "org.apache.rocketmq.broker.processor.ClientManageProcessor.processRequest(ClientManageProcessor.java:60)",
        ],
        Place::UnregisterProducer => &[
            "org.apache.rocketmq.broker.client.ProducerManager.unregisterProducer(ProducerManager.java:143)",
            "org.apache.rocketmq.broker.processor.ClientManageProcessor.unregisterClient(ClientManageProcessor.java:158)",
            "org.apache.rocketmq.broker.processor.ClientManageProcessor.processRequest(ClientManageProcessor.java:60)",
        ],
        Place::NettyDispatch => &[
            "org.apache.rocketmq.broker.client.ClientHousekeepingService.onChannelConnect(ClientHousekeepingService.java:62)",
            "org.apache.rocketmq.remoting.netty.NettyRemotingAbstract$NettyEventExecutor.run(NettyRemotingAbstract.java:594)",
        ],
        Place::CloseWalk => &[
            "org.apache.rocketmq.broker.client.ProducerManager.doChannelCloseEvent(ProducerManager.java:107)",
            "org.apache.rocketmq.broker.client.ClientHousekeepingService.onChannelClose(ClientHousekeepingService.java:71)",
            "org.apache.rocketmq.remoting.netty.NettyRemotingAbstract$NettyEventExecutor.run(NettyRemotingAbstract.java:597)",
        ],
        Place::ConsumerClose => &[
            "org.apache.rocketmq.broker.client.ConsumerManager.doChannelCloseEvent(ConsumerManager.java:106)",
            "org.apache.rocketmq.broker.client.ClientHousekeepingService.onChannelClose(ClientHousekeepingService.java:72)",
            "org.apache.rocketmq.remoting.netty.NettyRemotingAbstract$NettyEventExecutor.run(NettyRemotingAbstract.java:597)",
        ],
        Place::ScanNotActive => &[
            "org.apache.rocketmq.broker.client.ProducerManager.scanNotActiveChannel(ProducerManager.java:76)",
            "org.apache.rocketmq.broker.client.ClientHousekeepingService.scanExceptionChannel(ClientHousekeepingService.java:55)",
            "org.apache.rocketmq.broker.client.ClientHousekeepingService$1.run(ClientHousekeepingService.java:49)",
        ],
    }
}

/// The frames below the top ones, down to `Thread.run` (two slices, one after the other).
fn bottom_frames(thread: ThreadRef, place: Place) -> [&'static [Frame]; 2] {
    const SCHEDULED_TASK: &[Frame] = &[
        Jdk("java.util.concurrent.Executors$RunnableAdapter.call", "Executors.java:539"),
        Jdk("java.util.concurrent.FutureTask.runAndReset", "FutureTask.java:305"),
        Jdk(
            "java.util.concurrent.ScheduledThreadPoolExecutor$ScheduledFutureTask.run",
            "ScheduledThreadPoolExecutor.java:305",
        ),
    ];
    const THREAD_RUN: &[Frame] = &[Jdk("java.lang.Thread.run", "Thread.java:840")];
    match place {
        Place::PoolTake => [IDLE_WORKER, &[]],
        Place::ScheduledWait => [IDLE_SCHEDULED, &[]],
        Place::NettyPoll => [NETTY_POLL, &[]],
        _ => match thread {
            ThreadRef::Netty => [THREAD_RUN, &[]],
            ThreadRef::Housekeeping => [SCHEDULED_TASK, WORKER_BOTTOM],
            ThreadRef::Heartbeat(_) | ThreadRef::ClientManage(_) => [REQUEST_TASK, WORKER_BOTTOM],
        },
    }
}

fn write_frame(out: &mut String, frame: &Frame) {
    let _ = match frame {
        Jdk(method, place) => writeln!(out, "\tat {method}({JDK}/{place})"),
        App(text) => writeln!(out, "\tat {text}"),
    };
}

/// One thread block. `number` is jstack's `#N`, `index` makes the addresses unique.
fn write_thread(out: &mut String, view: &ThreadView, number: usize, broker: usize, elapsed_s: f64) {
    let name = thread_name(view.thread);
    let index = number + broker * 0x40;
    let _ = writeln!(
        out,
        "\"{name}\" #{number} prio=5 os_prio=0 cpu=0.00ms elapsed={elapsed_s:.2}s tid=0x00007f3c{:08x} nid=0x{:x} {}  [0x00007f3b{:04x}0000]",
        0x1c40_0000 + index * 0x1000,
        0x3500 + index,
        header_state(view.state),
        0x8000 + index * 0x10,
    );
    let _ = writeln!(out, "   java.lang.Thread.State: {}", state_line(view.state));
    let monitor = monitor_address(broker);
    let top = top_frames(view.place);
    let bottom = bottom_frames(view.thread, view.place);
    for (i, frame) in top.iter().enumerate() {
        let _ = writeln!(out, "\tat {frame}");
        if i == 0 {
            if view.state == JavaState::Blocked {
                let _ = writeln!(
                    out,
                    "\t- waiting to lock <{monitor}> (a org.apache.rocketmq.broker.client.ProducerManager)"
                );
            } else if view.holds_monitor {
                let _ = writeln!(out, "\t- locked <{monitor}> (a org.apache.rocketmq.broker.client.ProducerManager)");
            }
        }
    }
    for (i, frame) in bottom.iter().flat_map(|part| part.iter()).enumerate() {
        write_frame(out, frame);
        if top.is_empty() && i == 0 {
            let _ = writeln!(
                out,
                "\t- parking to wait for  <0x00000006d{:07x}> (a java.util.concurrent.locks.AbstractQueuedSynchronizer$ConditionObject)",
                index * 0x40
            );
        }
    }
    out.push('\n');
}

/// `yyyy-mm-dd hh:mm:ss` of a virtual time counted from 2000-01-01 00:00:00.
pub fn timestamp(time_ns: u64) -> String {
    let seconds = time_ns / 1_000_000_000;
    let (days, rest) = (seconds / 86_400, seconds % 86_400);
    // Civil date from a day count (Howard Hinnant's `civil_from_days`): 10,957 days from
    // 1970-01-01 to 2000-01-01, shifted by 719,468 days to start at 0000-03-01.
    let z = days as i64 + 10_957 + 719_468;
    let era = z.div_euclid(146_097);
    let doe = z.rem_euclid(146_097);
    let yoe = (doe - doe / 1_460 + doe / 36_524 - doe / 146_096) / 365;
    let doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
    let mp = (5 * doy + 2) / 153;
    let day = doy - (153 * mp + 2) / 5 + 1;
    let month = if mp < 10 { mp + 3 } else { mp - 9 };
    let year = yoe + era * 400 + i64::from(month <= 2);
    format!(
        "{year:04}-{month:02}-{day:02} {:02}:{:02}:{:02}",
        rest / 3600,
        rest / 60 % 60,
        rest % 60
    )
}

/// Formats a dump as `jstack` would print it, one full dump per broker JVM.
pub fn format_dump(dump: &ThreadDump, scenario: &str, policy: &str) -> String {
    let mut out = String::new();
    let time = dump.time_ns as f64 / 1e9;
    for (b, views) in dump.brokers.iter().enumerate() {
        let _ = writeln!(
            out,
            "hbsim thread dump: scenario {scenario}, policy {policy}, broker {b}, virtual time {time:.3} s ({})",
            dump.reason
        );
        let _ = writeln!(out, "{}", timestamp(dump.time_ns));
        let _ = writeln!(out, "{VM_HEADER}\n");
        for (i, view) in views.iter().enumerate() {
            write_thread(&mut out, view, 40 + i, b, time);
        }
        let _ = writeln!(out, "JNI global refs: 0, weak refs: 0\n");
    }
    out
}

/// All dumps of a run, in time order (a dump at maximum lag may come before a `--dump-at` one).
pub fn format_dumps(dumps: &[&ThreadDump], scenario: &str, policy: &str) -> String {
    let mut sorted: Vec<&ThreadDump> = dumps.to_vec();
    sorted.sort_by_key(|d| d.time_ns);
    sorted.iter().map(|d| format_dump(d, scenario, policy)).collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn timestamps_count_from_2000() {
        assert_eq!(timestamp(0), "2000-01-01 00:00:00");
        assert_eq!(timestamp(85 * 60 * 1_000_000_000), "2000-01-01 01:25:00");
        assert_eq!(timestamp(60 * 86_400 * 1_000_000_000), "2000-03-01 00:00:00");
        assert_eq!(timestamp(366 * 86_400 * 1_000_000_000), "2001-01-01 00:00:00");
    }
}
