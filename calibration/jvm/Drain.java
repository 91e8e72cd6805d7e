// The heartbeat threads' drain rate on their own (written for hbsim; no RocketMQ code).
//
// `--mode drain [--busy-threads B] [--backlog N] [--rounds R] [--warmup W] [--hold-ms H] [--groups G]
//  [--heartbeat-threads T]`
//
// What the loop's won gaps are made of once the walker is away: eight HeartbeatThreads taking a
// backlog of heartbeats off the executor's queue, each doing the heartbeat's unlocked work
// (Heartbeat.unlocked) and then registerProducer twice under the ProducerManager monitor, as the
// validation loop's tasks do (Validate.java). Here nobody else wants the monitor: per round the
// main thread holds it for H ms while N heartbeats are queued (the eight threads block on it and
// park, as behind a walk), then releases it and times the drain from the release to the last
// task's end. With B busy threads running beside (Util.startBusy), the heartbeat threads share the
// CPUs with them.
//
// With T heartbeat threads (8, the broker's default) the drain can be taken apart: one thread is the
// task's own cost with no contention, two fill the two CPUs, more contend for the monitor and the CPUs.
//
// Output: one JSON document on stdout: per round the drain's registerProducer calls per ms, and
// their median; per round a task's own time (`drain_task_us_mean`, over the tasks taken after the
// release), the heartbeat threads' CPU time over the drain's wall time times the CPUs
// (`drain_cpu_share`: near 1, the drain is bound by the CPUs), their CPU time per task
// (`drain_cpu_per_task_us`) and over the same task's body run back to back on the main thread just
// before the round (`back_to_back_task_us`, `drain_over_back_to_back`), and the collector's time; HotSpot's
// monitor counters over the counted rounds (`sync_*`, the JVM's sun.rt._sync_* perf counters read
// with `jcmd <pid> PerfCounter.print` before and after; absent when jcmd is not there): contended
// entries, parks, futile wake-ups, in all and per registerProducer call (the rounds' parks behind
// the main thread's hold included: about T per round); the session's meta and load.

import java.util.LinkedHashMap;
import java.util.Map;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.LinkedBlockingQueue;
import java.util.concurrent.ThreadPoolExecutor;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicLong;

final class Drain {
    private Drain() {}

    private static java.util.List<Object> list(double[] v) {
        java.util.List<Object> l = new java.util.ArrayList<>();
        for (double d : v) {
            l.add(Math.round(d * 10.0) / 10.0);
        }
        return l;
    }

    static void run(Map<String, String> o) throws Exception {
        int busy = Integer.parseInt(o.getOrDefault("busy-threads", "0"));
        int backlog = Integer.parseInt(o.getOrDefault("backlog", "2000"));
        int rounds = Integer.parseInt(o.getOrDefault("rounds", "9"));
        int holdMs = Integer.parseInt(o.getOrDefault("hold-ms", "50"));
        int warmup = Integer.parseInt(o.getOrDefault("warmup", "10"));
        int groups = Integer.parseInt(o.getOrDefault("groups", Integer.toString(HbCalib.INCIDENT_GROUPS)));
        int hbThreads = Integer.parseInt(o.getOrDefault("heartbeat-threads", "8"));
        int clients = 1000;
        Map<String, Object> doc = HbCalib.newDoc("drain");
        Map<String, Object> params = new LinkedHashMap<>();
        params.put("busy_threads", busy);
        params.put("backlog_heartbeats", backlog);
        params.put("rounds", rounds);
        params.put("hold_ms", holdMs);
        params.put("warmup_rounds", warmup);
        params.put("groups", groups);
        params.put("heartbeat_threads", hbThreads);
        doc.put("params", params);
        doc.put("meta", Util.meta());
        doc.put("loadavg_before", Util.loadavg());

        ProducerTable table = ProducerTable.build(groups, 310, 0, 0);
        ConsumerTable consumers = ConsumerTable.build(300, 2);
        String[] liveNames = table.groupChannelTable.keySet().stream().filter(n -> n.startsWith("LiveGroup-"))
                .sorted().toArray(String[]::new);
        byte[][] bodies = new byte[clients][];
        Chan[] chans = new Chan[clients];
        for (int c = 0; c < clients; c++) {
            bodies[c] = Heartbeat.encode(c, c % 300);
            chans[c] = new Chan();
        }
        java.util.List<Thread> workers = java.util.Collections.synchronizedList(new java.util.ArrayList<>());
        java.lang.management.ThreadMXBean mx = java.lang.management.ManagementFactory.getThreadMXBean();
        ThreadPoolExecutor executor = new ThreadPoolExecutor(hbThreads, hbThreads, 60, TimeUnit.SECONDS,
                new LinkedBlockingQueue<>(50000), r -> {
                    Thread t = new Thread(r, "HeartbeatThread");
                    t.setDaemon(true);
                    workers.add(t);
                    return t;
                });
        executor.prestartAllCoreThreads();
        boolean[] stop = {false};
        Util.startBusy(busy, 0, stop);

        // W rounds not counted: the JIT compiles the task's code over the first ten thousand or so.
        double[] perMs = new double[rounds];
        double[] firstInUs = new double[rounds];
        double[] taskUs = new double[rounds];
        double[] gcMsRound = new double[rounds];
        double[] cpuShare = new double[rounds];
        double[] tightTaskUs = new double[rounds];
        double[] cpuPerTaskUs = new double[rounds];
        Map<String, Long> syncBefore = null;
        for (int round = -warmup; round < rounds; round++) {
            if (round == 0) {
                syncBefore = syncCounters();
            }
            // The same task's body run back to back on this thread just before the round, with
            // nobody else on the monitor (a tight loop, as `hbsim calibrate` measures the heartbeat's
            // costs): the drain's cost per task over this one, taken minutes or seconds apart, is
            // the host's drift; taken here, it is the drain's own.
            long tl0 = System.nanoTime();
            for (int k = 0; k < backlog; k++) {
                Util.sink += backToBack(k % clients, table, consumers, bodies, chans, liveNames);
            }
            double tightUs = (System.nanoTime() - tl0) / 1e3 / backlog;
            CountDownLatch done = new CountDownLatch(backlog);
            AtomicLong lastDone = new AtomicLong();
            AtomicLong firstIn = new AtomicLong();
            AtomicInteger next = new AtomicInteger();
            // A task's own time, over the tasks taken after the release (the first ones waited out the park).
            java.util.concurrent.atomic.LongAdder taskNs = new java.util.concurrent.atomic.LongAdder();
            java.util.concurrent.atomic.LongAdder tasksTimed = new java.util.concurrent.atomic.LongAdder();
            AtomicLong releasedAt = new AtomicLong(Long.MAX_VALUE);
            long gcBefore = gcMs();
            long released;
            long cpuBefore;
            synchronized (table) {
                for (int k = 0; k < backlog; k++) {
                    executor.execute(() -> {
                        long t0 = System.nanoTime();
                        int c = next.getAndIncrement() % clients;
                        Info info = new Info(chans[c], "client-" + c);
                        Util.sink += Heartbeat.unlocked(bodies[c], chans[c], consumers);
                        table.registerProducer("CLIENT_INNER_PRODUCER", info);
                        firstIn.compareAndSet(0, System.nanoTime());
                        table.registerProducer(liveNames[c % liveNames.length], info);
                        long t1 = System.nanoTime();
                        lastDone.accumulateAndGet(t1, Math::max);
                        if (t0 > releasedAt.get()) {
                            taskNs.add(t1 - t0);
                            tasksTimed.increment();
                        }
                        done.countDown();
                    });
                }
                Thread.sleep(holdMs);
                cpuBefore = workersCpuNs(mx, workers);
                released = System.nanoTime();
                releasedAt.set(released);
            }
            done.await();
            long awaited = System.nanoTime();
            long cpuUsed = workersCpuNs(mx, workers) - cpuBefore;
            if (round >= 0) {
                tightTaskUs[round] = tightUs;
                cpuPerTaskUs[round] = cpuUsed / 1e3 / backlog;
                cpuShare[round] = cpuUsed / (double) (awaited - released) / Runtime.getRuntime().availableProcessors();
                double ms = (lastDone.get() - released) / 1e6;
                perMs[round] = 2.0 * backlog / ms;
                firstInUs[round] = (firstIn.get() - released) / 1e3;
                taskUs[round] = taskNs.sum() / 1e3 / Math.max(1, tasksTimed.sum());
                gcMsRound[round] = gcMs() - gcBefore;
                HbCalib.log(String.format(
                        "drain round %d: %.1f calls per ms, first in %.1f us, task %.2f us, CPUs %.2f, CPU per task %.2f us"
                                + " (back to back %.2f us), gc %.0f ms", round, perMs[round], firstInUs[round], taskUs[round],
                        cpuShare[round], cpuPerTaskUs[round], tightTaskUs[round], gcMsRound[round]));
            }
        }
        Map<String, Long> syncAfter = syncCounters();
        stop[0] = true;
        executor.shutdownNow();
        Map<String, Object> m = new LinkedHashMap<>();
        if (syncBefore != null && syncAfter != null) {
            double calls = 2.0 * backlog * rounds;
            for (Map.Entry<String, Long> e : syncAfter.entrySet()) {
                Long before = syncBefore.get(e.getKey());
                if (before != null) {
                    long delta = e.getValue() - before;
                    m.put("sync_" + e.getKey(), delta);
                    m.put("sync_" + e.getKey() + "_per_call", Math.round(delta / calls * 10000.0) / 10000.0);
                }
            }
        }
        m.put("drain_calls_per_ms", list(perMs));
        m.put("drain_calls_per_ms_p50", Util.median(perMs.clone()));
        m.put("drain_first_in_us", list(firstInUs));
        m.put("drain_first_in_us_p50", Util.median(firstInUs.clone()));
        // A task's own time (its first to its last instruction, on or off a CPU) and the collector's
        // time over the round's hold and drain.
        m.put("drain_task_us_mean", list(taskUs));
        m.put("drain_task_us_mean_p50", Util.median(taskUs.clone()));
        m.put("drain_gc_ms", list(gcMsRound));
        // The heartbeat threads' CPU time over the drain (ThreadMXBean) over its wall time times the
        // CPUs: near 1, the drain is bound by the CPUs; well below, by something the threads wait on.
        m.put("drain_cpu_share", list3(cpuShare));
        m.put("drain_cpu_share_p50", Math.round(Util.median(cpuShare.clone()) * 1000.0) / 1000.0);
        // The heartbeat threads' CPU time per task in the drain, and the same task's body back to
        // back on the main thread just before each round (no contention, no park in between).
        m.put("drain_cpu_per_task_us", list3(cpuPerTaskUs));
        m.put("drain_cpu_per_task_us_p50", Math.round(Util.median(cpuPerTaskUs.clone()) * 1000.0) / 1000.0);
        m.put("back_to_back_task_us", list3(tightTaskUs));
        m.put("back_to_back_task_us_p50", Math.round(Util.median(tightTaskUs.clone()) * 1000.0) / 1000.0);
        double[] ratio = new double[rounds];
        for (int r = 0; r < rounds; r++) {
            ratio[r] = cpuPerTaskUs[r] / tightTaskUs[r];
        }
        m.put("drain_over_back_to_back", list3(ratio));
        m.put("drain_over_back_to_back_p50", Math.round(Util.median(ratio) * 1000.0) / 1000.0);
        doc.put("measured", m);
        doc.put("loadavg_after", Util.loadavg());
        System.out.println(Util.json(doc));
    }

    /** One task's body as the drain's tasks run it, less their counters (a method of its own, so
     *  that the JIT compiles it as it compiles the tasks, not as an interpreted loop). */
    static int backToBack(int c, ProducerTable table, ConsumerTable consumers, byte[][] bodies, Chan[] chans,
            String[] liveNames) {
        Info info = new Info(chans[c], "client-" + c);
        int r = Heartbeat.unlocked(bodies[c], chans[c], consumers);
        table.registerProducer("CLIENT_INNER_PRODUCER", info);
        table.registerProducer(liveNames[c % liveNames.length], info);
        return r;
    }

    private static java.util.List<Object> list3(double[] v) {
        java.util.List<Object> l = new java.util.ArrayList<>();
        for (double d : v) {
            l.add(Math.round(d * 1000.0) / 1000.0);
        }
        return l;
    }

    static long workersCpuNs(java.lang.management.ThreadMXBean mx, java.util.List<Thread> workers) {
        long t = 0;
        synchronized (workers) {
            for (Thread w : workers) {
                t += Math.max(0, mx.getThreadCpuTime(w.getId()));
            }
        }
        return t;
    }

    static long gcMs() {
        long t = 0;
        for (java.lang.management.GarbageCollectorMXBean gc : java.lang.management.ManagementFactory
                .getGarbageCollectorMXBeans()) {
            t += Math.max(0, gc.getCollectionTime());
        }
        return t;
    }

    /** HotSpot's monitor counters (sun.rt._sync_*), read by jcmd from outside; null without jcmd. */
    static Map<String, Long> syncCounters() {
        try {
            Process p = new ProcessBuilder("jcmd", Long.toString(ProcessHandle.current().pid()), "PerfCounter.print")
                    .redirectErrorStream(true).start();
            String out = new String(p.getInputStream().readAllBytes(), java.nio.charset.StandardCharsets.UTF_8);
            if (p.waitFor() != 0) {
                return null;
            }
            Map<String, Long> c = new java.util.TreeMap<>();
            for (String line : out.split("\n")) {
                String l = line.trim();
                if (l.startsWith("sun.rt._sync_")) {
                    int eq = l.indexOf('=');
                    try {
                        c.put(l.substring("sun.rt._sync_".length(), eq), Long.parseLong(l.substring(eq + 1).trim()));
                    } catch (NumberFormatException e) {
                        // not a count
                    }
                }
            }
            return c.isEmpty() ? null : c;
        } catch (java.io.IOException | InterruptedException e) {
            return null;
        }
    }
}
