package io.metacluster.verify;

import org.junit.jupiter.api.Test;

import static org.assertj.core.api.Assertions.assertThat;

class TokenBucketTest {
    private static final long SECOND = 1_000_000_000L;

    private static int grants(TokenBucket bucket, long now, int tries) {
        int granted = 0;
        for (int i = 0; i < tries; i++) {
            granted += bucket.tryAcquire(now) ? 1 : 0;
        }
        return granted;
    }

    @Test
    void aBurstOfOneSecondThenTheRate() {
        TokenBucket bucket = new TokenBucket(100);
        long t = 5 * SECOND;
        assertThat(grants(bucket, t, 1000)).isEqualTo(100);
        assertThat(grants(bucket, t + SECOND / 10, 1000)).isEqualTo(10);
        assertThat(grants(bucket, t + 10 * SECOND, 1000)).isEqualTo(100);
    }

    @Test
    void oneASecond() {
        TokenBucket bucket = new TokenBucket(1);
        assertThat(grants(bucket, 0, 10)).isEqualTo(1);
        assertThat(grants(bucket, SECOND / 2, 10)).isZero();
        assertThat(grants(bucket, SECOND, 10)).isEqualTo(1);
    }

    @Test
    void sharedByThreadsItNeverGrantsMoreThanItMay() throws Exception {
        TokenBucket bucket = new TokenBucket(1000);
        long now = 42 * SECOND;
        java.util.concurrent.atomic.AtomicInteger granted = new java.util.concurrent.atomic.AtomicInteger();
        Thread[] threads = new Thread[4];
        for (int i = 0; i < threads.length; i++) {
            threads[i] = new Thread(() -> granted.addAndGet(grants(bucket, now, 10_000)));
            threads[i].start();
        }
        for (Thread thread : threads) {
            thread.join();
        }
        assertThat(granted.get()).isEqualTo(1000);
    }
}
