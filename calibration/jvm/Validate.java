// The whole heartbeat loop of a 4.9.8 broker in real time, for validating hbsim (written for hbsim; no
// RocketMQ code). Shapes from rocketmq-all-4.9.8:
//   BrokerController: heartbeatExecutor = ThreadPoolExecutor(8 threads here, LinkedBlockingQueue(50000)),
//     RejectedExecutionException answered SYSTEM_BUSY; BrokerFastFailure drops requests queued > 31 s.
//   NettyRemotingAbstract.NettyEventExecutor: one thread, LinkedBlockingQueue, an event is dropped when
//     more than 10,000 wait (`size() <= maxSize` check).
//   ClientHousekeepingService.onChannelClose: ProducerManager.doChannelCloseEvent (synchronized walk of
//     every group), then ConsumerManager.doChannelCloseEvent (unlocked): here a busy wait of --gap-us.
//   Client (4.9.x): heartbeat every 30 s, 3 s RPC timeout, clientCloseSocketIfTimeout: a timed-out
//     heartbeat closes its channel (the broker gets one more close event) and the client reconnects with
//     a new channel on its next heartbeat.
// Heartbeat task: the unlocked work of Heartbeat.unlocked, then registerProducer twice (CLIENT_INNER_PRODUCER
// and the client's own group), as hbsim's background clients do.
//
// Options: --point NAME --groups G --live-groups 310 --gap-us X --rate R (heartbeats/s) --deadline-ms 3000
//   --duration-s D --trigger K --trigger-at-s T --busy-threads B --cache-pressure MB --spread BYTES
//   --hb-threads 8 --queue 50000 --event-cap 10000
//   --trace-holds FILE (a diagnostic, not for recordings: every registerProducer's arrival, entry and
//   exit and every walk's ready time, entry and exit, to FILE; calibration/jvm/holds.py reads it)
//   --gap-cpu true (a diagnostic, not for recordings: the heartbeat threads' CPU time read inside the
//   walker's hold at each walk's start and end, ThreadMXBean, some 10-20 us a read: what the heirs'
//   drain in the won gaps costs in CPU, `won_gap_cpu_*`, and per won gap `won_gap_cpu_series`)
//
// "Tipped": of the heartbeats whose deadline falls in the last quarter of the run, more than 50% timed out.

import java.util.ArrayList;
import java.util.Arrays;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ConcurrentLinkedQueue;
import java.util.concurrent.LinkedBlockingQueue;
import java.util.concurrent.RejectedExecutionException;
import java.util.concurrent.ThreadPoolExecutor;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicLong;
import java.util.concurrent.atomic.AtomicLongArray;
import java.util.concurrent.locks.LockSupport;

final class Validate {
    /** The longest `gap_series` and `walk_ms_series` a run records (the hot points count 10,000 gaps). */
    static final int SERIES_CAP = 4000;
    // A won gap "drained" its backlog when at most this many heartbeats were still queued as the
    // walker got back in (hbsim's `DRAINED_QUEUE`, src/metrics/mod.rs).
    static final long DRAINED_QUEUE = 10;

    static int intOpt(Map<String, String> o, String k, int d) {
        return Integer.parseInt(o.getOrDefault(k, Integer.toString(d)));
    }

    static double dblOpt(Map<String, String> o, String k, double d) {
        return Double.parseDouble(o.getOrDefault(k, Double.toString(d)));
    }

    /** The collection time (ms) and count summed over the JVM's garbage collectors. */
    static long[] gcTotals(List<java.lang.management.GarbageCollectorMXBean> gcs) {
        long ms = 0;
        long count = 0;
        for (java.lang.management.GarbageCollectorMXBean gc : gcs) {
            ms += Math.max(gc.getCollectionTime(), 0);
            count += Math.max(gc.getCollectionCount(), 0);
        }
        return new long[] {ms, count};
    }

    /** `--mode validate`: the loop with this session's calibration first; prints the document and exits. */
    static void run(Map<String, String> o) throws Exception {
        Map<String, Object> doc = loop(o, true, null);
        System.out.println(Util.json(doc));
        System.out.flush();
        System.exit(0);
    }

    /**
     * Runs the loop once and returns its document (parameters, outcome; with `calibrate`, the
     * session's calibration measured first under the same load, then the race in the loop's state:
     * {@link #raceInLoop}). With `given`, the loop runs on that table (already built and warm)
     * instead of its own. Its threads are daemons and stop at the end of the run; the caller exits
     * the JVM.
     */
    static Map<String, Object> loop(Map<String, String> o, boolean calibrate, ProducerTable given) throws Exception {
        String point = o.getOrDefault("point", "point");
        int groups = intOpt(o, "groups", 15742);
        int liveGroups = intOpt(o, "live-groups", 310);
        double gapUs = dblOpt(o, "gap-us", 15);
        double rate = dblOpt(o, "rate", 367);
        long deadlineNs = (long) (dblOpt(o, "deadline-ms", 3000) * 1e6);
        double durationS = dblOpt(o, "duration-s", 40);
        int trigger = intOpt(o, "trigger", 0);
        double triggerAtS = dblOpt(o, "trigger-at-s", 5);
        int busy = intOpt(o, "busy-threads", 0);
        int cacheMb = intOpt(o, "cache-pressure", 0);
        int spread = intOpt(o, "spread", 0);
        int hbThreads = intOpt(o, "hb-threads", 8);
        int queueCap = intOpt(o, "queue", 50000);
        int eventCap = intOpt(o, "event-cap", 10000);
        int clients = (int) Math.round(rate * 30.0);

        Map<String, Object> doc = HbCalib.newDoc("validate");
        doc.put("point", point);
        Map<String, Object> params = new LinkedHashMap<>();
        params.put("groups", groups);
        params.put("live_groups", liveGroups);
        params.put("gap_us", gapUs);
        params.put("heartbeat_rate_per_s", rate);
        params.put("clients", clients);
        params.put("heartbeat_interval_s", 30);
        params.put("heartbeat_calls_register_producer", 2);
        params.put("deadline_ms", deadlineNs / 1e6);
        params.put("duration_s", durationS);
        params.put("trigger_closes", trigger);
        params.put("trigger_at_s", triggerAtS);
        params.put("busy_threads", busy);
        params.put("cache_pressure_mb", cacheMb);
        params.put("spread_bytes", spread);
        params.put("heartbeat_threads", hbThreads);
        params.put("heartbeat_queue_capacity", queueCap);
        params.put("netty_event_queue_cap", eventCap);
        params.put("close_socket_on_timeout", true);
        doc.put("params", params);
        doc.put("meta", Util.meta());
        doc.put("loadavg_before", Util.loadavg());

        // The host as found, before any busy thread or table (a diagnostic: `probe_` figures).
        Map<String, Object> probe = new LinkedHashMap<>();
        if (calibrate) {
            Util.hostProbe(probe);
        }
        boolean[] stopBusy = {false};
        Util.startBusy(busy, cacheMb, stopBusy);
        // Diagnostics (`--trace-holds FILE`, not for recordings): every registerProducer's
        // arrival, entry and exit, and every walk's ready time, entry and exit, written to FILE.
        String traceFile = o.get("trace-holds");
        final boolean gapCpu = o.containsKey("gap-cpu");
        final java.lang.management.ThreadMXBean mx = java.lang.management.ManagementFactory.getThreadMXBean();
        final List<Thread> hbThreadList = java.util.Collections.synchronizedList(new ArrayList<>());
        // The heirs' CPU time at the walker's last release, and over the won gaps: CPU ns, calls, gap ns.
        final long[] cpuAtRelease = {-1};
        final long[] wonCpu = new long[3];
        // The same over the won gaps the heirs were busy throughout (the walker back in with more
        // than DRAINED_QUEUE still queued): their share of the CPUs while they drain, without the
        // idle tails of drained gaps.
        final long[] busyCpu = new long[4]; // CPU ns, calls, gap ns, gaps
        // The same over the drain of every won gap: from the walker's release to the executor
        // falling idle, or to the walker back in where it came first. Unlike the busy-throughout
        // gaps, no gap is left out for how fast its heirs drained (docs/validation-log.md, the
        // fifty-sixth session).
        final long[] drainCpu = new long[4]; // CPU ns, calls, drain ns, gaps
        final List<Long> wonCpuPerCallNs = new ArrayList<>();
        // Per won gap: [calls, the heirs' CPU us, the gap's us] (`--gap-cpu`; capped at SERIES_CAP).
        final List<List<Long>> wonCpuSeries = new ArrayList<>();
        final List<long[]> traceWalks = new ArrayList<>();

        // The calibration of this session, under the same load (quick figures).
        Map<String, Object> cal = new LinkedHashMap<>(probe);
        ProducerTable table = given != null ? given : ProducerTable.build(groups, liveGroups, 0, spread);
        if (calibrate) {
            int reps = groups > 1_000_000 ? 3 : groups > 100_000 ? 10 : 100;
            HbCalib.timeWalks(table, groups, reps, null);
            double[] h = HbCalib.timeWalks(table, groups, reps, null);
            HbCalib.putDist(cal, "walk_ns_per_group", h);
            HbCalib.heartbeatCosts(cal, true);
            HbCalib.exitAndWake(cal, true, "", true);
            HbCalib.longPark(cal, true);
            HbCalib.veryLongPark(cal, true);
            if (groups >= 1_000_000) {
                HbCalib.walkPark(cal);
                HbCalib.walkParkWithTicker(cal);
            }
            // The race at the walker's release in this loop's own state, last, right before the
            // loop (a calibration measurement, not the point's outcome): the same loop on this
            // table, under this load, with no deadline (nothing times out, nothing feeds back).
            cal.putAll(raceInLoop(o, table));
        }
        if (calibrate) {
            doc.put("calibration", cal);
        }

        table.startCountingWaits();
        if (traceFile != null) {
            int cap = 2_000_000;
            table.traceArrive = new long[cap];
            table.traceIn = new long[cap];
            table.traceOut = new long[cap];
            table.traceTid = new int[cap];
        }
        ConsumerTable consumers = ConsumerTable.build(300, 2);
        String[] liveNames = new String[liveGroups];
        for (int i = 0; i < liveGroups; i++) {
            liveNames[i] = "LiveGroup-" + Long.toHexString(0x5DEECE66DL * (i + 1));
        }
        Chan[] clientChan = new Chan[clients];
        byte[][] bodies = new byte[clients][];
        for (int i = 0; i < clients; i++) {
            clientChan[i] = new Chan();
            bodies[i] = Heartbeat.encode(i, i % 300);
        }

        int maxHb = (int) (rate * durationS) + 16;
        long[] submitAt = new long[maxHb];
        AtomicLongArray doneAt = new AtomicLongArray(maxHb);
        int[] hbClient = new int[maxHb];
        AtomicInteger submitted = new AtomicInteger();
        // Heartbeat threads between their unlocked work and the end of their registerProducer calls.
        AtomicInteger contending = new AtomicInteger();
        // Heartbeat tasks under way, and when the executor last fell idle (no task under way, none
        // queued): the end of the heirs' drain, set against the walker's return after a won gap.
        AtomicInteger inTask = new AtomicInteger();
        AtomicLong idleAt = new AtomicLong();
        AtomicLong rejected = new AtomicLong();
        AtomicLong fastFailed = new AtomicLong();
        AtomicLong timedOut = new AtomicLong();
        AtomicLong eventsDropped = new AtomicLong();
        AtomicLong eventsOffered = new AtomicLong();
        ConcurrentLinkedQueue<Integer> pending = new ConcurrentLinkedQueue<>();
        LinkedBlockingQueue<Chan> events = new LinkedBlockingQueue<>();
        final boolean[] stop = {false};

        ThreadPoolExecutor executor = new ThreadPoolExecutor(hbThreads, hbThreads, 60, TimeUnit.SECONDS,
                new LinkedBlockingQueue<>(queueCap), new java.util.concurrent.ThreadFactory() {
                    final AtomicInteger n = new AtomicInteger();

                    public Thread newThread(Runnable r) {
                        Thread t = new Thread(r, "HeartbeatThread_" + n.incrementAndGet());
                        t.setDaemon(true);
                        hbThreadList.add(t);
                        return t;
                    }
                });
        executor.prestartAllCoreThreads();

        // Event thread: close walks and the unlocked gap after each.
        final long gapNs = (long) (gapUs * 1000);
        long[] ev = new long[6]; // walks, gaps with a next event waiting, gaps won, heartbeats in won gaps, walk ns
        // Each walk's duration; per counted gap, the walker's time from its release to its next
        // acquisition; per won gap, the first heartbeat's time from the release to its acquisition.
        final List<Long> walkNs = new ArrayList<>();
        final List<Long> backNs = new ArrayList<>();
        final List<Long> heirNs = new ArrayList<>();
        final List<Long> backLostNs = new ArrayList<>();
        // Per counted gap, the walker's time from its release to its next attempt to enter (its
        // exit, the gap, the poll of its queue; not the wait for the monitor): the walker's side
        // of the race in every gap, also where a heartbeat got in first (`walker_back_us` there is
        // the heirs' drain). A walker preempted at its release shows here.
        final List<Long> readyNs = new ArrayList<>();
        final List<Long> readyWonNs = new ArrayList<>();
        // Per counted gap, the walker's own exit from the release that began it (its release to its
        // first statement after the monitor, the unpark of a waiter included); per won gap, the
        // first heartbeat's time in after that exit; per lost gap, the walker's time back in after
        // it. Paired in the same gap: a release's exit and the heir's wake-up are one event, so the
        // race is the two sides after the exit (docs/calibration.md, the race after the exit).
        final List<Long> exitNs = new ArrayList<>();
        final List<Long> heirAfterExitNs = new ArrayList<>();
        final List<Long> backAfterExitNs = new ArrayList<>();
        final long[] lastExit = {0};
        // Every counted gap in order (`gap_series`): 'l' the walker got back in first, 'w' a
        // heartbeat got in and the walker was ready within 1 ms (it kept its CPU), 'd' a heartbeat
        // got in and the walker was ready only later (displaced). Whether lost gaps come in runs
        // is what independent draws at the run's own share cannot show.
        final StringBuilder gapSeries = new StringBuilder();
        // Per won gap, the walker's whole absence (release to its next acquisition): with the
        // calls made in it, the heirs' drain rate while they hold the gap.
        final List<Long> wonGapNs = new ArrayList<>();
        // Per counted gap, in order (the first SERIES_CAP): the heartbeats queued in the executor
        // at the walker's release that began it, and, for a won gap, those still queued as the
        // walker got back in. Whether the heirs drained their backlog before the walker returned,
        // or the walker cut the drain short, is what the walker's absence alone cannot tell.
        final List<Object> releaseQueueSeries = new ArrayList<>();
        final List<Object> wonQueueLeftSeries = new ArrayList<>();
        final long[] queueAtRelease = {0};
        // Per counted gap, whether a heartbeat thread wanted the monitor at the walker's release
        // (between its unlocked work and the end of its two registerProducer calls, so parked on
        // the monitor or about to be): whether that release could wake a heir at all. The
        // executor's queue cannot say it: it counts only heartbeats no thread has taken yet.
        final long[] waitersAtRelease = {0};
        final long[] readyWithWaiter = new long[2]; // gaps, of them ready only after more than 1 ms
        final long[] wonWithWaiter = new long[2]; // gaps won, of them with the walker displaced
        final long[] wonDrained = {0};
        // Per won gap, the chain (Shapes.ProducerTable#markRelease): the heartbeat threads that had
        // asked for the monitor and were not in at the walker's release, and when each got in.
        // Summed: won gaps, threads parked at their releases, of them in before the walker was
        // back, left out, and gaps that left any out.
        final long[] chain = new long[5];
        final List<Long> chainInNs = new ArrayList<>(); // each parked thread's entry, from the release
        final List<Long> chainLinkNs = new ArrayList<>(); // between successive ones, the first from the release
        final List<Long> chainWholeNs = new ArrayList<>(); // the last parked thread's entry, where all got in
        final List<Object> chainSeries = new ArrayList<>(); // [parked, in, last in us] per won gap
        // Per won gap (the first SERIES_CAP), from the walker's release, in us: when the walker was
        // ready to re-enter, when it got in, and when the executor last fell idle before that (-1:
        // not since the release). Whether the walker comes back once its heirs have drained (EEVDF
        // runs the threads that slept ahead of it) or by a wait of its own whatever they have left.
        final List<Object> wonGapTimesSeries = new ArrayList<>();
        // Per won gap, in order (the first SERIES_CAP): when its release came, in ms from the loop's
        // start, to set beside `jit_ms_series` (whether the JIT compiled beside the drain).
        final List<Object> wonGapAtMsSeries = new ArrayList<>();
        final long[] loopStart = {0};
        final List<Long> readyAfterIdleNs = new ArrayList<>();
        final long[] wonIdle = new long[2]; // idle before the walker was ready; idle while it was blocked
        final List<Long> wonQueueLeft = new ArrayList<>();
        // The walker's own return over the won gaps (`hbsim calibrate`'s R): the gaps it got back
        // into with more than DRAINED_QUEUE heartbeats still queued (its return, an event, at its
        // time back in), and every gap's exposure [ns]: that time, or where the executor fell
        // idle before it got back in, the idle moment (censored there).
        final long[] wonReturn = new long[2]; // back in mid-drain, exposure ns
        // In the gaps the heirs won: how long the walker, once ready, stayed blocked on the monitor
        // while they drained (entered minus ready), apart for a walker ready within 1 ms (it kept
        // its CPU) and one displaced; and the calls the heirs made in those gaps.
        final List<Long> blockedQuickNs = new ArrayList<>();
        final List<Long> blockedDisplacedNs = new ArrayList<>();
        final long[] wonCalls = new long[2]; // walker quick, walker displaced
        // Behind walks of 25 ms and more, where a 10-30 us procfs read is lost in the walk: in the
        // gaps the heirs won, whether the heir ran on the CPU the walker released from, against
        // whether the walker was displaced (ready after more than 1 ms). Read outside the race:
        // the walker's CPU just before its walk ends, the heir's once it is in.
        table.cpuProbe = groups >= 400_000;
        final long[] cpuWon = new long[5]; // same CPU & displaced, other & displaced, same & quick, other & quick, unknown
        // The trigger's span: from its first walk's start to its last walk's end (the knife edge
        // against the deadline is this, not the run's mean walk times the trigger).
        final long[] span = new long[2];
        Thread eventThread = new Thread(() -> {
            long lastSeen = -1;
            boolean counting = false;
            while (!stop[0]) {
                Chan ch;
                try {
                    ch = events.poll(10, TimeUnit.MILLISECONDS);
                } catch (InterruptedException e) {
                    return;
                }
                if (ch == null) {
                    counting = false;
                    continue;
                }
                long ready = System.nanoTime();
                synchronized (table) {
                    long w0 = System.nanoTime();
                    long seen = table.registers;
                    if (counting) {
                        ev[1]++;
                        backNs.add(w0 - table.lastRelease);
                        exitNs.add(lastExit[0]);
                        readyNs.add(ready - table.lastRelease);
                        if (seen != lastSeen) {
                            readyWonNs.add(ready - table.lastRelease);
                            boolean late = ready - table.lastRelease > 1_000_000L;
                            (late ? blockedDisplacedNs : blockedQuickNs).add(w0 - ready);
                            wonCalls[late ? 1 : 0] += seen - lastSeen;
                        }
                        if (seen == lastSeen) {
                            // No heartbeat got in: the walker's own, uncontested return.
                            backLostNs.add(w0 - table.lastRelease);
                            backAfterExitNs.add(w0 - table.lastRelease - lastExit[0]);
                        }
                        if (waitersAtRelease[0] > 0) {
                            boolean late = ready - table.lastRelease > 1_000_000L;
                            readyWithWaiter[0]++;
                            readyWithWaiter[1] += late ? 1 : 0;
                            if (seen != lastSeen) {
                                wonWithWaiter[0]++;
                                wonWithWaiter[1] += late ? 1 : 0;
                            }
                        }
                        if (gapSeries.length() < SERIES_CAP) {
                            gapSeries.append(seen == lastSeen ? 'l' : ready - table.lastRelease > 1_000_000L ? 'd' : 'w');
                        }
                        if (releaseQueueSeries.size() < SERIES_CAP) {
                            releaseQueueSeries.add(queueAtRelease[0]);
                        }
                        if (seen != lastSeen) {
                            long left = executor.getQueue().size();
                            wonQueueLeft.add(left);
                            if (left <= DRAINED_QUEUE) {
                                wonDrained[0]++;
                            }
                            if (wonQueueLeftSeries.size() < SERIES_CAP) {
                                wonQueueLeftSeries.add(left);
                            }
                            wonGapNs.add(w0 - table.lastRelease);
                            long idle = idleAt.get();
                            boolean idleSince = idle > table.lastRelease;
                            if (left > DRAINED_QUEUE) {
                                wonReturn[0]++;
                                wonReturn[1] += w0 - table.lastRelease;
                            } else {
                                wonReturn[1] += (idleSince && idle <= w0 ? idle : w0) - table.lastRelease;
                            }
                            if (idleSince && idle <= ready) {
                                wonIdle[0]++;
                                readyAfterIdleNs.add(ready - idle);
                            } else if (idleSince) {
                                wonIdle[1]++;
                            }
                            if (wonGapAtMsSeries.size() < SERIES_CAP) {
                                wonGapAtMsSeries.add((table.lastRelease - loopStart[0]) / 1_000_000L);
                            }
                            if (wonGapTimesSeries.size() < SERIES_CAP) {
                                wonGapTimesSeries.add(List.of((ready - table.lastRelease) / 1000,
                                        (w0 - table.lastRelease) / 1000, idleSince ? (idle - table.lastRelease) / 1000 : -1));
                            }
                            int parked = table.chainParked;
                            int in = table.chainIn;
                            chain[0]++;
                            chain[1] += parked;
                            chain[2] += Math.min(in, parked);
                            chain[3] += Math.max(0, parked - in);
                            chain[4] += parked > in ? 1 : 0;
                            long before = 0;
                            for (int i = 0; i < in; i++) {
                                long at = table.chainInNs[i];
                                chainInNs.add(at);
                                chainLinkNs.add(at - before);
                                before = at;
                            }
                            if (parked > 0 && in >= parked) {
                                chainWholeNs.add(table.chainInNs[parked - 1]);
                            }
                            if (chainSeries.size() < SERIES_CAP) {
                                chainSeries.add(List.of(parked, in, in == 0 ? -1 : before / 1000));
                            }
                            ev[2]++;
                            table.wonGaps++;
                            ev[3] += seen - lastSeen;
                            if (gapCpu && cpuAtRelease[0] >= 0) {
                                long used = Drain.workersCpuNs(mx, hbThreadList) - cpuAtRelease[0];
                                wonCpu[0] += used;
                                wonCpu[1] += seen - lastSeen;
                                wonCpu[2] += w0 - table.lastRelease;
                                wonCpuPerCallNs.add(used / Math.max(1, seen - lastSeen));
                                drainCpu[0] += used;
                                drainCpu[1] += seen - lastSeen;
                                drainCpu[2] += (idleSince && idle <= w0 ? idle : w0) - table.lastRelease;
                                drainCpu[3]++;
                                if (left > DRAINED_QUEUE) {
                                    busyCpu[0] += used;
                                    busyCpu[1] += seen - lastSeen;
                                    busyCpu[2] += w0 - table.lastRelease;
                                    busyCpu[3]++;
                                }
                                if (wonCpuSeries.size() < SERIES_CAP) {
                                    wonCpuSeries.add(List.of(seen - lastSeen, used / 1000, (w0 - table.lastRelease) / 1000));
                                }
                            }
                            heirNs.add(table.firstAfterRelease - table.lastRelease);
                            heirAfterExitNs.add(table.firstAfterRelease - table.lastRelease - lastExit[0]);
                            if (table.cpuProbe) {
                                boolean displaced = ready - table.lastRelease > 1_000_000L;
                                if (table.heirCpu < 0 || table.releaseCpu < 0) {
                                    cpuWon[4]++;
                                } else {
                                    boolean same = table.heirCpu == table.releaseCpu;
                                    cpuWon[(same ? 0 : 1) + (displaced ? 0 : 2)]++;
                                }
                            }
                        }
                    }
                    if (ev[0] == 0) {
                        span[0] = w0;
                    }
                    table.walk(ch);
                    lastSeen = table.registers;
                    ev[0]++;
                    if (table.cpuProbe) {
                        table.releaseCpu = Util.currentCpu();
                        table.heirCpu = -1;
                    }
                    long w1 = System.nanoTime();
                    if (gapCpu) {
                        cpuAtRelease[0] = Drain.workersCpuNs(mx, hbThreadList);
                    }
                    if (traceFile != null) {
                        traceWalks.add(new long[] {ready, w0, w1, counting ? 1 : 0});
                    }
                    if (ev[0] == trigger) {
                        span[1] = w1;
                    }
                    ev[4] += w1 - w0;
                    walkNs.add(w1 - w0);
                    queueAtRelease[0] = executor.getQueue().size();
                    waitersAtRelease[0] = contending.get();
                    table.markRelease(w1);
                    table.lastRelease = w1;
                }
                lastExit[0] = System.nanoTime() - table.lastRelease;
                Util.spin(gapNs);
                counting = !events.isEmpty();
            }
        }, "NettyEventExecutor");
        eventThread.setDaemon(true);

        final long t0 = System.nanoTime() + 200_000_000L;
        loopStart[0] = t0;
        final long end = t0 + (long) (durationS * 1e9);
        final long triggerAt = t0 + (long) (triggerAtS * 1e9);

        java.util.function.Consumer<Chan> offerEvent = ch -> {
            eventsOffered.incrementAndGet();
            if (events.size() > eventCap) {
                eventsDropped.incrementAndGet();
            } else {
                events.offer(ch);
            }
        };

        // Client side: deadlines in submission order; a timed-out heartbeat closes its client's channel.
        Thread deadlines = new Thread(() -> {
            while (!stop[0]) {
                Integer head = pending.peek();
                long now = System.nanoTime();
                if (head == null) {
                    LockSupport.parkNanos(1_000_000L);
                    continue;
                }
                long due = submitAt[head] + deadlineNs;
                if (now < due) {
                    LockSupport.parkNanos(Math.min(due - now, 1_000_000L));
                    continue;
                }
                pending.poll();
                if (doneAt.get(head) == 0) {
                    timedOut.incrementAndGet();
                    int c = hbClient[head];
                    Chan old = clientChan[c];
                    clientChan[c] = new Chan(); // reconnects with a new channel on its next heartbeat
                    offerEvent.accept(old);
                }
            }
        }, "client-deadlines");
        deadlines.setDaemon(true);

        final long[] stealBefore = Util.stealMs();
        eventThread.start();
        deadlines.start();
        HbCalib.log("validate " + point + ": running " + durationS + " s");
        // The JIT's compilation time in each second of the loop (`jit_ms_series`, HotSpot's
        // CompilationMXBean, ms summed over the compiler threads): a compiler thread takes a CPU
        // beside the heartbeat threads' drain, as a busy thread would.
        final java.lang.management.CompilationMXBean jit = java.lang.management.ManagementFactory.getCompilationMXBean();
        final boolean jitTimed = jit != null && jit.isCompilationTimeMonitoringSupported();
        final List<Long> jitMsSeries = new ArrayList<>();
        long jitLast = jitTimed ? jit.getTotalCompilationTime() : 0;
        long jitNext = t0 + 1_000_000_000L;
        // The garbage collector's pauses in each second of the loop (`gc_ms_series`, `gc_count_series`,
        // summed over G1's collectors as the GarbageCollectorMXBeans count them): a diagnostic for
        // the loops that drain at half the rate (docs/validation-log.md, the fifty-third session).
        final List<java.lang.management.GarbageCollectorMXBean> gcs = java.lang.management.ManagementFactory.getGarbageCollectorMXBeans();
        final List<Long> gcMsSeries = new ArrayList<>();
        final List<Long> gcCountSeries = new ArrayList<>();
        long[] gcLast = gcTotals(gcs);
        // The process's minor page faults in each second (`minor_fault_series`).
        final List<Long> faultSeries = new ArrayList<>();
        long faultLast = Util.pageFaults()[0];
        long interval = (long) (1e9 / rate);
        boolean triggered = trigger == 0;
        int k = 0;
        long next = t0;
        while (true) {
            long now = System.nanoTime();
            if (now >= end) {
                break;
            }
            if (jitTimed && now >= jitNext) {
                long total = jit.getTotalCompilationTime();
                jitMsSeries.add(total - jitLast);
                jitLast = total;
                jitNext += 1_000_000_000L;
                long[] gcNow = gcTotals(gcs);
                gcMsSeries.add(gcNow[0] - gcLast[0]);
                gcCountSeries.add(gcNow[1] - gcLast[1]);
                gcLast = gcNow;
                long faultNow = Util.pageFaults()[0];
                faultSeries.add(faultNow - faultLast);
                faultLast = faultNow;
            }
            if (!triggered && now >= triggerAt) {
                triggered = true;
                for (int i = 0; i < trigger; i++) {
                    int c = (int) ((i * 7919L) % clients);
                    Chan old = clientChan[c];
                    clientChan[c] = new Chan();
                    offerEvent.accept(old);
                }
            }
            if (now < next) {
                LockSupport.parkNanos(Math.min(next - now, 2_000_000L));
                continue;
            }
            next += interval;
            if (k >= maxHb) {
                continue;
            }
            final int id = k++;
            final int c = id % clients;
            hbClient[id] = c;
            submitAt[id] = System.nanoTime();
            final Chan ch = clientChan[c];
            try {
                executor.execute(() -> {
                    long started = System.nanoTime();
                    if (started - submitAt[id] > 31_000_000_000L) {
                        fastFailed.incrementAndGet();
                        return;
                    }
                    inTask.incrementAndGet();
                    Info info = new Info(ch, "client-" + c);
                    Util.sink += Heartbeat.unlocked(bodies[c], ch, consumers);
                    // On its way to the monitor or parked on it: what the walker's release can wake.
                    contending.incrementAndGet();
                    table.wantMonitor();
                    table.registerProducer("CLIENT_INNER_PRODUCER", info);
                    table.wantMonitor();
                    table.registerProducer(liveNames[c % liveNames.length], info);
                    contending.decrementAndGet();
                    long done = System.nanoTime();
                    doneAt.set(id, done);
                    if (inTask.decrementAndGet() == 0 && executor.getQueue().isEmpty()) {
                        idleAt.set(done);
                    }
                });
                pending.add(id);
            } catch (RejectedExecutionException e) {
                rejected.incrementAndGet();
                doneAt.set(id, System.nanoTime()); // answered SYSTEM_BUSY at once: not a timeout
            }
            submitted.set(k);
        }
        stop[0] = true;
        final long[] stealAfter = Util.stealMs();
        executor.shutdownNow();
        eventThread.join(5000);
        deadlines.join(5000);
        stopBusy[0] = true;
        long stopAt = System.nanoTime();

        if (traceFile != null) {
            try (java.io.PrintWriter w = new java.io.PrintWriter(new java.io.BufferedWriter(new java.io.FileWriter(traceFile)))) {
                w.println("# kind,a,b,c,d: H arrive,in,out,thread; W ready,in,out,counted (System.nanoTime)");
                for (int i = 0; i < table.traceN; i++) {
                    w.println("H," + table.traceArrive[i] + "," + table.traceIn[i] + "," + table.traceOut[i] + "," + table.traceTid[i]);
                }
                synchronized (traceWalks) {
                    for (long[] t : traceWalks) {
                        w.println("W," + t[0] + "," + t[1] + "," + t[2] + "," + t[3]);
                    }
                }
            }
        }
        int n = submitted.get();
        // Outcome. A heartbeat's response: completion - submission; never completed: censored at the end.
        List<Long> all = new ArrayList<>();
        List<Long> after = new ArrayList<>();
        long lastQStart = t0 + (long) (0.75 * durationS * 1e9);
        long lqDue = 0;
        long lqTimedOut = 0;
        long censored = 0;
        long timeouts = 0;
        int seconds = (int) Math.ceil(durationS);
        long[] perSecondHb = new long[seconds];
        long[] perSecondTimeout = new long[seconds];
        for (int i = 0; i < n; i++) {
            long d = doneAt.get(i);
            long resp;
            if (d == 0) {
                resp = stopAt - submitAt[i];
                censored++;
            } else {
                resp = d - submitAt[i];
            }
            long due = submitAt[i] + deadlineNs;
            if (due > end) {
                continue; // its deadline is after the run: not counted
            }
            boolean to = d == 0 || d > due;
            if (to) {
                timeouts++;
            }
            all.add(resp);
            if (submitAt[i] >= triggerAt) {
                after.add(resp);
            }
            int sec = (int) ((due - t0) / 1_000_000_000L);
            if (sec >= 0 && sec < seconds) {
                perSecondHb[sec]++;
                if (to) {
                    perSecondTimeout[sec]++;
                }
            }
            if (due >= lastQStart) {
                lqDue++;
                if (to) {
                    lqTimedOut++;
                }
            }
        }
        long[] a = all.stream().mapToLong(Long::longValue).toArray();
        long[] b = after.stream().mapToLong(Long::longValue).toArray();
        Arrays.sort(a);
        Arrays.sort(b);
        Map<String, Object> out = new LinkedHashMap<>();
        out.put("heartbeats_submitted", n);
        out.put("heartbeats_counted", a.length);
        out.put("heartbeats_timed_out", timeouts);
        out.put("timeout_share", a.length == 0 ? 0.0 : timeouts / (double) a.length);
        out.put("heartbeats_rejected", rejected.get());
        out.put("heartbeats_fast_failed", fastFailed.get());
        out.put("heartbeats_never_completed", censored);
        out.put("response_ms_p50", Util.percentile(a, 0.5) / 1e6);
        out.put("response_ms_p90", Util.percentile(a, 0.9) / 1e6);
        out.put("response_ms_p99", Util.percentile(a, 0.99) / 1e6);
        out.put("response_ms_max", a.length == 0 ? 0.0 : a[a.length - 1] / 1e6);
        out.put("response_after_trigger_ms_p50", Util.percentile(b, 0.5) / 1e6);
        out.put("response_after_trigger_ms_p90", Util.percentile(b, 0.9) / 1e6);
        out.put("response_after_trigger_ms_p99", Util.percentile(b, 0.99) / 1e6);
        out.put("last_quarter_heartbeats", lqDue);
        out.put("last_quarter_timed_out", lqTimedOut);
        double lqShare = lqDue == 0 ? 0.0 : lqTimedOut / (double) lqDue;
        out.put("last_quarter_timeout_share", lqShare);
        out.put("tipped", lqShare > 0.5);
        out.put("walks", ev[0]);
        out.put("walk_us_mean", ev[0] == 0 ? 0.0 : ev[4] / 1000.0 / ev[0]);
        putUs(out, "walk_us", walkNs);
        if (span[1] > 0) {
            int first = Math.min(trigger, walkNs.size());
            long sum = 0;
            synchronized (walkNs) {
                for (int i = 0; i < first; i++) {
                    sum += walkNs.get(i);
                }
            }
            out.put("trigger_walk_us_mean", first == 0 ? 0.0 : sum / 1000.0 / first);
            out.put("trigger_span_ms", (span[1] - span[0]) / 1e6);
        }
        out.put("gap_series", gapSeries.toString());
        putUs(out, "won_gap_us", wonGapNs);
        long wonGapTotal = 0;
        for (long v : wonGapNs) {
            wonGapTotal += v;
        }
        out.put("won_gap_ms_total", wonGapTotal / 1e6);
        // The heirs' drain rate: registerProducer calls per ms of the walker's absence in won gaps.
        out.put("won_calls_per_ms", wonGapTotal == 0 ? 0.0 : ev[3] / (wonGapTotal / 1e6));
        if (gapCpu) {
            // The heirs' CPU time in the won gaps (from the walker's release to its entry), over
            // the gaps' wall time times the CPUs, and per registerProducer call.
            int cpus = Runtime.getRuntime().availableProcessors();
            out.put("won_gap_cpu_share", wonCpu[2] == 0 ? 0.0 : wonCpu[0] / (double) (wonCpu[2] * cpus));
            out.put("won_gap_cpu_per_call_us_mean", wonCpu[1] == 0 ? 0.0 : wonCpu[0] / 1000.0 / wonCpu[1]);
            out.put("won_gap_cpu_gaps", wonCpuPerCallNs.size());
            putUs(out, "won_gap_cpu_per_call_us", wonCpuPerCallNs);
            out.put("won_gap_cpu_series", wonCpuSeries);
            out.put("won_busy_cpu_gaps", busyCpu[3]);
            out.put("won_busy_cpu_share", busyCpu[2] == 0 ? 0.0 : busyCpu[0] / (double) (busyCpu[2] * cpus));
            out.put("won_busy_cpu_per_call_us", busyCpu[1] == 0 ? 0.0 : busyCpu[0] / 1000.0 / busyCpu[1]);
            out.put("won_busy_calls_per_ms", busyCpu[2] == 0 ? 0.0 : busyCpu[1] / (busyCpu[2] / 1e6));
            out.put("won_drain_cpu_gaps", drainCpu[3]);
            out.put("won_drain_cpu_share", drainCpu[2] == 0 ? 0.0 : drainCpu[0] / (double) (drainCpu[2] * cpus));
            out.put("won_drain_cpu_per_call_us", drainCpu[1] == 0 ? 0.0 : drainCpu[0] / 1000.0 / drainCpu[1]);
            out.put("won_drain_calls_per_ms", drainCpu[2] == 0 ? 0.0 : drainCpu[1] / (drainCpu[2] / 1e6));
        }
        // The heartbeats still queued as the walker got back in after a won gap.
        long[] left = wonQueueLeft.stream().mapToLong(Long::longValue).toArray();
        Arrays.sort(left);
        long leftSum = 0;
        for (long v : left) {
            leftSum += v;
        }
        out.put("won_gap_queue_left_mean", left.length == 0 ? 0.0 : leftSum / (double) left.length);
        out.put("won_gap_queue_left_p50", Util.percentile(left, 0.5));
        out.put("won_gap_queue_left_p90", Util.percentile(left, 0.9));
        out.put("won_gap_queue_left_max", left.length == 0 ? 0 : left[left.length - 1]);
        out.put("won_gaps_drained", wonDrained[0]);
        out.put("won_gaps_drained_share", left.length == 0 ? 0.0 : wonDrained[0] / (double) left.length);
        out.put("release_queue_series", releaseQueueSeries);
        out.put("won_queue_left_series", wonQueueLeftSeries);
        // The walker's return against the end of its heirs' drain (the executor idle).
        out.put("won_gaps_idle_before_ready", wonIdle[0]);
        out.put("won_gaps_idle_while_blocked", wonIdle[1]);
        out.put("won_gaps_back_mid_drain", wonReturn[0]);
        out.put("won_return_exposure_us", wonReturn[1] / 1000);
        putUs(out, "won_ready_after_idle_us", readyAfterIdleNs);
        out.put("won_gap_times_series", wonGapTimesSeries);
        out.put("won_gap_at_ms_series", wonGapAtMsSeries);
        out.put("jit_ms_series", jitMsSeries);
        out.put("gc_ms_series", gcMsSeries);
        out.put("gc_count_series", gcCountSeries);
        out.put("minor_fault_series", faultSeries);
        if (stealBefore.length > 0 && stealBefore.length == stealAfter.length) {
            List<Object> steal = new ArrayList<>();
            for (int i = 0; i < stealAfter.length; i++) {
                steal.add(stealAfter[i] - stealBefore[i]);
            }
            out.put("steal_ms_per_cpu", steal);
        }
        // Each walk's duration in order [ms, 0.1 ms], the first SERIES_CAP.
        List<Object> walkSeries = new ArrayList<>();
        synchronized (walkNs) {
            for (int i = 0; i < Math.min(walkNs.size(), SERIES_CAP); i++) {
                walkSeries.add(Math.round(walkNs.get(i) / 1e5) / 10.0);
            }
        }
        out.put("walk_ms_series", walkSeries);
        putUs(out, "walker_back_us", backNs);
        putUs(out, "heir_in_us", heirNs);
        putUs(out, "walker_back_uncontested_us", backLostNs);
        putUs(out, "walker_ready_us", readyNs);
        putUs(out, "walker_ready_heirs_won_us", readyWonNs);
        putUs(out, "walker_exit_us", exitNs);
        putUs(out, "heir_after_exit_us", heirAfterExitNs);
        putUs(out, "walker_back_after_exit_us", backAfterExitNs);
        putUs(out, "walker_blocked_won_quick_us", blockedQuickNs);
        putUs(out, "walker_blocked_won_displaced_us", blockedDisplacedNs);
        out.put("won_gaps_walker_quick", blockedQuickNs.size());
        out.put("won_calls_walker_quick", wonCalls[0]);
        out.put("won_calls_walker_displaced", wonCalls[1]);
        // The gaps after which the walker was ready to re-enter only after more than 1 ms: its
        // uncontested return is 10-100 us, so these are releases at which it lost its CPU.
        out.put("walker_ready_gaps", readyNs.size());
        out.put("walker_ready_over_1ms", countOver(readyNs, 1_000_000L));
        // The same at the releases a heartbeat thread wanted the monitor (it could wake a heir):
        // what hbsim's cpu_release_preempt is drawn at.
        out.put("walker_ready_gaps_with_waiter", readyWithWaiter[0]);
        out.put("walker_ready_over_1ms_with_waiter", readyWithWaiter[1]);
        out.put("gaps_won_with_waiter", wonWithWaiter[0]);
        out.put("gaps_won_displaced_with_waiter", wonWithWaiter[1]);
        if (table.cpuProbe) {
            out.put("won_heir_on_release_cpu_walker_displaced", cpuWon[0]);
            out.put("won_heir_on_other_cpu_walker_displaced", cpuWon[1]);
            out.put("won_heir_on_release_cpu_walker_quick", cpuWon[2]);
            out.put("won_heir_on_other_cpu_walker_quick", cpuWon[3]);
            out.put("won_cpu_unknown", cpuWon[4]);
        }
        out.put("gaps_between_walks", ev[1]);
        out.put("gaps_won_by_heartbeats", ev[2]);
        // Per registerProducer call, the won gaps it sat through while it waited for the monitor
        // (0 to 6, then 7 or more), and the most: how long a parked heartbeat thread is passed over
        // while others drain (the fifty-ninth session).
        List<Long> sat = new ArrayList<>();
        for (long calls : table.satThrough) {
            sat.add(calls);
        }
        out.put("calls_sat_through_won_gaps", sat);
        out.put("calls_sat_through_won_gaps_max", table.satThroughMax);
        // The chain in the won gaps: how many parked heartbeat threads a walker's release found,
        // how many got in before it was back and how fast, one wake-up after another (the
        // sixtieth session).
        out.put("chain_won_gaps", chain[0]);
        out.put("chain_parked_at_release", chain[1]);
        out.put("chain_parked_in", chain[2]);
        out.put("chain_parked_left", chain[3]);
        out.put("chain_gaps_left_any", chain[4]);
        putUs(out, "chain_in_us", chainInNs);
        putUs(out, "chain_link_us", chainLinkNs);
        putUs(out, "chain_whole_us", chainWholeNs);
        out.put("chain_series", chainSeries);
        out.put("gap_won_share", ev[1] == 0 ? 0.0 : ev[2] / (double) ev[1]);
        out.put("heartbeats_per_won_gap", ev[2] == 0 ? 0.0 : ev[3] / (double) ev[2]);
        out.put("close_events_offered", eventsOffered.get());
        out.put("close_events_dropped", eventsDropped.get());
        out.put("event_queue_at_end", events.size());
        List<Object> tl = new ArrayList<>();
        List<Object> tt = new ArrayList<>();
        for (int s = 0; s < seconds; s++) {
            tl.add(perSecondHb[s]);
            tt.add(perSecondTimeout[s]);
        }
        out.put("per_second_heartbeats_due", tl);
        out.put("per_second_timed_out", tt);
        doc.put("tipped_definition", "more than 50% of the heartbeats whose 3 s deadline falls in the last quarter of the run timed out");
        doc.put("outcome", out);
        doc.put("loadavg_after", Util.loadavg());
        return doc;
    }

    /** A walk's rough duration [s] before any is timed: 80 ns a group (this host's loops, 68-90). */
    static double estimatedWalkS(int groups) {
        return groups * 80e-9;
    }

    /** Walks a pre-run aims at: about 6 s of them, at least 30 (the share of 30 gaps has a 95%
     *  half-width of about 0.1 at 5%), at most 3,000. */
    static int raceCloses(int groups) {
        double walkS = estimatedWalkS(groups);
        return (int) Math.max(30, Math.min(3000, Math.ceil(6.0 / Math.max(walkS, 1e-6))));
    }

    /**
     * The pre-run of `loop` that measures the race at the walker's release in the loop's state
     * (keys `race_*`): the loop on the point's own `table` (built, warm, after the session's
     * calibration: the JIT and the collector settled as for the loop), with its gap and rate under
     * the busy threads already running, a trigger of {@link #raceCloses} closes 0.3 s in, a deadline
     * no heartbeat reaches (no close is fed back), at most 12 s. What it records is what hbsim's
     * race needs and the separate wake-up measurements do not predict after long walks: the share of
     * gaps the heirs won, their times in, and the walker's own uncontested returns. Run twice, the
     * second recorded (`race_warmup_*`: the first). The `inrace-` session ran it once, first thing in
     * the JVM, on a table of its own; `inrace2-` once, here; in both its heirs won more gaps than
     * the loop's (docs/validation.md, the tenth session).
     */
    static Map<String, Object> raceInLoop(Map<String, String> o, ProducerTable table) throws Exception {
        int groups = intOpt(o, "groups", 15742);
        int closes = raceCloses(groups);
        double seconds = Math.min(12.0, 1.3 + closes * estimatedWalkS(groups) * 1.5);
        Map<String, String> ro = new LinkedHashMap<>(o);
        ro.put("point", o.getOrDefault("point", "point") + "-race");
        ro.put("trigger", Integer.toString(closes));
        ro.put("trigger-at-s", "0.3");
        ro.put("duration-s", Double.toString(seconds));
        ro.put("deadline-ms", "1000000");
        ro.put("busy-threads", "0"); // the point's own are running
        ro.put("cache-pressure", "0");
        // Twice: the first run is the first time this JVM runs the loop's code (the executor, the
        // event thread's poll, the deadlines), and its compilation keeps the other CPU awake; the
        // second runs compiled, as the loop will. Both recorded, the second as `race_*`.
        HbCalib.log("race in the loop's state, warm-up: " + closes + " closes, at most " + seconds + " s");
        Map<String, Object> warm = loop(ro, false, table);
        HbCalib.log("race in the loop's state: " + closes + " closes, at most " + seconds + " s");
        Map<String, Object> run = loop(ro, false, table);
        @SuppressWarnings("unchecked")
        Map<String, Object> out = (Map<String, Object>) run.get("outcome");
        @SuppressWarnings("unchecked")
        Map<String, Object> warmOut = (Map<String, Object>) warm.get("outcome");
        Map<String, Object> r = new LinkedHashMap<>();
        r.put("race_closes", closes);
        r.put("race_protocol", "after-calibration-same-table-second-run");
        for (String k : new String[] {"gaps_between_walks", "gaps_won_by_heartbeats", "gap_won_share", "walk_us_mean"}) {
            r.put("race_warmup_" + k, warmOut.get(k));
        }
        r.put("race_duration_s", seconds);
        for (String k : new String[] {"walks", "gaps_between_walks", "gaps_won_by_heartbeats", "gap_won_share", "walk_us_mean"}) {
            r.put("race_" + k, out.get(k));
        }
        for (String d : new String[] {"walk_us", "walker_back_uncontested_us", "heir_in_us", "walker_ready_us", "walker_ready_heirs_won_us"}) {
            for (String q : new String[] {"min", "p10", "p50", "p90", "p99", "max"}) {
                r.put("race_" + d + "_" + q, out.get(d + "_" + q));
            }
        }
        // Both sides of the race after the walker's exit, paired per gap, with the lower tail.
        for (String d : new String[] {"walker_exit_us", "heir_after_exit_us", "walker_back_after_exit_us"}) {
            for (String q : new String[] {"min", "p1", "p5", "p10", "p50", "p90", "p99", "max"}) {
                r.put("race_" + d + "_" + q, out.get(d + "_" + q));
            }
        }
        // The heirs' lower tail (behind a gap long enough for them to win every release, the
        // wake-up itself: HbCalib's third race) and where the heirs that won ran.
        for (String q : new String[] {"p1", "p5"}) {
            r.put("race_heir_in_us_" + q, out.get("heir_in_us_" + q));
        }
        for (String k : new String[] {"won_heir_on_release_cpu_walker_displaced", "won_heir_on_other_cpu_walker_displaced",
                "won_heir_on_release_cpu_walker_quick", "won_heir_on_other_cpu_walker_quick", "won_cpu_unknown"}) {
            if (out.containsKey(k)) {
                r.put("race_" + k, out.get(k));
            }
        }
        r.put("race_walker_ready_gaps", out.get("walker_ready_gaps"));
        r.put("race_walker_ready_over_1ms", out.get("walker_ready_over_1ms"));
        return r;
    }

    /** How many of a list of nanosecond durations exceed {@code limitNs}. */
    static long countOver(List<Long> ns, long limitNs) {
        synchronized (ns) {
            return ns.stream().filter(v -> v > limitNs).count();
        }
    }

    /** p50, p90, p99 and max [µs] of a list of nanosecond durations (null when empty). */
    static void putUs(Map<String, Object> out, String key, List<Long> ns) {
        long[] v;
        synchronized (ns) {
            v = ns.stream().mapToLong(Long::longValue).toArray();
        }
        Arrays.sort(v);
        out.put(key + "_min", v.length == 0 ? Double.NaN : v[0] / 1000.0);
        out.put(key + "_p1", Util.percentile(v, 0.01) / 1000.0);
        out.put(key + "_p5", Util.percentile(v, 0.05) / 1000.0);
        out.put(key + "_p10", Util.percentile(v, 0.1) / 1000.0);
        out.put(key + "_p50", Util.percentile(v, 0.5) / 1000.0);
        out.put(key + "_p90", Util.percentile(v, 0.9) / 1000.0);
        out.put(key + "_p99", Util.percentile(v, 0.99) / 1000.0);
        out.put(key + "_max", v.length == 0 ? Double.NaN : v[v.length - 1] / 1000.0);
    }
}
