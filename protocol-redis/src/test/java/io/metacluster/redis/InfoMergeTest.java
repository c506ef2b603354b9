package io.metacluster.redis;

import org.junit.jupiter.api.Test;

import static org.assertj.core.api.Assertions.assertThat;

class InfoMergeTest {
    private static final String A = "# Server\r\nredis_version:7.0.15\r\nrun_id:aaa\r\ntcp_port:7001\r\n"
            + "\r\n# Clients\r\nconnected_clients:2\r\nclient_recent_max_input_buffer:20480\r\n"
            + "\r\n# Memory\r\nused_memory:1013416\r\nused_memory_human:989.66K\r\nmem_fragmentation_ratio:12.33\r\nmaxmemory_policy:noeviction\r\n"
            + "\r\n# Stats\r\nkeyspace_hits:3\r\ninstantaneous_input_kbps:0.50\r\n"
            + "\r\n# Commandstats\r\ncmdstat_get:calls=3,usec=9,usec_per_call=3.00,rejected_calls=0,failed_calls=0\r\n"
            + "\r\n# Keyspace\r\ndb0:keys=2,expires=1,avg_ttl=1000\r\n";
    private static final String B = "# Server\r\nredis_version:7.0.15\r\nrun_id:bbb\r\ntcp_port:7002\r\n"
            + "\r\n# Clients\r\nconnected_clients:3\r\nclient_recent_max_input_buffer:8\r\n"
            + "\r\n# Memory\r\nused_memory:2000000\r\nused_memory_human:1.91M\r\nmem_fragmentation_ratio:2.00\r\nmaxmemory_policy:noeviction\r\n"
            + "\r\n# Stats\r\nkeyspace_hits:4\r\ninstantaneous_input_kbps:0.25\r\n"
            + "\r\n# Commandstats\r\ncmdstat_get:calls=1,usec=1,usec_per_call=1.00,rejected_calls=0,failed_calls=0\r\n"
            + "cmdstat_set:calls=2,usec=4,usec_per_call=2.00,rejected_calls=0,failed_calls=0\r\n"
            + "\r\n# Keyspace\r\ndb0:keys=6,expires=3,avg_ttl=3000\r\ndb1:keys=1,expires=0,avg_ttl=0\r\n";

    @Test
    void countersAreSummedAndOneProcesssFiguresAreTheFirstNodes() {
        assertThat(InfoMerge.merge(new String[]{A, B})).isEqualTo("# Server\r\nredis_version:7.0.15\r\nrun_id:aaa\r\ntcp_port:7001\r\n"
                + "\r\n# Clients\r\nconnected_clients:5\r\nclient_recent_max_input_buffer:20480\r\n"
                + "\r\n# Memory\r\nused_memory:3013416\r\nused_memory_human:2.87M\r\nmem_fragmentation_ratio:12.33\r\nmaxmemory_policy:noeviction\r\n"
                + "\r\n# Stats\r\nkeyspace_hits:7\r\ninstantaneous_input_kbps:0.75\r\n"
                + "\r\n# Commandstats\r\ncmdstat_get:calls=4,usec=10,usec_per_call=2.50,rejected_calls=0,failed_calls=0\r\n"
                + "cmdstat_set:calls=2,usec=4,usec_per_call=2.00,rejected_calls=0,failed_calls=0\r\n"
                + "\r\n# Keyspace\r\ndb0:keys=8,expires=4,avg_ttl=2500\r\ndb1:keys=1,expires=0,avg_ttl=0\r\n");
    }

    @Test
    void emptyAndSingleSectionsKeepRedissShape() {
        assertThat(InfoMerge.merge(new String[]{"", ""})).isEmpty();
        assertThat(InfoMerge.merge(new String[]{"# Keyspace\r\n", "# Keyspace\r\ndb0:keys=1,expires=0,avg_ttl=0\r\n"}))
                .isEqualTo("# Keyspace\r\ndb0:keys=1,expires=0,avg_ttl=0\r\n");
    }

    @Test
    void humanSizesAreRedissBytesToHuman() {
        assertThat(InfoMerge.human(200)).isEqualTo("200B");
        assertThat(InfoMerge.human(1013416)).isEqualTo("989.66K");
        assertThat(InfoMerge.human(12304384)).isEqualTo("11.73M");
        assertThat(InfoMerge.human(25276502016L)).isEqualTo("23.54G");
    }
}
