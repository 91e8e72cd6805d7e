// The first close walk after a quiet spell (written for hbsim; no RocketMQ code).
//
// `--mode firstwalk --groups G [--rounds R] [--idle-ms 0,1,10,100,1000,3000] [--busy-threads B]`
//
// Why: a validation loop's trigger walks right after seconds of no walks, and its first walks are
// slower than the walks the same run makes once it runs on back to back (docs/validation.md, the
// thirty-second session). Here the event thread's part alone: the table of G groups (310 live, as
// the loop's) is built and walked 8 times (JIT), then per round, for each idle time in a shuffled
// order (a fixed seed), the walking thread sleeps that long and walks 4 times back to back
// (ProducerTable.doChannelCloseEvent, the loop's synchronized walk). Each first and second walk
// is divided by the mean of that burst's third and fourth: how much slower a walk after that much
// idle time is than the walks right after it.
//
// Output: one JSON document on stdout: per idle time the percentiles of the two ratios and of the
// base walk (ms); the session's meta and load.

import java.util.ArrayList;
import java.util.Arrays;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Random;

final class FirstWalk {
    private FirstWalk() {}

    static void run(Map<String, String> o) throws Exception {
        int groups = Integer.parseInt(o.getOrDefault("groups", Integer.toString(HbCalib.INCIDENT_GROUPS)));
        int rounds = Integer.parseInt(o.getOrDefault("rounds", "20"));
        int busy = Integer.parseInt(o.getOrDefault("busy-threads", "0"));
        long[] idles = Arrays.stream(o.getOrDefault("idle-ms", "0,1,10,100,1000,3000").split(","))
                .mapToLong(Long::parseLong).toArray();
        Map<String, Object> doc = HbCalib.newDoc("firstwalk");
        Map<String, Object> params = new LinkedHashMap<>();
        params.put("groups", groups);
        params.put("rounds", rounds);
        params.put("busy_threads", busy);
        List<Object> idleList = new ArrayList<>();
        for (long i : idles) {
            idleList.add(i);
        }
        params.put("idle_ms", idleList);
        doc.put("params", params);
        doc.put("meta", Util.meta());
        doc.put("loadavg_before", Util.loadavg());
        boolean[] stop = {false};
        Util.startBusy(busy, 0, stop);

        HbCalib.log("first walk: building " + groups + " groups");
        ProducerTable table = ProducerTable.build(groups, 310, 0, 0);
        Chan probe = new Chan();
        for (int i = 0; i < 8; i++) {
            table.doChannelCloseEvent(probe);
        }
        Random rnd = new Random(0x5EEDL);
        Map<Long, List<double[]>> bursts = new LinkedHashMap<>();
        for (long i : idles) {
            bursts.put(i, new ArrayList<>());
        }
        for (int r = 0; r < rounds; r++) {
            long[] order = idles.clone();
            for (int i = order.length - 1; i > 0; i--) {
                int j = rnd.nextInt(i + 1);
                long x = order[i];
                order[i] = order[j];
                order[j] = x;
            }
            for (long idle : order) {
                if (idle > 0) {
                    Thread.sleep(idle);
                }
                double[] w = new double[4];
                for (int k = 0; k < 4; k++) {
                    long t0 = System.nanoTime();
                    table.doChannelCloseEvent(probe);
                    w[k] = (System.nanoTime() - t0) / 1e6;
                }
                bursts.get(idle).add(w);
            }
            HbCalib.log("first walk: round " + (r + 1) + " of " + rounds);
        }
        stop[0] = true;

        List<Object> rows = new ArrayList<>();
        for (Map.Entry<Long, List<double[]>> e : bursts.entrySet()) {
            List<double[]> l = e.getValue();
            double[] first = new double[l.size()];
            double[] second = new double[l.size()];
            double[] base = new double[l.size()];
            for (int i = 0; i < l.size(); i++) {
                double[] w = l.get(i);
                base[i] = (w[2] + w[3]) / 2;
                first[i] = w[0] / base[i];
                second[i] = w[1] / base[i];
            }
            Arrays.sort(first);
            Arrays.sort(second);
            Arrays.sort(base);
            Map<String, Object> row = new LinkedHashMap<>();
            row.put("idle_ms", e.getKey());
            row.put("bursts", l.size());
            row.put("base_walk_ms_p50", Util.percentile(base, 0.5));
            for (String q : new String[] {"p10", "p50", "p90"}) {
                double p = Double.parseDouble(q.substring(1)) / 100.0;
                row.put("first_over_base_" + q, Util.percentile(first, p));
            }
            row.put("first_over_base_mean", Arrays.stream(first).average().orElse(Double.NaN));
            row.put("second_over_base_p50", Util.percentile(second, 0.5));
            rows.add(row);
        }
        doc.put("loadavg_after", Util.loadavg());
        doc.put("by_idle", rows);
        System.out.println(Util.json(doc));
    }
}
