// The data shapes of a RocketMQ 4.9.8 broker's client tables, rebuilt for measurement (written for
// hbsim; no RocketMQ code). Read from rocketmq-all-4.9.8:
//   broker/src/main/java/org/apache/rocketmq/broker/client/ProducerManager.java
//     groupChannelTable: ConcurrentHashMap<String, ConcurrentHashMap<Channel, ClientChannelInfo>>,
//     synchronized doChannelCloseEvent (walks every group, remove on the inner map),
//     synchronized registerProducer (get or create the group's map, get/put the channel).
//   broker/src/main/java/org/apache/rocketmq/broker/client/ConsumerManager.java
//     consumerTable: ConcurrentHashMap<String, ConsumerGroupInfo>; doChannelCloseEvent walks every
//     consumer group (no monitor) and removes the channel from its channelInfoTable.

import java.util.ArrayList;
import java.util.Iterator;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.atomic.AtomicLong;

/** A Netty-Channel-like key: identity equality, a random-looking hash (Netty's ChannelId hash). */
final class Chan {
    private static final AtomicLong NEXT = new AtomicLong(1);
    final long id = NEXT.getAndIncrement();
    final String remoteAddr;
    private final int hash;

    Chan() {
        long x = id * 0x9E3779B97F4A7C15L;
        this.hash = (int) (x ^ (x >>> 32));
        this.remoteAddr = "10.0." + ((id >> 8) & 255) + "." + (id & 255) + ":" + (40000 + id % 20000);
    }

    @Override
    public int hashCode() {
        return hash;
    }

    @Override
    public boolean equals(Object o) {
        return this == o;
    }
}

/** ClientChannelInfo-like: channel, client id, language, version, last update. */
final class Info {
    final Chan channel;
    final String clientId;
    final String language = "JAVA";
    final int version = 397; // a 4.9.x client
    volatile long lastUpdateTimestamp;

    Info(Chan channel, String clientId) {
        this.channel = channel;
        this.clientId = clientId;
        this.lastUpdateTimestamp = System.currentTimeMillis();
    }
}

/** ProducerManager-like: the table the close walk and registerProducer share under one monitor. */
final class ProducerTable {
    final ConcurrentHashMap<String, ConcurrentHashMap<Chan, Info>> groupChannelTable = new ConcurrentHashMap<>();
    final ConcurrentHashMap<String, Chan> clientChannelTable = new ConcurrentHashMap<>();
    /** Removed entries (so the JIT cannot drop the walk). */
    long removed;
    /** registerProducer calls so far (read under the monitor by the hand-off measurement). */
    long registers;
    /** Validation: when the walker last released the monitor after a walk, and when the first
     * registerProducer after that release took it (both System.nanoTime, under the monitor). */
    long lastRelease;
    long firstAfterRelease;
    /** Validation with `cpuProbe`: the CPU the walker released from, and the one the first
     *  registerProducer after that release ran on (Util.currentCpu; -1 unknown). */
    boolean cpuProbe;
    int releaseCpu = -1;
    int heirCpu = -1;
    /** Diagnostics only (`--trace-holds FILE`; null otherwise): per registerProducer call, when
     *  its thread wanted the monitor ({@link #wantMonitor}), entered and left it, and the thread. */
    long[] traceArrive;
    long[] traceIn;
    long[] traceOut;
    int[] traceTid;
    int traceN;
    final long[] arriveSlot = new long[64];
    /** Validation: the won gaps the loop's event thread has counted so far (written under the
     *  monitor as the walker gets back in after a gap a heartbeat won; read by a heartbeat thread
     *  as it asks for the monitor, {@link #wantMonitor}). */
    volatile long wonGaps;
    /** Per calling thread (by id, as {@link #arriveSlot}): {@link #wonGaps} when it asked. */
    final long[] arriveWon = new long[64];
    /** Per registerProducer call of the loop: the won gaps it sat through while it waited (gaps
     *  other heartbeat threads won that ended before it got in), 0 to 6, and 7 or more at 7. */
    final long[] satThrough = new long[8];
    long satThroughMax;

    /** Validation: the walker's releases so far (written under the monitor at each release; read
     *  by a heartbeat thread as it asks for the monitor, {@link #wantMonitor}). */
    volatile long releases;
    /** Per calling thread (by id, as {@link #arriveSlot}): {@link #releases} when it last asked,
     *  and whether it has asked and not got in yet. */
    final long[] askedAtRelease = new long[64];
    final boolean[] asking = new boolean[64];
    /** Validation, the chain of one gap (from the walker's release to its next entry): the threads
     *  that had asked and were not in at the release ({@link #chainParked}), and the times from
     *  the release at which they got in, in order (the first 64). Whether a release that wakes
     *  one parked heartbeat thread at a time lets all of them in before the walker is back, and
     *  how fast, is the chain's speed (docs/validation-log.md, the sixtieth session). */
    int chainParked;
    int chainIn;
    final long[] chainInNs = new long[64];
    long chainReleaseNs;

    /** Validation: the loop starts; {@link #satThrough} counts its calls from here. */
    void startCountingWaits() {
        wonGaps = 0;
        java.util.Arrays.fill(arriveWon, 0);
        java.util.Arrays.fill(satThrough, 0);
        satThroughMax = 0;
    }

    /** The calling thread is about to call registerProducer. */
    void wantMonitor() {
        int slot = (int) (Thread.currentThread().getId() & 63);
        arriveWon[slot] = wonGaps;
        askedAtRelease[slot] = releases;
        asking[slot] = true;
        if (traceIn != null) {
            arriveSlot[slot] = System.nanoTime();
        }
    }

    /** Validation: the walker releases the monitor at `now` (called under it): counts the heartbeat
     *  threads that asked and are not in, and starts this gap's chain. */
    void markRelease(long now) {
        int parked = 0;
        for (boolean a : asking) {
            parked += a ? 1 : 0;
        }
        chainParked = parked;
        chainIn = 0;
        chainReleaseNs = now;
        releases++;
    }

    /** Keeps padding objects alive when the table is spread in memory. */
    final List<Object> padding = new ArrayList<>();

    /** G groups: `live` of them hold `perLive` channels, the rest are empty (leaked). */
    static ProducerTable build(int groups, int live, int perLive, int spreadBytes) {
        ProducerTable t = new ProducerTable();
        for (int g = 0; g < groups; g++) {
            String name = (g < live ? "LiveGroup-" : "IotRuleEngine-") + Long.toHexString(0x5DEECE66DL * (g + 1));
            ConcurrentHashMap<Chan, Info> inner = new ConcurrentHashMap<>();
            if (g < live) {
                for (int c = 0; c < perLive; c++) {
                    Chan ch = new Chan();
                    inner.put(ch, new Info(ch, "client-" + ch.id));
                }
            }
            t.groupChannelTable.put(name, inner);
            if (spreadBytes > 0) {
                t.padding.add(new byte[spreadBytes]);
            }
        }
        return t;
    }

    /** The close walk: visits every group and removes the channel from its map. */
    synchronized void doChannelCloseEvent(Chan channel) {
        walk(channel);
    }

    /** The walk without the monitor (for the cost measurement without lock overhead differences). */
    void walk(Chan channel) {
        for (Map.Entry<String, ConcurrentHashMap<Chan, Info>> e : groupChannelTable.entrySet()) {
            Info old = e.getValue().remove(channel);
            if (old != null) {
                clientChannelTable.remove(old.clientId);
                removed++;
            }
        }
    }

    /** registerProducer: find or create the group's map, then find or add the channel. */
    synchronized void registerProducer(String group, Info info) {
        int trace = -1;
        if (traceIn != null && traceN < traceIn.length) {
            trace = traceN++;
            traceIn[trace] = System.nanoTime();
            int slot = (int) (Thread.currentThread().getId() & 63);
            traceArrive[trace] = arriveSlot[slot];
            traceTid[trace] = slot;
        }
        registers++;
        int self = (int) (Thread.currentThread().getId() & 63);
        if (asking[self] && askedAtRelease[self] < releases && chainIn < chainInNs.length) {
            // One of the chain: it asked before the walker's release that opened this gap.
            chainInNs[chainIn++] = System.nanoTime() - chainReleaseNs;
        }
        asking[self] = false;
        long sat = wonGaps - arriveWon[self];
        if (sat >= 0) {
            satThrough[(int) Math.min(sat, 7)]++;
            satThroughMax = Math.max(satThroughMax, sat);
        }
        if (firstAfterRelease < lastRelease) {
            firstAfterRelease = System.nanoTime();
            if (cpuProbe) {
                heirCpu = Util.currentCpu();
            }
        }
        ConcurrentHashMap<Chan, Info> inner = groupChannelTable.get(group);
        if (inner == null) {
            inner = new ConcurrentHashMap<>();
            groupChannelTable.put(group, inner);
        }
        Info found = inner.get(info.channel);
        if (found == null) {
            inner.put(info.channel, info);
            clientChannelTable.put(info.clientId, info.channel);
        } else {
            found.lastUpdateTimestamp = System.currentTimeMillis();
        }
        if (trace >= 0) {
            traceOut[trace] = System.nanoTime();
        }
    }
}

/** ConsumerGroupInfo-like. */
final class ConsumerGroup {
    final String group;
    final ConcurrentHashMap<Chan, Info> channelInfoTable = new ConcurrentHashMap<>();
    final ConcurrentHashMap<String, String> subscriptionTable = new ConcurrentHashMap<>();
    volatile long lastUpdateTimestamp;

    ConsumerGroup(String group) {
        this.group = group;
    }
}

/** ConsumerManager-like: registerConsumer (no monitor) and the unlocked close walk. */
final class ConsumerTable {
    final ConcurrentHashMap<String, ConsumerGroup> consumerTable = new ConcurrentHashMap<>();
    long removed;

    static ConsumerTable build(int groups, int perGroup) {
        ConsumerTable t = new ConsumerTable();
        for (int g = 0; g < groups; g++) {
            ConsumerGroup cg = new ConsumerGroup("consumer-group-" + g);
            for (int c = 0; c < perGroup; c++) {
                Chan ch = new Chan();
                cg.channelInfoTable.put(ch, new Info(ch, "consumer-" + ch.id));
            }
            cg.subscriptionTable.put("topic-" + g, "*");
            t.consumerTable.put(cg.group, cg);
        }
        return t;
    }

    /** The close walk over every consumer group (4.9.8 does it outside any monitor). */
    void doChannelCloseEvent(Chan channel) {
        Iterator<Map.Entry<String, ConsumerGroup>> it = consumerTable.entrySet().iterator();
        while (it.hasNext()) {
            ConsumerGroup info = it.next().getValue();
            if (info.channelInfoTable.remove(channel) != null) {
                removed++;
                if (info.channelInfoTable.isEmpty()) {
                    it.remove();
                }
            }
        }
    }

    /** registerConsumer-like: create the group if missing, add or refresh the channel, update subscriptions. */
    boolean registerConsumer(String group, Info info, String[] topics) {
        ConsumerGroup cg = consumerTable.get(group);
        if (cg == null) {
            ConsumerGroup fresh = new ConsumerGroup(group);
            ConsumerGroup prev = consumerTable.putIfAbsent(group, fresh);
            cg = prev != null ? prev : fresh;
        }
        boolean changed = false;
        Info old = cg.channelInfoTable.get(info.channel);
        if (old == null) {
            cg.channelInfoTable.put(info.channel, info);
            changed = true;
        } else {
            old.lastUpdateTimestamp = System.currentTimeMillis();
        }
        for (String topic : topics) {
            if (cg.subscriptionTable.put(topic, "*") == null) {
                changed = true;
            }
        }
        cg.lastUpdateTimestamp = System.currentTimeMillis();
        return changed;
    }
}
