package io.metacluster.engine;

import io.metacluster.spi.WritePolicy;
import io.metacluster.spi.WritePolicy.Verdict;
import io.metacluster.spi.WriteTally;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

import java.util.ArrayList;
import java.util.List;

import static io.metacluster.spi.WritePolicy.Verdict.FAILED;
import static io.metacluster.spi.WritePolicy.Verdict.PENDING;
import static io.metacluster.spi.WritePolicy.Verdict.SUCCEEDED;
import static org.assertj.core.api.Assertions.assertThat;

/**
 * The shipped write policies ({@code first}, {@code local}, {@code quorum}, {@code all}), judged
 * over every tally a write to 1 to 5 clusters, 0 to all of them local, can pass through. Each
 * policy's rule is stated here in words of its own, from the replies still outstanding, and
 * checked against the shipped arithmetic on every tally; a few named cases make it concrete.
 */
class WritePolicyTest {
    private static final WritePolicy FIRST = EmbeddedEngine.writePolicy("first");
    private static final WritePolicy LOCAL = EmbeddedEngine.writePolicy("local");
    private static final WritePolicy QUORUM = EmbeddedEngine.writePolicy("quorum");
    private static final WritePolicy ALL = EmbeddedEngine.writePolicy("all");

    /** A fan-out's counts: {@code clusters} of which {@code local} local; so many replies so far. */
    record Tally(int clusters, int localClusters, int succeeded, int failed, int localSucceeded, int localFailed)
            implements WriteTally {
        int outstanding() {
            return clusters - succeeded - failed;
        }

        int localOutstanding() {
            return localClusters - localSucceeded - localFailed;
        }

        /** This tally after one more reply, from a local cluster or not, a success or not. */
        Tally then(boolean fromLocal, boolean success) {
            return new Tally(clusters, localClusters, succeeded + (success ? 1 : 0), failed + (success ? 0 : 1),
                    localSucceeded + (fromLocal && success ? 1 : 0), localFailed + (fromLocal && !success ? 1 : 0));
        }

        @Override
        public String toString() {
            return clusters + " clusters (" + localClusters + " local): " + succeeded + " ok (" + localSucceeded
                    + " local), " + failed + " failed (" + localFailed + " local)";
        }
    }

    /** Every tally a write can reach: any number of replies in, any mix of successes, local or not. */
    static List<Tally> everyTally(int maxClusters) {
        List<Tally> all = new ArrayList<>();
        for (int n = 1; n <= maxClusters; n++) {
            for (int local = 0; local <= n; local++) {
                for (int ls = 0; ls <= local; ls++) {
                    for (int lf = 0; ls + lf <= local; lf++) {
                        int remote = n - local;
                        for (int rs = 0; rs <= remote; rs++) {
                            for (int rf = 0; rs + rf <= remote; rf++) {
                                all.add(new Tally(n, local, ls + rs, lf + rf, ls, lf));
                            }
                        }
                    }
                }
            }
        }
        return all;
    }

    // the rules, in terms of what may still come

    private static Verdict firstRule(Tally t) {
        // one success is enough once every local cluster answered (reads go there: read-your-writes);
        // only when no cluster can still succeed is it lost
        return t.succeeded() >= 1 && t.localOutstanding() == 0 ? SUCCEEDED : t.outstanding() == 0 && t.succeeded() == 0 ? FAILED : PENDING;
    }

    private static Verdict localRule(Tally t) {
        // a local success is enough; lost once no local cluster can still succeed (remote ones do not count)
        return t.localSucceeded() >= 1 ? SUCCEEDED : t.localOutstanding() == 0 ? FAILED : PENDING;
    }

    private static Verdict quorumRule(Tally t) {
        // more than half must succeed; lost once even all the outstanding ones would not make a majority
        int majority = t.clusters() / 2 + 1;
        return t.succeeded() >= majority ? SUCCEEDED : t.succeeded() + t.outstanding() < majority ? FAILED : PENDING;
    }

    private static Verdict allRule(Tally t) {
        // every cluster must succeed: one failure loses it
        return t.failed() >= 1 ? FAILED : t.outstanding() == 0 ? SUCCEEDED : PENDING;
    }

    @Test
    void everyTallyIsJudgedByTheStatedRules() {
        List<Tally> tallies = everyTally(5);
        assertThat(tallies).as("every mix of replies, 1 to 5 clusters").hasSize(461);
        for (Tally t : tallies) {
            assertThat(FIRST.judge(t)).as("first, %s", t).isEqualTo(firstRule(t));
            assertThat(QUORUM.judge(t)).as("quorum, %s", t).isEqualTo(quorumRule(t));
            assertThat(ALL.judge(t)).as("all, %s", t).isEqualTo(allRule(t));
            if (t.localClusters() > 0) {
                assertThat(LOCAL.judge(t)).as("local, %s", t).isEqualTo(localRule(t));
            }
        }
    }

    @ParameterizedTest
    @ValueSource(strings = {"first", "local", "quorum", "all"})
    void aWriteIsDecidedOnceEveryClusterAnsweredAndOnlySucceedsWithASuccessToAnswerWith(String name) {
        WritePolicy policy = EmbeddedEngine.writePolicy(name);
        for (Tally t : everyTally(5)) {
            if (name.equals("local") && t.localClusters() == 0) {
                continue;
            }
            Verdict verdict = policy.judge(t);
            if (t.outstanding() == 0) {
                assertThat(verdict).as("%s, complete: %s", name, t).isNotEqualTo(PENDING);
            }
            if (verdict == SUCCEEDED) {
                // the fan-out answers the client with the first successful reply: there must be one
                assertThat(t.succeeded()).as("%s, %s", name, t).isPositive();
            }
        }
    }

    @ParameterizedTest
    @ValueSource(strings = {"first", "local", "quorum", "all"})
    void aVerdictOnceReachedStandsWhateverTheOtherClustersAnswer(String name) {
        // the fan-out asks after every reply and answers at the first verdict: a later one must not disagree
        WritePolicy policy = EmbeddedEngine.writePolicy(name);
        for (Tally t : everyTally(5)) {
            if (name.equals("local") && t.localClusters() == 0) {
                continue;
            }
            Verdict verdict = policy.judge(t);
            if (verdict == PENDING) {
                continue;
            }
            for (boolean fromLocal : new boolean[]{true, false}) {
                boolean possible = fromLocal ? t.localOutstanding() > 0 : t.outstanding() - t.localOutstanding() > 0;
                for (boolean success : new boolean[]{true, false}) {
                    if (possible) {
                        Tally next = t.then(fromLocal, success);
                        assertThat(policy.judge(next)).as("%s, %s then %s", name, t, next).isEqualTo(verdict);
                    }
                }
            }
        }
    }

    @Test
    void firstAnswersWithTheFirstSuccessOnceTheLocalClustersAnsweredAndFailsOnlyWhenEveryClusterFailed() {
        assertThat(FIRST.judge(new Tally(3, 1, 0, 0, 0, 0))).isEqualTo(PENDING);
        assertThat(FIRST.judge(new Tally(3, 1, 1, 0, 0, 0))).as("a remote success waits for the local cluster").isEqualTo(PENDING);
        assertThat(FIRST.judge(new Tally(3, 1, 1, 0, 1, 0))).as("the local one succeeded").isEqualTo(SUCCEEDED);
        assertThat(FIRST.judge(new Tally(3, 1, 1, 1, 0, 1))).as("the local one failed (down): a remote success will do")
                .isEqualTo(SUCCEEDED);
        assertThat(FIRST.judge(new Tally(3, 0, 1, 0, 0, 0))).as("no local cluster: the first success").isEqualTo(SUCCEEDED);
        assertThat(FIRST.judge(new Tally(3, 2, 2, 0, 1, 0))).as("one of two local clusters still to answer").isEqualTo(PENDING);
        assertThat(FIRST.judge(new Tally(3, 1, 0, 2, 0, 1))).as("one may still succeed").isEqualTo(PENDING);
        assertThat(FIRST.judge(new Tally(3, 1, 0, 3, 0, 1))).isEqualTo(FAILED);
        assertThat(FIRST.judge(new Tally(1, 0, 1, 0, 0, 0))).isEqualTo(SUCCEEDED);
    }

    @Test
    void localWaitsForALocalClusterWhateverTheRemoteOnesSay() {
        assertThat(LOCAL.judge(new Tally(3, 1, 2, 0, 0, 0))).as("two remote successes").isEqualTo(PENDING);
        assertThat(LOCAL.judge(new Tally(3, 1, 1, 0, 1, 0))).isEqualTo(SUCCEEDED);
        assertThat(LOCAL.judge(new Tally(3, 1, 2, 1, 0, 1))).as("the local one failed").isEqualTo(FAILED);
        assertThat(LOCAL.judge(new Tally(3, 2, 0, 1, 0, 1))).as("another local one may succeed").isEqualTo(PENDING);
    }

    @Test
    void localWithNoLocalClusterFailsAtOnceWhichIsWhyTheConfigRefusesIt() {
        // ConfigLoader refuses "policy: local" over clusters none of which is local: this is why
        assertThat(LOCAL.judge(new Tally(2, 0, 0, 0, 0, 0))).isEqualTo(FAILED);
    }

    @Test
    void quorumNeedsMoreThanHalf() {
        assertThat(QUORUM.judge(new Tally(1, 0, 1, 0, 0, 0))).isEqualTo(SUCCEEDED);
        assertThat(QUORUM.judge(new Tally(2, 0, 1, 0, 0, 0))).as("2 of 2 needed").isEqualTo(PENDING);
        assertThat(QUORUM.judge(new Tally(2, 0, 1, 1, 0, 0))).isEqualTo(FAILED);
        assertThat(QUORUM.judge(new Tally(3, 0, 2, 0, 0, 0))).isEqualTo(SUCCEEDED);
        assertThat(QUORUM.judge(new Tally(3, 0, 1, 1, 0, 0))).isEqualTo(PENDING);
        assertThat(QUORUM.judge(new Tally(3, 0, 1, 2, 0, 0))).isEqualTo(FAILED);
        assertThat(QUORUM.judge(new Tally(4, 0, 2, 0, 0, 0))).as("3 of 4 needed").isEqualTo(PENDING);
        assertThat(QUORUM.judge(new Tally(4, 0, 2, 2, 0, 0))).isEqualTo(FAILED);
        assertThat(QUORUM.judge(new Tally(5, 0, 3, 2, 0, 0))).isEqualTo(SUCCEEDED);
        assertThat(QUORUM.judge(new Tally(5, 0, 2, 3, 0, 0))).isEqualTo(FAILED);
    }

    @Test
    void allFailsAtTheFirstFailureAndSucceedsOnlyWhenEveryClusterDid() {
        assertThat(ALL.judge(new Tally(3, 1, 2, 0, 1, 0))).isEqualTo(PENDING);
        assertThat(ALL.judge(new Tally(3, 1, 0, 1, 0, 0))).as("the others still outstanding").isEqualTo(FAILED);
        assertThat(ALL.judge(new Tally(3, 1, 3, 0, 1, 0))).isEqualTo(SUCCEEDED);
    }
}
