// hbsim test-data generator: a stand-in with the broker's class and method names, written for
// hbsim (no RocketMQ code). It reproduces only the locking shape of RocketMQ 4.9.8's
// ProducerManager: synchronized doChannelCloseEvent (a long walk) and synchronized
// registerProducer (a short put), so that `jstack` prints the same signature as the incident.
package org.apache.rocketmq.broker.client;

import java.util.concurrent.CountDownLatch;

public class ProducerManager {
    /** Released when the dump has been taken; the "walk" holds the monitor until then. */
    public final CountDownLatch release = new CountDownLatch(1);
    /** Counted down once the close walk holds the monitor. */
    public final CountDownLatch holding = new CountDownLatch(1);

    public synchronized void doChannelCloseEvent(String remoteAddr) {
        holding.countDown();
        walkGroupChannelTable();
    }

    private void walkGroupChannelTable() {
        // Busy (RUNNABLE) like the real walk, until the dump is taken.
        long spins = 0;
        while (release.getCount() > 0) {
            spins++;
            if ((spins & 0xFFFFF) == 0) {
                Thread.onSpinWait();
            }
        }
    }

    public synchronized void registerProducer(String group, String clientId) {
        // a map put in the broker; nothing to do here
    }
}
