// Helpers of the hbsim calibration harness: timing, statistics, load, JSON output.

import java.io.IOException;
import java.lang.management.ManagementFactory;
import java.nio.file.Files;
import java.nio.file.Paths;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

final class Util {
    static volatile long sink;

    /** Busy-waits `ns` nanoseconds (unlocked work of a known length). */
    static void spin(long ns) {
        if (ns <= 0) {
            return;
        }
        long end = System.nanoTime() + ns;
        long x = 0;
        while (System.nanoTime() < end) {
            x++;
        }
        sink += x;
    }

    static double percentile(long[] sorted, double p) {
        if (sorted.length == 0) {
            return Double.NaN;
        }
        int i = (int) Math.ceil(p * sorted.length) - 1;
        return sorted[Math.max(0, Math.min(sorted.length - 1, i))];
    }

    static double percentile(double[] sorted, double p) {
        if (sorted.length == 0) {
            return Double.NaN;
        }
        int i = (int) Math.ceil(p * sorted.length) - 1;
        return sorted[Math.max(0, Math.min(sorted.length - 1, i))];
    }

    static double median(double[] v) {
        double[] s = v.clone();
        Arrays.sort(s);
        return percentile(s, 0.5);
    }

    static String loadavg() {
        try {
            String s = new String(Files.readAllBytes(Paths.get("/proc/loadavg"))).trim();
            String[] f = s.split(" ");
            return f[0] + " " + f[1] + " " + f[2];
        } catch (IOException | RuntimeException e) {
            return "unknown";
        }
    }

    /**
     * Steal time per CPU so far [ms] (/proc/stat's eighth field, in USER_HZ = 100 ticks a second):
     * time the hypervisor ran something else while this guest's vCPU wanted to run. Empty where
     * it cannot be read.
     */
    static long[] stealMs() {
        try {
            List<Long> out = new ArrayList<>();
            for (String line : Files.readAllLines(Paths.get("/proc/stat"))) {
                if (line.startsWith("cpu") && line.length() > 3 && Character.isDigit(line.charAt(3))) {
                    String[] f = line.trim().split("\\s+");
                    out.add(f.length > 8 ? Long.parseLong(f[8]) * 10 : 0L);
                }
            }
            return out.stream().mapToLong(Long::longValue).toArray();
        } catch (IOException | RuntimeException e) {
            return new long[0];
        }
    }

    static String cpuModel() {
        try {
            for (String line : Files.readAllLines(Paths.get("/proc/cpuinfo"))) {
                if (line.startsWith("model name")) {
                    return line.substring(line.indexOf(':') + 1).trim();
                }
            }
        } catch (IOException | RuntimeException e) {
            // fall through
        }
        return "unknown";
    }

    /**
     * How the host's idle CPUs wait (Linux sysfs): the cpuidle driver and governor and, on a KVM
     * guest with the haltpoll driver, how long an idle vCPU polls before it halts. A wake-up of a
     * thread whose CPU has halted costs an exit to the hypervisor; the race at the walker's
     * release at short walks hangs on it (docs/validation.md).
     */
    static String cpuIdle() {
        StringBuilder b = new StringBuilder();
        String[][] files = {
            {"driver", "/sys/devices/system/cpu/cpuidle/current_driver"},
            {"governor", "/sys/devices/system/cpu/cpuidle/current_governor_ro"},
            {"guest_halt_poll_ns", "/sys/module/haltpoll/parameters/guest_halt_poll_ns"},
        };
        for (String[] f : files) {
            try {
                String v = new String(Files.readAllBytes(Paths.get(f[1]))).trim();
                b.append(b.length() == 0 ? "" : " ").append(f[0]).append('=').append(v);
            } catch (IOException | RuntimeException e) {
                // not on this host
            }
        }
        return b.length() == 0 ? "unknown" : b.toString();
    }

    /** The run's JVM and host. */
    static Map<String, Object> meta() {
        Map<String, Object> m = new LinkedHashMap<>();
        m.put("jvm", System.getProperty("java.vm.name") + " " + Runtime.version() + " (" + System.getProperty("java.vendor") + ")");
        m.put("jvm_version", Runtime.version().toString());
        m.put("jvm_flags", String.join(" ", ManagementFactory.getRuntimeMXBean().getInputArguments()));
        m.put("cpus", Runtime.getRuntime().availableProcessors());
        m.put("cpu_model", cpuModel());
        m.put("cpu_idle", cpuIdle());
        m.put("os", System.getProperty("os.name") + " " + System.getProperty("os.version") + " " + System.getProperty("os.arch"));
        return m;
    }

    /** The CPU the calling thread last ran on (field 39 of /proc/thread-self/stat; -1 where it
     *  cannot be read). Costs a procfs read, some 10-30 us: only outside the race it observes. */
    static int currentCpu() {
        try {
            String s = new String(Files.readAllBytes(Paths.get("/proc/thread-self/stat")), java.nio.charset.StandardCharsets.US_ASCII);
            String[] f = s.substring(s.lastIndexOf(')') + 2).trim().split(" ");
            return Integer.parseInt(f[36]);
        } catch (IOException | RuntimeException e) {
            return -1;
        }
    }

    /** This process's minor and major page faults so far (fields 10 and 12 of /proc/self/stat;
     *  {-1, -1} where they cannot be read). */
    static long[] pageFaults() {
        try {
            String s = new String(Files.readAllBytes(Paths.get("/proc/self/stat")), java.nio.charset.StandardCharsets.US_ASCII);
            String[] f = s.substring(s.lastIndexOf(')') + 2).trim().split(" ");
            return new long[] {Long.parseLong(f[7]), Long.parseLong(f[9])};
        } catch (IOException | RuntimeException e) {
            return new long[] {-1, -1};
        }
    }

    /**
     * A fixed probe of the host, run first in a fresh JVM (before any busy thread): what one CPU
     * computes, what a first touch of fresh memory costs, and a dependent random walk over memory
     * beyond the caches. A diagnostic for runs that drain at half the rate for hours at a time on
     * one guest (docs/validation-log.md, the fifty-fourth session); figures under `probe_`.
     */
    static void hostProbe(Map<String, Object> m) {
        double[] cpu = new double[5];
        long x = 88172645463325252L;
        for (int r = 0; r < cpu.length; r++) {
            long t0 = System.nanoTime();
            for (int i = 0; i < (1 << 22); i++) {
                x ^= x << 13;
                x ^= x >>> 7;
                x ^= x << 17;
            }
            cpu[r] = (System.nanoTime() - t0) / (double) (1 << 22);
        }
        java.util.Arrays.sort(cpu);
        m.put("probe_cpu_ns_per_step", cpu[cpu.length / 2]);
        // First touch: the JVM zeroes a new array, so its allocation writes every page once.
        int pages = 32768; // 128 MiB
        long[] before = pageFaults();
        long t0 = System.nanoTime();
        long[] fresh = new long[pages * 512];
        long touchNs = System.nanoTime() - t0;
        long[] after = pageFaults();
        m.put("probe_first_touch_ns_per_page", touchNs / (double) pages);
        m.put("probe_first_touch_minor_faults", after[0] - before[0]);
        // A random single cycle (Sattolo) over 16 MiB of ints: dependent loads, ns per load.
        int n = 1 << 22;
        int[] next = new int[n];
        for (int i = 0; i < n; i++) {
            next[i] = i;
        }
        java.util.Random rnd = new java.util.Random(7);
        for (int i = n - 1; i > 0; i--) {
            int j = rnd.nextInt(i);
            int t = next[i];
            next[i] = next[j];
            next[j] = t;
        }
        int at = 0;
        int steps = 1 << 21;
        long c0 = System.nanoTime();
        for (int i = 0; i < steps; i++) {
            at = next[at];
        }
        m.put("probe_chase_ns_per_load", (System.nanoTime() - c0) / (double) steps);
        sink += x + at + fresh[(int) (x & 1023)];
    }

    /** Extra runnable threads competing for the CPUs (what a busy host adds). */
    static List<Thread> startBusy(int n, int cacheMb, boolean[] stop) {
        List<Thread> threads = new ArrayList<>();
        for (int i = 0; i < n; i++) {
            Thread t = new Thread(() -> {
                long x = 0;
                while (!stop[0]) {
                    for (int k = 0; k < 10000; k++) {
                        x += k * 31;
                    }
                }
                sink += x;
            }, "busy-" + i);
            t.setDaemon(true);
            t.start();
            threads.add(t);
        }
        if (cacheMb > 0) {
            Thread t = new Thread(() -> {
                byte[] buf = new byte[cacheMb << 20];
                long x = 0;
                while (!stop[0]) {
                    for (int k = 0; k < buf.length; k += 64) {
                        buf[k]++;
                        x += buf[k];
                    }
                }
                sink += x;
            }, "cache-pressure");
            t.setDaemon(true);
            t.start();
            threads.add(t);
        }
        return threads;
    }

    // ---- JSON (flat objects of numbers, strings, booleans and nested objects) ----

    static String json(Object v) {
        StringBuilder sb = new StringBuilder();
        write(sb, v, 0);
        return sb.toString();
    }

    @SuppressWarnings("unchecked")
    private static void write(StringBuilder sb, Object v, int indent) {
        if (v instanceof Map) {
            Map<String, Object> m = (Map<String, Object>) v;
            sb.append("{\n");
            int i = 0;
            for (Map.Entry<String, Object> e : m.entrySet()) {
                sb.append("  ".repeat(indent + 1));
                str(sb, e.getKey());
                sb.append(": ");
                write(sb, e.getValue(), indent + 1);
                if (++i < m.size()) {
                    sb.append(',');
                }
                sb.append('\n');
            }
            sb.append("  ".repeat(indent)).append('}');
        } else if (v instanceof List) {
            List<Object> l = (List<Object>) v;
            sb.append('[');
            for (int i = 0; i < l.size(); i++) {
                if (i > 0) {
                    sb.append(", ");
                }
                write(sb, l.get(i), indent + 1);
            }
            sb.append(']');
        } else if (v instanceof Double || v instanceof Float) {
            double d = ((Number) v).doubleValue();
            if (Double.isNaN(d) || Double.isInfinite(d)) {
                sb.append("null");
            } else {
                sb.append(String.format(java.util.Locale.ROOT, "%.4f", d).replaceAll("0+$", "").replaceAll("\\.$", ".0"));
            }
        } else if (v instanceof Number || v instanceof Boolean) {
            sb.append(v);
        } else if (v == null) {
            sb.append("null");
        } else {
            str(sb, v.toString());
        }
    }

    private static void str(StringBuilder sb, String s) {
        sb.append('"');
        for (char c : s.toCharArray()) {
            switch (c) {
                case '"': sb.append("\\\""); break;
                case '\\': sb.append("\\\\"); break;
                case '\n': sb.append("\\n"); break;
                case '\t': sb.append("\\t"); break;
                default:
                    if (c < 0x20) {
                        sb.append(String.format("\\u%04x", (int) c));
                    } else {
                        sb.append(c);
                    }
            }
        }
        sb.append('"');
    }
}
