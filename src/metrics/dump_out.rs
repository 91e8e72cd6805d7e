//! Thread dumps in the shape of `jstack` output: the evidence the incident was found with.
//! Frames and line numbers follow RocketMQ 4.9.6–4.9.8 as seen in the incident's dumps
//! (`ProducerManager.java:126`, `ClientManageProcessor.java:121`, `NettyRemotingAbstract.java:597`).

use crate::model::broker::{JavaState, Place, ThreadView};
use crate::model::{ThreadDump, ThreadRef};
use std::fmt::Write;

/// The fake address of the ProducerManager monitor (one per broker, stable across runs).
fn monitor_address(broker: usize) -> String {
    format!("0x00000006c{:07x}", 0x1a2b3c0 + broker * 0x100)
}

fn thread_name(thread: ThreadRef) -> String {
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

/// The stack, innermost first; the first frame is where the monitor line goes.
fn frames(place: Place) -> &'static [&'static str] {
    const POOL: &[&str] = &[
        "java.util.concurrent.LinkedBlockingQueue.take(LinkedBlockingQueue.java:442)",
        "java.util.concurrent.ThreadPoolExecutor.getTask(ThreadPoolExecutor.java:1074)",
        "java.util.concurrent.ThreadPoolExecutor.runWorker(ThreadPoolExecutor.java:1134)",
        "java.util.concurrent.ThreadPoolExecutor$Worker.run(ThreadPoolExecutor.java:624)",
        "java.lang.Thread.run(Thread.java:748)",
    ];
    const REGISTER: &[&str] = &[
        "org.apache.rocketmq.broker.client.ProducerManager.registerProducer(ProducerManager.java:126)",
        "org.apache.rocketmq.broker.processor.ClientManageProcessor.heartBeat(ClientManageProcessor.java:121)",
        "org.apache.rocketmq.broker.processor.ClientManageProcessor.processRequest(ClientManageProcessor.java:58)",
        "org.apache.rocketmq.remoting.netty.AsyncNettyRequestProcessor.asyncProcessRequest(AsyncNettyRequestProcessor.java:26)",
        "org.apache.rocketmq.remoting.netty.NettyRemotingAbstract$1.run(NettyRemotingAbstract.java:227)",
        "org.apache.rocketmq.remoting.netty.RequestTask.run(RequestTask.java:80)",
        "java.util.concurrent.ThreadPoolExecutor.runWorker(ThreadPoolExecutor.java:1149)",
        "java.lang.Thread.run(Thread.java:748)",
    ];
    const HEARTBEAT: &[&str] = &[
        "org.apache.rocketmq.broker.client.ConsumerManager.registerConsumer(ConsumerManager.java:98)",
        "org.apache.rocketmq.broker.processor.ClientManageProcessor.heartBeat(ClientManageProcessor.java:104)",
        "org.apache.rocketmq.broker.processor.ClientManageProcessor.processRequest(ClientManageProcessor.java:58)",
        "org.apache.rocketmq.remoting.netty.NettyRemotingAbstract$1.run(NettyRemotingAbstract.java:227)",
        "org.apache.rocketmq.remoting.netty.RequestTask.run(RequestTask.java:80)",
        "java.lang.Thread.run(Thread.java:748)",
    ];
    const UNREGISTER_PRODUCER: &[&str] = &[
        "org.apache.rocketmq.broker.client.ProducerManager.unregisterProducer(ProducerManager.java:143)",
        "org.apache.rocketmq.broker.processor.ClientManageProcessor.unregisterClient(ClientManageProcessor.java:158)",
        "org.apache.rocketmq.broker.processor.ClientManageProcessor.processRequest(ClientManageProcessor.java:60)",
        "org.apache.rocketmq.remoting.netty.NettyRemotingAbstract$1.run(NettyRemotingAbstract.java:227)",
        "java.lang.Thread.run(Thread.java:748)",
    ];
    const UNREGISTER_CLIENT: &[&str] = &[
        "org.apache.rocketmq.broker.processor.ClientManageProcessor.unregisterClient(ClientManageProcessor.java:150)",
        "org.apache.rocketmq.broker.processor.ClientManageProcessor.processRequest(ClientManageProcessor.java:60)",
        "java.lang.Thread.run(Thread.java:748)",
    ];
    const NETTY_POLL: &[&str] = &[
        "java.util.concurrent.LinkedBlockingQueue.poll(LinkedBlockingQueue.java:467)",
        "org.apache.rocketmq.remoting.netty.NettyRemotingAbstract$NettyEventExecutor.run(NettyRemotingAbstract.java:585)",
        "java.lang.Thread.run(Thread.java:748)",
    ];
    const NETTY_DISPATCH: &[&str] = &[
        "org.apache.rocketmq.broker.client.ClientHousekeepingService.onChannelConnect(ClientHousekeepingService.java:62)",
        "org.apache.rocketmq.remoting.netty.NettyRemotingAbstract$NettyEventExecutor.run(NettyRemotingAbstract.java:594)",
        "java.lang.Thread.run(Thread.java:748)",
    ];
    const CLOSE_WALK: &[&str] = &[
        "org.apache.rocketmq.broker.client.ProducerManager.doChannelCloseEvent(ProducerManager.java:107)",
        "org.apache.rocketmq.broker.client.ClientHousekeepingService.onChannelClose(ClientHousekeepingService.java:71)",
        "org.apache.rocketmq.remoting.netty.NettyRemotingAbstract$NettyEventExecutor.run(NettyRemotingAbstract.java:597)",
        "java.lang.Thread.run(Thread.java:748)",
    ];
    const CONSUMER_CLOSE: &[&str] = &[
        "org.apache.rocketmq.broker.client.ConsumerManager.doChannelCloseEvent(ConsumerManager.java:106)",
        "org.apache.rocketmq.broker.client.ClientHousekeepingService.onChannelClose(ClientHousekeepingService.java:72)",
        "org.apache.rocketmq.remoting.netty.NettyRemotingAbstract$NettyEventExecutor.run(NettyRemotingAbstract.java:597)",
        "java.lang.Thread.run(Thread.java:748)",
    ];
    const SCHEDULED: &[&str] = &[
        "java.util.concurrent.ScheduledThreadPoolExecutor$DelayedWorkQueue.take(ScheduledThreadPoolExecutor.java:1093)",
        "java.util.concurrent.ThreadPoolExecutor.getTask(ThreadPoolExecutor.java:1074)",
        "java.lang.Thread.run(Thread.java:748)",
    ];
    const SCAN: &[&str] = &[
        "org.apache.rocketmq.broker.client.ProducerManager.scanNotActiveChannel(ProducerManager.java:76)",
        "org.apache.rocketmq.broker.client.ClientHousekeepingService.scanExceptionChannel(ClientHousekeepingService.java:55)",
        "java.lang.Thread.run(Thread.java:748)",
    ];
    match place {
        Place::PoolTake => POOL,
        Place::HeartBeat => HEARTBEAT,
        Place::RegisterProducer => REGISTER,
        Place::UnregisterClient => UNREGISTER_CLIENT,
        Place::UnregisterProducer => UNREGISTER_PRODUCER,
        Place::NettyPoll => NETTY_POLL,
        Place::NettyDispatch => NETTY_DISPATCH,
        Place::CloseWalk => CLOSE_WALK,
        Place::ConsumerClose => CONSUMER_CLOSE,
        Place::ScheduledWait => SCHEDULED,
        Place::ScanNotActive => SCAN,
    }
}

fn write_thread(out: &mut String, view: &ThreadView, tid: usize, broker: usize) {
    let name = thread_name(view.thread);
    let _ = writeln!(
        out,
        "\"{name}\" #{tid} daemon prio=5 os_prio=0 tid=0x00007f{tid:08x} nid=0x{:x}",
        tid + 0x3000
    );
    let _ = writeln!(out, "   java.lang.Thread.State: {}", state_line(view.state));
    let stack = frames(view.place);
    let monitor = monitor_address(broker);
    for (i, frame) in stack.iter().enumerate() {
        let _ = writeln!(out, "\tat {frame}");
        if i == 0 {
            if view.state == JavaState::Blocked {
                let _ = writeln!(
                    out,
                    "\t- waiting to lock <{monitor}> (a org.apache.rocketmq.broker.client.ProducerManager)"
                );
            } else if view.holds_monitor {
                let _ = writeln!(out, "\t- locked <{monitor}> (a org.apache.rocketmq.broker.client.ProducerManager)");
            } else if matches!(view.state, JavaState::Waiting | JavaState::TimedWaiting) {
                let _ = writeln!(out, "\t- parking to wait for <0x00000006d{tid:07x}> (a java.util.concurrent.locks.AbstractQueuedSynchronizer$ConditionObject)");
            }
        }
    }
    out.push('\n');
}

/// Formats a dump as `jstack` would print it, one section per broker.
pub fn format_dump(dump: &ThreadDump, scenario: &str, policy: &str) -> String {
    let mut out = String::new();
    let time = dump.time_ns as f64 / 1e9;
    for (b, views) in dump.brokers.iter().enumerate() {
        let _ = writeln!(
            out,
            "{}",
            format_args!(
                "Full thread dump (hbsim: scenario {scenario}, policy {policy}, broker {b}, t={time:.3}s, {}):",
                dump.reason
            )
        );
        out.push('\n');
        for (i, view) in views.iter().enumerate() {
            write_thread(&mut out, view, 40 + i, b);
        }
        let owner = views.iter().find(|v| v.holds_monitor).map(|v| thread_name(v.thread));
        let blocked = views.iter().filter(|v| v.state == JavaState::Blocked).count();
        let _ = writeln!(
            out,
            "ProducerManager <{}>: owner {}, {blocked} thread(s) BLOCKED on it\n",
            monitor_address(b),
            owner.unwrap_or_else(|| "none".into())
        );
    }
    out
}
