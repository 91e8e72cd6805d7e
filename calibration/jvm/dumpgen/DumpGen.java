// hbsim test-data generator (calibration/jvm/dumpgen): starts threads named like a RocketMQ
// 4.9.8 broker's and blocks them the way the incident's jstack shows, then waits for `jstack`.
//
//   java DumpGen signature N   NettyEventExecutor holds the ProducerManager monitor in
//                              doChannelCloseEvent; HeartbeatThread_1..N BLOCKED in
//                              registerProducer waiting for it
//   java DumpGen healthy N     the same threads, heartbeat threads idle in the pool (no signature)
//   java DumpGen unrelated 0   no broker threads at all (an unrelated JVM)
//
// It prints "READY <pid>" when the threads are in place and exits when stdin closes.
import java.util.concurrent.*;
import java.util.concurrent.atomic.AtomicInteger;
import org.apache.rocketmq.broker.client.ProducerManager;

public class DumpGen {
    public static void main(String[] args) throws Exception {
        String mode = args.length > 0 ? args[0] : "signature";
        int threads = args.length > 1 ? Integer.parseInt(args[1]) : 8;
        if (mode.equals("unrelated")) {
            System.out.println("READY " + ProcessHandle.current().pid());
            System.out.flush();
            while (System.in.read() != -1) { }
            return;
        }
        ProducerManager manager = new ProducerManager();
        AtomicInteger index = new AtomicInteger(1);
        // BrokerController names its heartbeat pool threads HeartbeatThread_<n> (ThreadFactoryImpl).
        ThreadPoolExecutor heartbeat = new ThreadPoolExecutor(threads, threads, 60, TimeUnit.SECONDS,
                new LinkedBlockingQueue<>(50000),
                r -> new Thread(r, "HeartbeatThread_" + index.getAndIncrement()));
        heartbeat.prestartAllCoreThreads();
        Thread netty = new Thread(() -> {
            if (mode.equals("signature")) {
                manager.doChannelCloseEvent("10.0.0.1:53124");
            } else {
                try { manager.release.await(); } catch (InterruptedException e) { }
            }
        }, "NettyEventExecutor");
        netty.start();
        if (mode.equals("signature")) {
            manager.holding.await();
            for (int i = 0; i < threads; i++) {
                final int client = i;
                heartbeat.execute(() -> manager.registerProducer("CLIENT_INNER_PRODUCER", "client-" + client));
            }
            // Wait until every heartbeat thread is BLOCKED on the monitor.
            while (true) {
                int blocked = 0;
                for (Thread t : Thread.getAllStackTraces().keySet()) {
                    if (t.getName().startsWith("HeartbeatThread_") && t.getState() == Thread.State.BLOCKED) {
                        blocked++;
                    }
                }
                if (blocked == threads) break;
                Thread.sleep(10);
            }
        }
        System.out.println("READY " + ProcessHandle.current().pid());
        System.out.flush();
        while (System.in.read() != -1) { }
        manager.release.countDown();
        heartbeat.shutdownNow();
        netty.join();
        System.exit(0);
    }
}
