// hbsim's JVM calibration harness (plain Java 17, no dependencies; written for hbsim, no RocketMQ code).
// Built and run by `hbsim calibrate`; prints one JSON document on stdout, progress on stderr.
//
//   java HbCalib [--quick] [--busy-threads N] [--cache-pressure MB]            calibration figures
//   java HbCalib --mode wake [--quick] [--tag same_cpu] [--hold-ms 1] [--spin-after true]
//                                                                             exit cost and wake latency only
//   java HbCalib --mode heartbeat [--quick] [--busy-threads N] [--cache-pressure MB]
//                                                                             the heartbeat's costs only, in a fresh JVM
//   java HbCalib --mode validate --groups G --gap-us X ... (see Validate.java)  the whole loop in real time
//   java HbCalib --mode loop --tag T --groups G --trigger K --duration-s D     the loop briefly: the walker's return
//                [--race]                                                    (and the race in the loop's state)
//   java HbCalib --mode firstwalk --groups G [--rounds R] [--idle-ms 0,10,1000]  the first walk after a quiet spell
//
// Every figure is from System.nanoTime after a warm-up, over many repetitions; medians and percentiles.

import java.util.ArrayList;
import java.util.Arrays;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.Semaphore;
import java.util.concurrent.atomic.AtomicLong;

public final class HbCalib {
    static final String HARNESS_VERSION = "1";

    /** The top of every mode's output document: the harness version, then the mode. */
    static Map<String, Object> newDoc(String mode) {
        Map<String, Object> doc = new LinkedHashMap<>();
        doc.put("harness_version", HARNESS_VERSION);
        doc.put("mode", mode);
        return doc;
    }
    /** The incident's table size (groups in the producer table). */
    static final int INCIDENT_GROUPS = 15742;

    public static void main(String[] args) throws Exception {
        Map<String, String> o = parseArgs(args);
        String mode = o.getOrDefault("mode", "calibrate");
        switch (mode) {
            case "calibrate": calibrate(o); break;
            case "wake": wakeOnly(o); break;
            case "heartbeat": heartbeatOnly(o); break;
            case "validate": Validate.run(o); break;
            case "loop": loopOnly(o); break;
            case "drain": Drain.run(o); break;
            case "firstwalk": FirstWalk.run(o); break;
            default:
                System.err.println("HbCalib: unknown --mode " + mode);
                System.exit(2);
        }
    }

    static Map<String, String> parseArgs(String[] args) {
        Map<String, String> o = new LinkedHashMap<>();
        for (int i = 0; i < args.length; i++) {
            String a = args[i];
            if (!a.startsWith("--")) {
                System.err.println("HbCalib: unexpected argument " + a);
                System.exit(2);
            }
            String k = a.substring(2);
            if (k.equals("quick") || k.equals("cold") || k.equals("race")) {
                o.put(k, "true");
            } else if (i + 1 < args.length) {
                o.put(k, args[++i]);
            } else {
                System.err.println("HbCalib: " + a + " needs a value");
                System.exit(2);
            }
        }
        return o;
    }

    static void log(String s) {
        System.err.println("[hbcalib " + Util.loadavg() + "] " + s);
    }

    static void calibrate(Map<String, String> o) throws Exception {
        boolean quick = o.containsKey("quick");
        int busy = Integer.parseInt(o.getOrDefault("busy-threads", "0"));
        int cacheMb = Integer.parseInt(o.getOrDefault("cache-pressure", "0"));
        Map<String, Object> doc = newDoc("calibrate");
        doc.put("quick", quick);
        doc.put("busy_threads", busy);
        doc.put("cache_pressure_mb", cacheMb);
        doc.put("meta", Util.meta());
        doc.put("loadavg_before", Util.loadavg());
        boolean[] stop = {false};
        Util.startBusy(busy, cacheMb, stop);
        Map<String, Object> m = new LinkedHashMap<>();
        long start = System.nanoTime();
        walkCost(m, quick);
        consumerWalk(m, quick);
        heartbeatCosts(m, quick);
        exitAndWake(m, quick, "", true);
        exitAndWake(m, quick, "_yield", false);
        longPark(m, quick);
        veryLongPark(m, quick);
        handoff(m, quick);
        stop[0] = true;
        m.put("harness_seconds", (System.nanoTime() - start) / 1e9);
        doc.put("loadavg_after", Util.loadavg());
        doc.put("measured", m);
        System.out.println(Util.json(doc));
    }

    /**
     * `--mode heartbeat [--quick] [--busy-threads N] [--cache-pressure MB]`: {@link #heartbeatCosts}
     * alone, beside the same busy threads and cache pressure as the calibration. A JVM runs the
     * heartbeat in one of two modes (on the Intel guest 1.3-1.5 us or 2.4-2.9): two C2 compilations
     * of ConcurrentHashMap.putVal, which HotSpot deoptimizes and recompiles as its profile changes
     * (docs/validation-log.md, the forty-ninth session): `hbsim calibrate` runs this in more JVMs
     * and names what each one read.
     */
    static void heartbeatOnly(Map<String, String> o) throws Exception {
        boolean quick = o.containsKey("quick");
        int busy = Integer.parseInt(o.getOrDefault("busy-threads", "0"));
        int cacheMb = Integer.parseInt(o.getOrDefault("cache-pressure", "0"));
        Map<String, Object> doc = newDoc("heartbeat");
        doc.put("loadavg_before", Util.loadavg());
        boolean[] stop = {false};
        Util.startBusy(busy, cacheMb, stop);
        Map<String, Object> m = new LinkedHashMap<>();
        heartbeatCosts(m, quick);
        stop[0] = true;
        doc.put("loadavg_after", Util.loadavg());
        doc.put("measured", m);
        System.out.println(Util.json(doc));
    }

    /**
     * `--mode loop --tag T --groups G --trigger K --duration-s D [--trigger-at-s S] [--busy-threads B]
     * [--cache-pressure MB] [--race] [--warm-loop] [--rate R] [--gap-cpu]`: the whole loop (Validate.java, no gap between walks) once, briefly, for
     * the walker's own return in it: from a walk's release to its next acquisition in the gaps no
     * heartbeat won (its exit, the event thread's poll and dispatch of the next close). Measured
     * after walks of the given table; `hbsim calibrate` runs it for a short-walk table and a
     * long-walk one. Keys `loop_<T>_*`.
     */
    /** The busy gap between walks of the second race (`--race`). */
    static final long RACE_GAP_US = 15;

    /** The busy gap between walks of the third race (`--race`): longer than the heirs' wake-up on
     *  the validation hosts (p90 100-180 us after long walks), so they win nearly every release
     *  and their times in are the wake-up itself, not only its part that beat the walker. */
    static final long RACE_OPEN_GAP_US = 200;

    static void loopOnly(Map<String, String> o) throws Exception {
        String tag = o.getOrDefault("tag", "loop");
        Map<String, String> lo = new LinkedHashMap<>(o);
        lo.put("point", "calibrate-" + tag);
        lo.putIfAbsent("gap-us", "0");
        // `--race`: after the loop, the race at the walker's release in the loop's state on the
        // same table, as each validation point measures it before its loop (Validate.raceInLoop:
        // twice, no deadline, the second recorded as `race_*`). Run on an idle host only: the
        // race's shift of the long-park wake-up is validated there (docs/calibration.md).
        boolean race = lo.containsKey("race");
        // `--warm-loop`: before the loop, the race in the loop's state on its table, as each
        // validation point runs it last before its loop: the loop's code compiled, as in a broker
        // that has served for a while. Without it the heirs drained at 0.19-0.25 of the CPUs in
        // the validation loops' shape beside 8 busy threads, with it at 0.28-0.30, the validation
        // loops' own at 0.23-0.44 (docs/validation-log.md, the fifty-sixth session).
        boolean warmLoop = lo.containsKey("warm-loop");
        ProducerTable table = race || warmLoop
                ? ProducerTable.build(Validate.intOpt(lo, "groups", 15742), Validate.intOpt(lo, "live-groups", 310), 0, 0)
                : null;
        if (warmLoop) {
            Validate.raceInLoop(lo, table);
        }
        Map<String, Object> run = Validate.loop(lo, false, table);
        @SuppressWarnings("unchecked")
        Map<String, Object> params = (Map<String, Object>) run.get("params");
        @SuppressWarnings("unchecked")
        Map<String, Object> out = (Map<String, Object>) run.get("outcome");
        Map<String, Object> m = new LinkedHashMap<>();
        String p = "loop_" + tag + "_";
        m.put(p + "groups", params.get("groups"));
        m.put(p + "busy_threads", params.get("busy_threads"));
        m.put(p + "heartbeat_rate_per_s", params.get("heartbeat_rate_per_s"));
        m.put(p + "duration_s", params.get("duration_s"));
        m.put(p + "trigger_closes", params.get("trigger_closes"));
        for (String k : new String[] {"walks", "gaps_between_walks", "gaps_won_by_heartbeats", "gap_won_share",
                "last_quarter_timeout_share", "response_ms_p50", "response_ms_p90", "won_gaps_drained",
                "won_gaps_drained_share", "won_calls_per_ms", "won_gaps_idle_before_ready", "won_gaps_idle_while_blocked",
                "won_gaps_back_mid_drain", "won_return_exposure_us"}) {
            m.put(p + k, out.get(k));
        }
        for (String d : new String[] {"walk_us", "walker_back_uncontested_us", "heir_in_us", "walker_ready_us",
                "walker_ready_heirs_won_us", "won_gap_us", "won_ready_after_idle_us"}) {
            for (String q : new String[] {"min", "p10", "p50", "p90", "p99", "max"}) {
                m.put(p + d + "_" + q, out.get(d + "_" + q));
            }
        }
        // The walker's exit and its return after it, paired per gap (Validate.loop).
        for (String d : new String[] {"walker_exit_us", "walker_back_after_exit_us"}) {
            for (String q : new String[] {"min", "p10", "p50", "p90", "p99", "max"}) {
                m.put(p + d + "_" + q, out.get(d + "_" + q));
            }
        }
        m.put(p + "walker_ready_gaps", out.get("walker_ready_gaps"));
        m.put(p + "walker_ready_over_1ms", out.get("walker_ready_over_1ms"));
        // Where the heirs that won ran (behind tables of 400,000 groups and more: the long loop).
        for (String k : new String[] {"won_heir_on_release_cpu_walker_displaced", "won_heir_on_other_cpu_walker_displaced",
                "won_heir_on_release_cpu_walker_quick", "won_heir_on_other_cpu_walker_quick", "won_cpu_unknown"}) {
            if (out.containsKey(k)) {
                m.put(p + k, out.get(k));
            }
        }
        m.put(p + "walk_us_mean", out.get("walk_us_mean"));
        // With `--gap-cpu` (the return loop; the huge loop under busy threads): the heirs' CPU in
        // their won gaps, all, busy throughout, and over every gap's drain.
        for (String k : new String[] {"won_gap_cpu_share", "won_gap_cpu_per_call_us_p50", "won_gap_cpu_gaps",
                "won_busy_cpu_gaps", "won_busy_cpu_share", "won_busy_cpu_per_call_us", "won_busy_calls_per_ms",
                "won_drain_cpu_gaps", "won_drain_cpu_share", "won_drain_cpu_per_call_us", "won_drain_calls_per_ms"}) {
            if (out.containsKey(k)) {
                m.put(p + k, out.get(k));
            }
        }
        if (race) {
            m.putAll(Validate.raceInLoop(lo, table));
            // The same race behind a busy gap between walks (`race_gap_*`): with no gap the heirs
            // win a few percent, which pins only the wake-up's lowest percent; behind 15 us they
            // win about half on the validation hosts, which pins its middle (docs/calibration.md,
            // the race's shift).
            Map<String, String> gapped = new LinkedHashMap<>(lo);
            gapped.put("gap-us", Long.toString(RACE_GAP_US));
            for (Map.Entry<String, Object> e : Validate.raceInLoop(gapped, table).entrySet()) {
                m.put("race_gap_" + e.getKey().substring("race_".length()), e.getValue());
            }
            m.put("race_gap_gap_us", RACE_GAP_US);
            // The third, behind a gap no heir's wake-up needs to beat (`race_open_*`): the heirs'
            // times in after the walker's release, uncensored by its return (docs/calibration.md,
            // the race's shift).
            gapped.put("gap-us", Long.toString(RACE_OPEN_GAP_US));
            for (Map.Entry<String, Object> e : Validate.raceInLoop(gapped, table).entrySet()) {
                m.put("race_open_" + e.getKey().substring("race_".length()), e.getValue());
            }
            m.put("race_open_gap_us", RACE_OPEN_GAP_US);
        }
        Map<String, Object> doc = newDoc("loop");
        doc.put("meta", run.get("meta"));
        doc.put("loadavg_before", run.get("loadavg_before"));
        doc.put("loadavg_after", run.get("loadavg_after"));
        doc.put("measured", m);
        System.out.println(Util.json(doc));
        System.out.flush();
        System.exit(0);
    }

    static void wakeOnly(Map<String, String> o) throws Exception {
        boolean quick = o.containsKey("quick");
        String tag = o.getOrDefault("tag", "same_cpu");
        long holdNs = (long) (Double.parseDouble(o.getOrDefault("hold-ms", "1")) * 1e6);
        boolean spinAfter = Boolean.parseBoolean(o.getOrDefault("spin-after", "false"));
        Map<String, Object> doc = newDoc("wake");
        doc.put("meta", Util.meta());
        doc.put("loadavg_before", Util.loadavg());
        Map<String, Object> m = new LinkedHashMap<>();
        m.put("hold_ms", holdNs / 1e6);
        m.put("spin_after", spinAfter);
        exitAndWake(m, quick, "_" + tag, spinAfter, holdNs);
        doc.put("loadavg_after", Util.loadavg());
        doc.put("measured", m);
        System.out.println(Util.json(doc));
    }

    // ---------------------------------------------------------------- walk cost

    /** Evicts the caches: writes one byte per 64-byte line of a buffer twice the LLC (at least 64 MB). */
    static final class Evictor {
        final byte[] buf;

        Evictor(int mb) {
            buf = new byte[mb << 20];
        }

        void evict() {
            byte[] b = buf;
            for (int i = 0; i < b.length; i += 64) {
                b[i]++;
            }
        }
    }

    static double[] timeWalks(ProducerTable t, int groups, int reps, Evictor evictor) {
        Chan probe = new Chan();
        double[] per = new double[reps];
        for (int r = 0; r < reps; r++) {
            if (evictor != null) {
                evictor.evict();
            }
            long t0 = System.nanoTime();
            t.doChannelCloseEvent(probe);
            per[r] = (System.nanoTime() - t0) / (double) groups;
        }
        Arrays.sort(per);
        return per;
    }

    static void putDist(Map<String, Object> m, String key, double[] sorted) {
        m.put(key + "_min", sorted.length == 0 ? Double.NaN : sorted[0]);
        m.put(key + "_p1", Util.percentile(sorted, 0.01));
        m.put(key + "_p5", Util.percentile(sorted, 0.05));
        m.put(key + "_p10", Util.percentile(sorted, 0.1));
        m.put(key + "_p50", Util.percentile(sorted, 0.5));
        m.put(key + "_p90", Util.percentile(sorted, 0.9));
        m.put(key + "_p99", Util.percentile(sorted, 0.99));
        m.put(key + "_max", sorted.length == 0 ? Double.NaN : sorted[sorted.length - 1]);
    }

    static void walkCost(Map<String, Object> m, boolean quick) {
        log("walk cost");
        int g = INCIDENT_GROUPS;
        ProducerTable hot = ProducerTable.build(g, 310, 1, 0);
        timeWalks(hot, g, quick ? 300 : 1000, null); // warm-up (JIT)
        int reps = quick ? 300 : 2000;
        double[] h = timeWalks(hot, g, reps, null);
        m.put("walk_groups", g);
        putDist(m, "walk_ns_per_group_hot", h);
        Evictor ev = new Evictor(64);
        double[] c = timeWalks(hot, g, quick ? 60 : 300, ev);
        putDist(m, "walk_ns_per_group_cold", c);
        hot = null;
        // A table spread in memory: 256 bytes kept alive between the objects of two groups (a table
        // grown over months among other allocations), cold.
        ProducerTable spread = ProducerTable.build(g, 310, 1, 256);
        timeWalks(spread, g, 50, null);
        double[] s = timeWalks(spread, g, quick ? 60 : 300, ev);
        putDist(m, "walk_ns_per_group_cold_spread", s);
        spread = null;
        // A large table (400,000 groups: larger than the last-level cache), back-to-back walks.
        int big = 400_000;
        ProducerTable large = ProducerTable.build(big, 310, 1, quick ? 0 : 64);
        timeWalks(large, big, 5, null);
        double[] l = timeWalks(large, big, quick ? 10 : 40, null);
        m.put("walk_large_groups", big);
        putDist(m, "walk_ns_per_group_large_hot", l);
        large = null;
        System.gc();
    }

    static void consumerWalk(Map<String, Object> m, boolean quick) {
        log("consumer walk");
        for (int c : new int[] {300, 3000}) {
            ConsumerTable t = ConsumerTable.build(c, 2);
            Chan probe = new Chan();
            for (int i = 0; i < 2000; i++) {
                t.doChannelCloseEvent(probe);
            }
            int reps = quick ? 2000 : 10000;
            double[] per = new double[reps];
            for (int r = 0; r < reps; r++) {
                long t0 = System.nanoTime();
                t.doChannelCloseEvent(probe);
                per[r] = (System.nanoTime() - t0) / (double) c;
            }
            Arrays.sort(per);
            m.put("consumer_walk_ns_per_group_c" + c + "_p50", Util.percentile(per, 0.5));
            m.put("consumer_walk_ns_per_group_c" + c + "_p90", Util.percentile(per, 0.9));
            m.put("consumer_walk_us_c" + c + "_p50", Util.percentile(per, 0.5) * c / 1000.0);
        }
    }

    // ---------------------------------------------------------------- heartbeat costs

    /** Rounds of the heartbeat's unlocked cost after the first ({@link #heartbeatCosts}). */
    static final int STEADY_ROUNDS = 8;

    static void heartbeatCosts(Map<String, Object> m, boolean quick) {
        log("heartbeat costs");
        ConsumerTable consumers = ConsumerTable.build(300, 2);
        int clients = 1000;
        byte[][] bodies = new byte[clients][];
        Chan[] chans = new Chan[clients];
        for (int i = 0; i < clients; i++) {
            bodies[i] = Heartbeat.encode(i, i % 300);
            chans[i] = new Chan();
        }
        long acc = 0;
        for (int i = 0; i < 50_000; i++) {
            acc += Heartbeat.unlocked(bodies[i % clients], chans[i % clients], consumers);
        }
        int reps = quick ? 20_000 : 100_000;
        double[] us = new double[reps];
        for (int i = 0; i < reps; i++) {
            long t0 = System.nanoTime();
            acc += Heartbeat.unlocked(bodies[i % clients], chans[i % clients], consumers);
            us[i] = (System.nanoTime() - t0) / 1000.0;
        }
        Arrays.sort(us);
        putDist(m, "heartbeat_unlocked_us", us);
        // The same after the JIT has settled: the round above runs early in a fresh JVM, whose
        // library code is still compiling, and reads 2-3 times what later rounds do (3.1-4.4 us
        // against 1.3-1.5 on the Intel guest, idle and beside 8 busy threads; docs/validation-log.md,
        // the forty-eighth session). The median over STEADY_ROUNDS more rounds of its p50 and p90.
        double[] p50s = new double[STEADY_ROUNDS];
        double[] p90s = new double[STEADY_ROUNDS];
        List<Double> inOrder = new ArrayList<>();
        for (int r = 0; r < STEADY_ROUNDS; r++) {
            for (int i = 0; i < reps; i++) {
                long t0 = System.nanoTime();
                acc += Heartbeat.unlocked(bodies[i % clients], chans[i % clients], consumers);
                us[i] = (System.nanoTime() - t0) / 1000.0;
            }
            Arrays.sort(us);
            p50s[r] = Util.percentile(us, 0.5);
            p90s[r] = Util.percentile(us, 0.9);
            inOrder.add(p50s[r]);
        }
        Arrays.sort(p50s);
        Arrays.sort(p90s);
        m.put("heartbeat_unlocked_steady_us_p50", Util.percentile(p50s, 0.5));
        m.put("heartbeat_unlocked_steady_us_p90", Util.percentile(p90s, 0.5));
        m.put("heartbeat_unlocked_steady_rounds", STEADY_ROUNDS);
        m.put("heartbeat_unlocked_steady_us_p50_min", p50s[0]);
        m.put("heartbeat_unlocked_steady_us_p50_max", p50s[STEADY_ROUNDS - 1]);
        // The rounds' medians in the order they ran: whether a slow round (docs/validation-log.md,
        // the fifty-third session) comes first, last or alone.
        m.put("heartbeat_unlocked_steady_us_p50_rounds", inOrder);
        // registerProducer of a known group and channel (the steady state), uncontended: ns per call
        // over batches of 1000 (the nanoTime call costs about as much as the call itself).
        ProducerTable t = ProducerTable.build(INCIDENT_GROUPS, 310, 1, 0);
        Info[] infos = new Info[clients];
        String[] groups = new String[clients];
        for (int i = 0; i < clients; i++) {
            infos[i] = new Info(chans[i], "client-" + i);
            groups[i] = "LiveGroup-" + (i % 310);
            t.registerProducer("CLIENT_INNER_PRODUCER", infos[i]);
            t.registerProducer(groups[i], infos[i]);
        }
        for (int i = 0; i < 200_000; i++) {
            t.registerProducer(groups[i % clients], infos[i % clients]);
        }
        int batches = quick ? 200 : 1000;
        double[] ns = new double[batches];
        for (int b = 0; b < batches; b++) {
            long t0 = System.nanoTime();
            for (int i = 0; i < 1000; i++) {
                int k = (b * 1000 + i) % clients;
                t.registerProducer(groups[k], infos[k]);
            }
            ns[b] = (System.nanoTime() - t0) / 1000.0;
        }
        Arrays.sort(ns);
        m.put("register_producer_ns_p50", Util.percentile(ns, 0.5));
        m.put("register_producer_ns_p90", Util.percentile(ns, 0.9));
        Util.sink += acc;
    }

    // ---------------------------------------------------------------- exit cost and wake latency

    /**
     * A holder W keeps the monitor while a waiter S blocks on it and parks (W holds 1 ms after S shows
     * BLOCKED, far longer than HotSpot's spinning). W takes t0 as the last thing inside the monitor, t1
     * right after it: t1 - t0 is the exit that unparks S. S takes tAcq first thing inside: tAcq - t0 is
     * the wake latency (unpark to running). With `spinAfter` W keeps its CPU busy after the exit, so S
     * must run on another CPU; without it W blocks, so the OS may put S on W's CPU.
     */
    static void exitAndWake(Map<String, Object> m, boolean quick, String suffix, boolean spinAfter) throws Exception {
        exitAndWake(m, quick, suffix, spinAfter, 1_000_000L);
    }

    /** How long the waiter sits parked in the long-park measurement: as long as a walk of a few
     *  hundred thousand groups. On the 2-core validation host (cpuidle haltpoll) the wake-up grows
     *  with the park: p50 28 us after 1 ms, 31 after 3, 37 after 10, 71-82 after 30, 97 after 300. */
    static final long LONG_PARK_HOLD_NS = 50_000_000L;

    /** The exit and wake-up after a long park: `exit_cost_us_long_park_*`, `wake_latency_us_long_park_*`. */
    static void longPark(Map<String, Object> m, boolean quick) throws Exception {
        m.put("long_park_hold_ms", LONG_PARK_HOLD_NS / 1e6);
        exitAndWake(m, quick, "_long_park", true, LONG_PARK_HOLD_NS);
    }

    /** The second tier: a waiter parked as long as a walk of millions of groups. On the validation
     *  host its lower tail (p10 51-67 us) sits 10-20 us above the 50 ms park's (36-54 us): the margin
     *  of the race behind a 300 ms walk (docs/calibration.md, "Wake-up by park length"). */
    static final long VERY_LONG_PARK_HOLD_NS = 300_000_000L;

    /** The exit and wake-up after a very long park: `exit_cost_us_very_long_park_*`, `wake_latency_us_very_long_park_*`. */
    static void veryLongPark(Map<String, Object> m, boolean quick) throws Exception {
        m.put("very_long_park_hold_ms", VERY_LONG_PARK_HOLD_NS / 1e6);
        exitAndWake(m, quick, "_very_long_park", true, VERY_LONG_PARK_HOLD_NS);
    }

    /** A waiter parked as long as a walk of 4,000,000 groups (3 s): in the loop under 16 busy threads
     *  the heirs parked that long got in on the other CPU within 0.1 ms at some releases, where the
     *  50 and 300 ms parks' wake-ups always waited for the scheduler's tick (docs/validation.md, the
     *  thirteenth session). Eight repetitions (24 s): a diagnostic, not applied by any mirror. */
    static final long WALK_PARK_HOLD_NS = 3_000_000_000L;

    /** The exit and wake-up after a walk-long park: `exit_cost_us_walk_park_*`, `wake_latency_us_walk_park_*`. */
    static void walkPark(Map<String, Object> m) throws Exception {
        m.put("walk_park_hold_ms", WALK_PARK_HOLD_NS / 1e6);
        exitAndWake(m, true, "_walk_park", true, WALK_PARK_HOLD_NS, 8, 1);
    }

    /** As {@link #walkPark}, with one more thread that sleeps and wakes as the loop's client does
     *  (parks 2.7 ms between two short bursts of work: 367 heartbeats a second): does a thread that
     *  keeps leaving a CPU let the waiter in without the scheduler's tick? `_walk_park_ticker`. */
    static void walkParkWithTicker(Map<String, Object> m) throws Exception {
        final boolean[] stop = {false};
        Thread ticker = new Thread(() -> {
            long x = 0;
            while (!stop[0]) {
                java.util.concurrent.locks.LockSupport.parkNanos(2_700_000L);
                for (int k = 0; k < 2_000; k++) {
                    x += k * 31;
                }
            }
            Util.sink += x;
        }, "ticker");
        ticker.setDaemon(true);
        ticker.start();
        try {
            exitAndWake(m, true, "_walk_park_ticker", true, WALK_PARK_HOLD_NS, 8, 1);
        } finally {
            stop[0] = true;
        }
    }

    /** As above, with W holding `holdNs` after S shows BLOCKED: in the loop a waiter is parked for a
     *  whole walk (25 ms to seconds), and the longer a CPU sits idle the deeper its idle state. */
    static void exitAndWake(Map<String, Object> m, boolean quick, String suffix, boolean spinAfter, long holdNs) throws Exception {
        boolean longHold = holdNs > 2_000_000L;
        int warm = longHold ? 5 : quick ? 100 : 300;
        int reps = longHold ? (quick ? 60 : 200) : quick ? 400 : 2000;
        exitAndWake(m, quick, suffix, spinAfter, holdNs, reps, warm);
    }

    /** As above with `reps` counted repetitions after `warm` uncounted ones. */
    static void exitAndWake(Map<String, Object> m, boolean quick, String suffix, boolean spinAfter, long holdNs, int reps, int warm) throws Exception {
        log("exit cost and wake latency" + suffix + " (waiter parked " + holdNs / 1000 + " us)");
        final Object lock = new Object();
        final Semaphore go = new Semaphore(0);
        final Semaphore done = new Semaphore(0);
        final AtomicLong tAcq = new AtomicLong();
        final boolean[] stop = {false};
        Thread s = new Thread(() -> {
            while (true) {
                go.acquireUninterruptibly();
                if (stop[0]) {
                    return;
                }
                synchronized (lock) {
                    tAcq.set(System.nanoTime());
                }
                done.release();
            }
        }, "waiter");
        s.setDaemon(true);
        s.start();
        double[] exit = new double[reps];
        double[] wake = new double[reps];
        double[] exitFree = new double[reps];
        int n = 0;
        for (int r = -warm; r < reps; r++) {
            long t0;
            long t1;
            tAcq.set(0);
            synchronized (lock) {
                go.release();
                long limit = System.nanoTime() + 50_000_000L;
                while (s.getState() != Thread.State.BLOCKED && System.nanoTime() < limit) {
                    Thread.onSpinWait();
                }
                Util.spin(holdNs);
                t0 = System.nanoTime();
            }
            t1 = System.nanoTime();
            if (spinAfter) {
                long limit = t1 + 200_000_000L;
                while (tAcq.get() == 0 && System.nanoTime() < limit) {
                    Thread.onSpinWait();
                }
                done.acquireUninterruptibly();
            } else {
                done.acquireUninterruptibly();
            }
            // The same exit with nobody waiting.
            long f0;
            synchronized (lock) {
                Util.spin(20_000L);
                f0 = System.nanoTime();
            }
            long f1 = System.nanoTime();
            if (r >= 0) {
                exit[n] = (t1 - t0) / 1000.0;
                wake[n] = (tAcq.get() - t0) / 1000.0;
                exitFree[n] = (f1 - f0) / 1000.0;
                n++;
            }
        }
        stop[0] = true;
        go.release();
        Arrays.sort(exit);
        Arrays.sort(wake);
        Arrays.sort(exitFree);
        putDist(m, "exit_cost_us" + suffix, exit);
        putDist(m, "wake_latency_us" + suffix, wake);
        m.put("exit_cost_uncontended_us" + suffix + "_p50", Util.percentile(exitFree, 0.5));
    }

    // ---------------------------------------------------------------- hand-off share

    static final long[] GAPS_US = {0, 5, 10, 20, 30, 50, 100, 200};

    /**
     * A walker does back-to-back close walks on the incident-size table (hot) with `gap` µs of
     * unlocked work between two walks; 8 heartbeat threads loop on (unlocked heartbeat work,
     * registerProducer), so they always want the monitor. At each acquisition the walker sees whether
     * a heartbeat thread had the monitor since its last release (a gap won) and how many times.
     */
    static void handoff(Map<String, Object> m, boolean quick) throws Exception {
        int rounds = quick ? 1 : 3;
        double seconds = quick ? 1.5 : 4.0;
        for (int round = 0; round < rounds; round++) {
            for (long gap : GAPS_US) {
                log("hand-off gap " + gap + "us round " + round);
                Map<String, Double> r = handoffPoint(INCIDENT_GROUPS, gap * 1000, seconds, 8);
                for (Map.Entry<String, Double> e : r.entrySet()) {
                    String key = e.getKey() + "_gap_" + gap + "us" + (round == 0 ? "" : "_r" + round);
                    m.put(key, e.getValue());
                }
            }
        }
        if (rounds > 1) {
            for (long gap : GAPS_US) {
                double[] v = new double[rounds];
                for (int round = 0; round < rounds; round++) {
                    v[round] = (Double) m.get("handoff_share_gap_" + gap + "us" + (round == 0 ? "" : "_r" + round));
                }
                m.put("handoff_share_median_gap_" + gap + "us", Util.median(v));
            }
        }
    }

    static Map<String, Double> handoffPoint(int groups, long gapNs, double seconds, int hbThreads) throws Exception {
        ProducerTable t = ProducerTable.build(groups, 310, 1, 0);
        ConsumerTable consumers = ConsumerTable.build(300, 2);
        final boolean[] stop = {false};
        List<Thread> hb = new ArrayList<>();
        for (int i = 0; i < hbThreads; i++) {
            final int id = i;
            Thread th = new Thread(() -> {
                int clients = 64;
                byte[][] bodies = new byte[clients][];
                Info[] infos = new Info[clients];
                for (int c = 0; c < clients; c++) {
                    bodies[c] = Heartbeat.encode(id * 1000 + c, c % 300);
                    Chan ch = new Chan();
                    infos[c] = new Info(ch, "client-" + id + "-" + c);
                }
                long k = 0;
                while (!stop[0]) {
                    int c = (int) (k++ % clients);
                    Util.sink += Heartbeat.unlocked(bodies[c], infos[c].channel, consumers);
                    t.registerProducer("CLIENT_INNER_PRODUCER", infos[c]);
                }
            }, "HeartbeatThread_" + (i + 1));
            th.setDaemon(true);
            hb.add(th);
        }
        // Warm the walk before the heartbeat threads start.
        Chan probe = new Chan();
        for (int i = 0; i < 300; i++) {
            t.doChannelCloseEvent(probe);
        }
        for (Thread th : hb) {
            th.start();
        }
        Thread.sleep(200);
        long end = System.nanoTime() + (long) (seconds * 1e9);
        long releases = 0;
        long won = 0;
        long heartbeatsInWon = 0;
        long lastSeen = -1;
        List<Long> waits = new ArrayList<>();
        long walkNs = 0;
        while (System.nanoTime() < end) {
            long want = System.nanoTime();
            long w0;
            synchronized (t) {
                w0 = System.nanoTime();
                long seen = t.registers;
                if (lastSeen >= 0) {
                    releases++;
                    if (seen != lastSeen) {
                        won++;
                        heartbeatsInWon += seen - lastSeen;
                    }
                }
                t.walk(probe);
                lastSeen = t.registers;
                walkNs += System.nanoTime() - w0;
            }
            waits.add(w0 - want);
            Util.spin(gapNs);
        }
        stop[0] = true;
        for (Thread th : hb) {
            th.join();
        }
        long[] ws = waits.stream().mapToLong(Long::longValue).toArray();
        Arrays.sort(ws);
        Map<String, Double> r = new LinkedHashMap<>();
        r.put("handoff_share", releases == 0 ? Double.NaN : won / (double) releases);
        r.put("handoff_heartbeats_per_won", won == 0 ? 0.0 : heartbeatsInWon / (double) won);
        r.put("handoff_releases", (double) releases);
        r.put("handoff_walk_us_mean", releases == 0 ? Double.NaN : walkNs / 1000.0 / (releases + 1));
        r.put("handoff_walker_wait_us_p50", Util.percentile(ws, 0.5) / 1000.0);
        r.put("handoff_walker_wait_us_p99", Util.percentile(ws, 0.99) / 1000.0);
        r.put("handoff_walker_wait_us_max", ws.length == 0 ? Double.NaN : ws[ws.length - 1] / 1000.0);
        return r;
    }
}
