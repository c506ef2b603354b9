package io.metacluster.spi;

/**
 * Decides when a write sent to every cluster can be answered. Called on the client's event
 * loop after each cluster's reply; must be pure and fast. Whatever the verdict, the write still
 * goes to every cluster: the policy only decides what the client waits for.
 */
public interface WritePolicy {

    enum Verdict {
        /** Wait for more replies. */
        PENDING,
        /** Answer the client with the first successful reply. */
        SUCCEEDED,
        /** Answer the client with an error: the policy can no longer be satisfied. */
        FAILED
    }

    Verdict judge(WriteTally tally);
}
