package io.metacluster.e2e;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import io.metacluster.testing.FreePorts;
import io.metacluster.testing.RedisServer;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import redis.clients.jedis.Jedis;
import redis.clients.jedis.Pipeline;
import redis.clients.jedis.Response;

import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;
import java.util.concurrent.TimeUnit;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * {@code POST /clusters/NAME/resync} on the admin endpoint, against real redis-servers: a node
 * whose data was removed behind the proxy's back leaves reads at once, is refilled from the other
 * cluster, and comes back equal to it.
 */
@Timeout(value = 120, unit = TimeUnit.SECONDS)
class OperatorResyncIT {
    private static final int KEYS = 3000;
    private static final HttpClient http = HttpClient.newHttpClient();
    private static final ObjectMapper json = new ObjectMapper();

    RedisServer dc1;
    RedisServer dc2;
    RedisServer dc3;
    Daemon daemon;
    int port;
    URI admin;

    @AfterEach
    void stop() {
        if (daemon != null) {
            daemon.close();
        }
        for (RedisServer server : new RedisServer[]{dc1, dc2, dc3}) {
            if (server != null) {
                server.close();
            }
        }
    }

    private void start() throws Exception {
        dc1 = RedisServer.start();
        dc2 = RedisServer.start();
        dc3 = RedisServer.start();
        int[] ports = FreePorts.find(3);
        port = ports[0];
        daemon = Daemon.start("""
                resync: { keys-per-second: 300 }
                admin: { bind: 127.0.0.1:%d }
                listeners:
                  - { name: main, protocol: redis, bind: 127.0.0.1:%d, clusters: [dc1, dc2] }
                  - { name: solo, protocol: redis, bind: 127.0.0.1:%d, clusters: [dc3] }
                clusters:
                  - { name: dc1, local: true, nodes: [%s] }
                  - { name: dc2, nodes: [%s] }
                  - { name: dc3, nodes: [%s] }
                """.formatted(ports[1], ports[0], ports[2], dc1.address(), dc2.address(), dc3.address()));
        admin = URI.create("http://127.0.0.1:" + ports[1]);
    }

    private HttpResponse<String> request(String method, String path) throws Exception {
        return http.send(HttpRequest.newBuilder(admin.resolve(path)).method(method, HttpRequest.BodyPublishers.noBody()).build(),
                HttpResponse.BodyHandlers.ofString());
    }

    /** The node of {@code cluster} as /clusters shows it. */
    private JsonNode node(String cluster) throws Exception {
        for (JsonNode c : json.readTree(request("GET", "/clusters").body())) {
            if (c.get("name").asText().equals(cluster)) {
                return c.get("nodes").get(0);
            }
        }
        throw new AssertionError("no cluster " + cluster + " on /clusters");
    }

    @Test
    void aNodeEmptiedBehindTheProxysBackIsOutOfReadsUntilRefilledAndThenEqual() throws Exception {
        start();
        try (Jedis client = new Jedis("127.0.0.1", port, 10_000)) {
            for (int i = 0; i < KEYS; i++) {
                client.set("k" + i, "v" + i);
            }
            client.hset("h", Map.of("a", "1", "b", "2"));
            client.setex("ttl", 600, "t");
        }
        try (Jedis direct = RedisBackends.direct(dc1)) {
            direct.flushAll();
        }

        HttpResponse<String> started = request("POST", "/clusters/dc1/resync");
        assertThat(started.statusCode()).as(started.body()).isEqualTo(202);
        assertThat(json.readTree(started.body()).get("nodes").get(0).asText()).isEqualTo("dc1/" + dc1.address());
        HttpResponse<String> again = request("POST", "/clusters/dc1/nodes/" + dc1.address() + "/resync");
        assertThat(again.statusCode()).as("already under way: " + again.body()).isEqualTo(409);
        assertThat(node("dc1").get("out-of-sync").asBoolean()).isTrue();
        assertThat(node("dc1").get("resync").get("state").asText()).isIn("waiting", "copying");

        // dc1 is local and empty: every read must go to dc2 until the copy is done
        int missed = 0;
        try (Jedis client = new Jedis("127.0.0.1", port, 10_000)) {
            // pipelined, so that they are all read well within the copy (at 300 keys/s, 10 s)
            Pipeline pipeline = client.pipelined();
            List<Response<String>> reads = new ArrayList<>();
            for (int i = 0; i < KEYS; i += 10) {
                reads.add(pipeline.get("k" + i));
            }
            pipeline.sync();
            for (Response<String> read : reads) {
                missed += read.get() == null ? 1 : 0;
            }
        }
        assertThat(missed).as("reads that found nothing during the resync").isZero();
        JsonNode during = node("dc1");
        System.out.println("operator resync under way after the reads: " + during.get("resync"));
        assertThat(during.get("out-of-sync").asBoolean()).as("the reads above ran while dc1 was out of reads").isTrue();

        long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(60);
        while (!node("dc1").get("resync").isNull() && System.nanoTime() < deadline) {
            Thread.sleep(100);
        }
        JsonNode after = node("dc1");
        assertThat(after.get("resync").isNull()).as("resync done: " + after).isTrue();
        assertThat(after.get("out-of-sync").asBoolean()).isFalse();
        assertThat(contents(dc1)).isEqualTo(contents(dc2)).hasSize(KEYS + 2);
        try (Jedis direct = RedisBackends.direct(dc1)) {
            assertThat(direct.pttl("ttl")).as("the TTL came along").isPositive();
        }
        assertThat(daemon.counter("cluster.dc1.resync.completed")).isEqualTo(1);
    }

    @Test
    void unknownClustersAndNodesAre404AClusterWithNothingToCopyFromIs409() throws Exception {
        start();
        assertThat(request("POST", "/clusters/nowhere/resync").statusCode()).isEqualTo(404);
        HttpResponse<String> noNode = request("POST", "/clusters/dc1/nodes/127.0.0.1:1/resync");
        assertThat(noNode.statusCode()).isEqualTo(404);
        assertThat(noNode.body()).contains("has no node 127.0.0.1:1");
        HttpResponse<String> solo = request("POST", "/clusters/dc3/resync");
        assertThat(solo.statusCode()).isEqualTo(409);
        assertThat(solo.body()).contains("no other cluster");
        assertThat(node("dc3").get("out-of-sync").asBoolean()).as("a refused order changes nothing").isFalse();
        HttpResponse<String> get = request("GET", "/clusters/dc1/resync");
        assertThat(get.statusCode()).isEqualTo(405);
        assertThat(get.headers().firstValue("Allow")).hasValue("POST");
    }

    /** Every key of {@code server} with its value (hashes as sorted maps). */
    private static Map<String, String> contents(RedisServer server) {
        Map<String, String> all = new TreeMap<>();
        try (Jedis direct = RedisBackends.direct(server)) {
            for (String key : direct.keys("*")) {
                all.put(key, direct.type(key).equals("hash") ? new TreeMap<>(direct.hgetAll(key)).toString() : direct.get(key));
            }
        }
        return all;
    }
}
