package io.metacluster.engine;

import io.metacluster.spi.Command;
import io.metacluster.testing.FreePorts;
import io.metacluster.testing.RedisServer;
import io.netty.bootstrap.Bootstrap;
import io.netty.channel.Channel;
import io.netty.channel.ChannelFuture;
import io.netty.channel.ChannelOption;
import io.netty.channel.EventLoop;
import io.netty.channel.MultiThreadIoEventLoopGroup;
import io.netty.channel.embedded.EmbeddedChannel;
import io.netty.channel.nio.NioIoHandler;
import io.netty.channel.socket.nio.NioSocketChannel;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.Callable;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.TimeUnit;
import java.util.function.BooleanSupplier;

import static io.metacluster.engine.Clients.buf;
import static io.metacluster.engine.Clients.command;
import static io.metacluster.engine.Clients.written;
import static org.assertj.core.api.Assertions.assertThat;

/**
 * The contract of {@link PinnedMode}, against a real {@code redis-server} as the pinned backend
 * (the {@link InlineRedisProtocol}'s pinned policy is Redis pub/sub's). The client is an embedded
 * channel; it and the pinned connection are driven on one real event loop, as in the engine.
 */
class PinnedModeTest {
    private static final String REFUSED = "-ERR " + InlineRedisProtocol.PINNED_REFUSAL + "\r\n";
    private static final String PONG = "*2\r\n$4\r\npong\r\n$0\r\n\r\n";

    private static RedisServer redis;
    private static MultiThreadIoEventLoopGroup group;
    private static EventLoop loop;

    private EmbeddedChannel client;
    private ReplyQueue replies;
    private PinnedMode pinned;
    private int readies;
    /** What a conversation hands back to its session: nothing unless a test sets it before {@link #pinTo}. */
    private PinnedSession session;
    /** The backend connections the mode opened, in order. */
    private final List<Channel> opened = new CopyOnWriteArrayList<>();

    @BeforeAll
    static void startRedis() {
        redis = RedisServer.start();
        group = new MultiThreadIoEventLoopGroup(1, NioIoHandler.newFactory());
        loop = group.next();
    }

    @AfterAll
    static void stopRedis() {
        group.shutdownGracefully(0, 1, TimeUnit.SECONDS).syncUninterruptibly();
        redis.close();
    }

    @BeforeEach
    void setUp() {
        pinTo(this::toRedis);
    }

    /** A new client whose pinned connections {@code opener} opens. */
    private void pinTo(PinnedOpener opener) {
        onLoop(() -> {
            if (client != null) {
                clientLeaves();
                client.finishAndReleaseAll();
            }
            client = Clients.bare();
            FlowControl flow = new FlowControl(client, Clients.listener(Clients.limits(0, 0, 0), null));
            replies = new ReplyQueue(client.pipeline().firstContext(), flow, () -> pinned.pinWhenAnswered());
            pinned = new PinnedMode(client.pipeline().firstContext(), new InlineRedisProtocol.Codec(), replies, opener,
                    () -> readies++, session);
            return null;
        });
    }

    @AfterEach
    void tearDown() {
        onLoop(() -> {
            clientLeaves();
            client.finishAndReleaseAll();
            return null;
        });
        opened.forEach(Channel::close);
    }

    private ChannelFuture toRedis(Command first, PinnedListener listener) {
        return connect(redis.port(), listener);
    }

    private ChannelFuture connect(int port, PinnedListener listener) {
        ChannelFuture future = new Bootstrap().group(loop).channel(NioSocketChannel.class)
                .option(ChannelOption.ALLOCATOR, Transport.ALLOCATOR)
                .handler(new PinnedConnection(listener, new InlineRedisProtocol.Replies(), 1000))
                .connect("127.0.0.1", port);
        opened.add(future.channel());
        return future;
    }

    private void clientLeaves() {
        if (!replies.isClosed()) {
            client.close();
            replies.clientClosed();
            pinned.clientClosed();
        }
    }

    @Test
    void entersOnceEveryEarlierRequestIsAnswered() {
        Slot earlier = onLoop(() -> {
            Slot slot = new Slot();
            replies.add(slot);
            return slot;
        });

        assertThat(offer("SUBSCRIBE news")).isTrue();
        assertThat(opened).as("opened while a reply is still due").isEmpty();
        assertThat(onLoop(() -> pinned.waiting())).isEqualTo(1);

        onLoop(() -> {
            replies.answer(earlier, buf("+earlier\r\n"));
            return null;
        });
        assertThat(next(2)).containsExactly("+earlier\r\n", subscribed("news", 1));
        assertThat(opened).hasSize(1);
        assertThat(onLoop(() -> readies)).isEqualTo(1);
        assertThat(onLoop(() -> pinned.waiting())).isZero();
    }

    @Test
    void forwardsWhatThePolicyLetsThroughAndPassesOnWhatTheBackendSendsUnasked() {
        subscribe("news");

        redis.call("PUBLISH", "news", "hello");
        assertThat(next(1)).containsExactly("*3\r\n$7\r\nmessage\r\n$4\r\nnews\r\n$5\r\nhello\r\n");
        assertThat(offer("PING")).isTrue();
        assertThat(next(1)).containsExactly(PONG);
        assertThat(offer("SUBSCRIBE sport")).isTrue();
        assertThat(next(1)).containsExactly(subscribed("sport", 2));
        assertThat(opened).as("one connection for the whole mode").hasSize(1);
    }

    @Test
    void commandsReadWhileTheConnectionOpensGoInOrderOnceItIsUp() {
        onLoop(() -> {
            pinned.offer(command("SUBSCRIBE a"));
            pinned.offer(command("SUBSCRIBE b"));
            pinned.offer(command("PING"));
            return null;
        });

        assertThat(next(3)).containsExactly(subscribed("a", 1), subscribed("b", 2), PONG);
    }

    @Test
    void refusesWhatThePolicyRefusesWithoutReachingTheBackend() {
        subscribe("news");

        assertThat(offer("GET k")).isTrue();
        assertThat(next(1)).containsExactly(REFUSED);
        assertThat(offer("PING")).isTrue();
        assertThat(next(1)).as("no reply of the backend to GET came first").containsExactly(PONG);
    }

    @Test
    void handsBackWhatThePolicyHandlesAsUsualAndEverythingWhileNotPinned() {
        assertThat(offer("GET k")).as("not pinned").isFalse();
        assertThat(offer("PING")).as("not pinned").isFalse();

        subscribe("news");
        assertThat(offer("QUIT")).isFalse();
        assertThat(onLoop(() -> pinned.active())).isTrue();
    }

    @Test
    void leavesWhenTheBackendSaysSoAndClosesTheConnection() {
        subscribe("news");

        assertThat(offer("UNSUBSCRIBE")).isTrue();
        assertThat(next(1)).containsExactly("*3\r\n$11\r\nunsubscribe\r\n$4\r\nnews\r\n:0\r\n");
        assertThat(onLoop(() -> pinned.active())).isFalse();
        awaitTrue(() -> !opened.get(0).isOpen());
        assertThat(offer("GET k")).as("routed as usual again").isFalse();

        subscribe("news");
        assertThat(opened).as("a new connection for the new mode").hasSize(2);
    }

    @Test
    void aCommandRightBehindTheLastUnsubscribeIsStillRefused() {
        subscribe("news");

        onLoop(() -> {
            pinned.offer(command("UNSUBSCRIBE"));
            return pinned.offer(command("GET k"));
        });

        assertThat(next(2)).containsExactlyInAnyOrder(REFUSED, "*3\r\n$11\r\nunsubscribe\r\n$4\r\nnews\r\n:0\r\n");
    }

    @Test
    void losingThePinnedConnectionClosesTheClient() {
        subscribe("news");

        redis.call("CLIENT", "KILL", "TYPE", "pubsub");

        awaitTrue(() -> onLoop(() -> !client.isOpen()));
    }

    @Test
    void withNoClusterUpTheWaitingCommandsAreAnsweredWithAnError() {
        pinTo((first, listener) -> null);

        assertThat(offer("SUBSCRIBE news")).isTrue();

        assertThat(next(1)).containsExactly("-ERR no cluster can serve SUBSCRIBE now: no cluster is up\r\n");
        assertThat(onLoop(() -> pinned.active())).isFalse();
    }

    @Test
    void aConnectionThatCannotBeOpenedFailsEveryCommandThatWaitedForIt() {
        int nothingThere = FreePorts.find();
        pinTo((first, listener) -> connect(nothingThere, listener));

        onLoop(() -> {
            pinned.offer(command("SUBSCRIBE a"));
            return pinned.offer(command("SUBSCRIBE b"));
        });

        String failure = "-ERR no cluster can serve SUBSCRIBE now: the backend connection could not be opened\r\n";
        assertThat(next(2)).containsExactly(failure, failure);
        assertThat(onLoop(() -> pinned.active())).isFalse();
    }

    @Test
    void aClientThatLeavesBeforeTheConnectionOpensReleasesWhatWaited() {
        onLoop(() -> {
            replies.add(new Slot());
            return null;
        });
        Command waiting = command("SUBSCRIBE news");
        onLoop(() -> pinned.offer(waiting));

        onLoop(() -> {
            clientLeaves();
            return null;
        });

        assertThat(waiting.frame().refCnt()).isZero();
        assertThat(opened).isEmpty();
    }

    @Test
    void aClientThatLeavesWhilePinnedClosesThePinnedConnection() {
        subscribe("news");

        onLoop(() -> {
            clientLeaves();
            return null;
        });

        awaitTrue(() -> !opened.get(0).isOpen());
    }

    @Test
    void aConversationAnswersInLinePropagatesItsEffectAndThenRoutesWhatWasHeld() {
        List<String> propagated = new CopyOnWriteArrayList<>();
        List<String> rerouted = new CopyOnWriteArrayList<>();
        session = new PinnedSession() {
            @Override
            public void propagate(Command write, Runnable whenSent) {
                propagated.add(write.frame().toString(java.nio.charset.StandardCharsets.US_ASCII));
                write.release();
                whenSent.run();
            }

            @Override
            public void reroute(Command command) {
                rerouted.add(command.name());
                command.release();
            }
        };
        pinTo(this::toRedis);
        redis.call("DEL", "q");

        assertThat(offer("BLPOP q 0")).isTrue();
        assertThat(offer("GET k")).as("held behind the blocking command").isTrue();
        awaitTrue(() -> onLoop(() -> pinned.waiting()) == 1); // BLPOP sent once the connection is up; GET still held
        assertThat(opened).hasSize(1);
        sleep();
        assertThat(rerouted).as("still blocked").isEmpty();

        redis.call("RPUSH", "q", "x", "y");
        assertThat(next(1)).containsExactly("*2\r\n$1\r\nq\r\n$1\r\nx\r\n");
        awaitTrue(() -> rerouted.size() == 1);
        assertThat(propagated).containsExactly("LPOP q\r\n");
        assertThat(rerouted).containsExactly("GET");
        assertThat(onLoop(() -> pinned.active())).as("the conversation ended").isFalse();
        awaitTrue(() -> !opened.get(0).isOpen());
    }

    @Test
    void whatTheClientSentMeanwhileWaitsUntilThePropagationWentOutEverywhere() {
        List<Runnable> sending = new CopyOnWriteArrayList<>();
        List<String> rerouted = new CopyOnWriteArrayList<>();
        session = new PinnedSession() {
            @Override
            public void propagate(Command write, Runnable whenSent) {
                write.release();
                sending.add(whenSent); // still on its way to a cluster (XREADGROUP's XCLAIM: the read cluster first)
            }

            @Override
            public void reroute(Command command) {
                rerouted.add(command.name());
                command.release();
            }
        };
        pinTo(this::toRedis);
        redis.call("DEL", "q");
        redis.call("RPUSH", "q", "x");

        assertThat(offer("BLPOP q 0")).isTrue();
        assertThat(next(1)).containsExactly("*2\r\n$1\r\nq\r\n$1\r\nx\r\n");
        awaitTrue(() -> sending.size() == 1);
        assertThat(offer("GET k")).as("held: the conversation ended, its propagation did not go out yet").isTrue();
        sleep();
        assertThat(rerouted).isEmpty();
        onLoop(() -> {
            sending.get(0).run();
            return null;
        });
        assertThat(rerouted).containsExactly("GET");
        assertThat(offer("GET k")).as("routed as usual again").isFalse();
    }

    private void subscribe(String channel) {
        assertThat(offer("SUBSCRIBE " + channel)).isTrue();
        assertThat(next(1)).containsExactly(subscribed(channel, 1));
    }

    private static String subscribed(String channel, int count) {
        return "*3\r\n$9\r\nsubscribe\r\n$" + channel.length() + "\r\n" + channel + "\r\n:" + count + "\r\n";
    }

    /** Offers {@code line} to the mode; a command it does not take is released here, as the session would route it. */
    private boolean offer(String line) {
        return onLoop(() -> {
            Command command = command(line);
            boolean taken = pinned.offer(command);
            if (!taken) {
                command.release();
            }
            return taken;
        });
    }

    /** The next {@code count} messages written to the client, waiting up to 5 s for them. */
    private List<String> next(int count) {
        List<String> got = new ArrayList<>();
        long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(5);
        while (got.size() < count && System.nanoTime() < deadline) {
            got.addAll(onLoop(() -> {
                client.runPendingTasks(); // the flush of a read batch is a task of the client's own loop
                return written(client);
            }));
            sleep();
        }
        return got;
    }

    private static void awaitTrue(BooleanSupplier condition) {
        long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(5);
        while (!condition.getAsBoolean()) {
            assertThat(System.nanoTime()).as("condition still false after 5 s").isLessThan(deadline);
            sleep();
        }
    }

    private static void sleep() {
        try {
            Thread.sleep(5);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
    }

    private static <T> T onLoop(Callable<T> action) {
        try {
            return loop.submit(action).get(5, TimeUnit.SECONDS);
        } catch (Exception e) {
            throw new AssertionError(e);
        }
    }
}
