package io.metacluster.e2e;

import redis.clients.jedis.Jedis;

import java.util.List;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.ThreadLocalRandom;
import java.util.concurrent.atomic.AtomicLong;

/**
 * One client's steady traffic through the proxy while a test changes the backends: each round
 * writes a counter to a random key of {@code prefix0..prefixN-1}, reads it back, and every tenth
 * round reads four keys with one {@code MGET}; any error or wrong value is kept, with when it came.
 */
final class Traffic {
    final AtomicLong operations = new AtomicLong();
    final List<Long> errors = new CopyOnWriteArrayList<>();
    volatile String firstError;
    /** How many errors of each kind (the message up to its first digit). */
    final java.util.Map<String, Integer> errorKinds = new java.util.concurrent.ConcurrentHashMap<>();
    volatile long lastErrorNanos;
    private final Thread thread;
    private volatile boolean running = true;

    private Traffic(int port, String prefix, int keys) {
        thread = new Thread(() -> run(port, prefix, keys), "traffic");
        thread.setDaemon(true);
    }

    static Traffic start(int port, String prefix, int keys) {
        Traffic traffic = new Traffic(port, prefix, keys);
        traffic.thread.start();
        return traffic;
    }

    private void run(int port, String prefix, int keys) {
        Jedis client = null;
        long round = 0;
        while (running) {
            try {
                if (client == null) {
                    client = new Jedis("127.0.0.1", port, 10_000);
                }
                String key = prefix + ThreadLocalRandom.current().nextInt(keys);
                String value = Long.toString(++round);
                client.set(key, value);
                String read = client.get(key);
                if (!value.equals(read)) {
                    throw new IllegalStateException(key + " read " + read + " after writing " + value);
                }
                if (round % 10 == 0) {
                    List<String> values = client.mget(prefix + 1, prefix + 2, prefix + 3, key);
                    if (!value.equals(values.get(3))) {
                        throw new IllegalStateException("MGET gave " + values + ", last should be " + value);
                    }
                }
                operations.addAndGet(2);
            } catch (RuntimeException e) {
                long now = System.nanoTime();
                errors.add(now);
                lastErrorNanos = now;
                errorKinds.merge(String.valueOf(e.getMessage()).split("[0-9]")[0], 1, Integer::sum);
                if (firstError == null) {
                    firstError = e.toString();
                }
                if (client != null && e instanceof redis.clients.jedis.exceptions.JedisConnectionException) {
                    client.close();
                    client = null;
                }
            }
        }
        if (client != null) {
            client.close();
        }
    }

    void stop() throws InterruptedException {
        running = false;
        thread.join(15_000);
    }
}
