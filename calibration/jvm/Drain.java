// The heartbeat threads' drain rate on their own (written for hbsim; no RocketMQ code).
//
// `--mode drain [--busy-threads B] [--backlog N] [--rounds R] [--warmup W] [--hold-ms H] [--groups G]`
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
// Output: one JSON document on stdout: per round the drain's registerProducer calls per ms, and
// their median; the session's meta and load.

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
        int hbThreads = 8;
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
        ThreadPoolExecutor executor = new ThreadPoolExecutor(hbThreads, hbThreads, 60, TimeUnit.SECONDS,
                new LinkedBlockingQueue<>(50000), r -> {
                    Thread t = new Thread(r, "HeartbeatThread");
                    t.setDaemon(true);
                    return t;
                });
        executor.prestartAllCoreThreads();
        boolean[] stop = {false};
        Util.startBusy(busy, 0, stop);

        // W rounds not counted: the JIT compiles the task's code over the first ten thousand or so.
        double[] perMs = new double[rounds];
        double[] firstInUs = new double[rounds];
        for (int round = -warmup; round < rounds; round++) {
            CountDownLatch done = new CountDownLatch(backlog);
            AtomicLong lastDone = new AtomicLong();
            AtomicLong firstIn = new AtomicLong();
            AtomicInteger next = new AtomicInteger();
            long released;
            synchronized (table) {
                for (int k = 0; k < backlog; k++) {
                    executor.execute(() -> {
                        int c = next.getAndIncrement() % clients;
                        Info info = new Info(chans[c], "client-" + c);
                        Util.sink += Heartbeat.unlocked(bodies[c], chans[c], consumers);
                        table.registerProducer("CLIENT_INNER_PRODUCER", info);
                        firstIn.compareAndSet(0, System.nanoTime());
                        table.registerProducer(liveNames[c % liveNames.length], info);
                        lastDone.accumulateAndGet(System.nanoTime(), Math::max);
                        done.countDown();
                    });
                }
                Thread.sleep(holdMs);
                released = System.nanoTime();
            }
            done.await();
            if (round >= 0) {
                double ms = (lastDone.get() - released) / 1e6;
                perMs[round] = 2.0 * backlog / ms;
                firstInUs[round] = (firstIn.get() - released) / 1e3;
                HbCalib.log(String.format("drain round %d: %.1f calls per ms, first in %.1f us", round, perMs[round],
                        firstInUs[round]));
            }
        }
        stop[0] = true;
        executor.shutdownNow();
        Map<String, Object> m = new LinkedHashMap<>();
        m.put("drain_calls_per_ms", list(perMs));
        m.put("drain_calls_per_ms_p50", Util.median(perMs.clone()));
        m.put("drain_first_in_us", list(firstInUs));
        m.put("drain_first_in_us_p50", Util.median(firstInUs.clone()));
        doc.put("measured", m);
        doc.put("loadavg_after", Util.loadavg());
        System.out.println(Util.json(doc));
    }
}
