package io.metacluster.spi;

import io.netty.buffer.ByteBuf;
import io.netty.buffer.Unpooled;
import org.junit.jupiter.api.Test;

import java.nio.charset.StandardCharsets;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

class CommandTest {
    private static ByteBuf frame(String text) {
        return Unpooled.copiedBuffer(text, StandardCharsets.US_ASCII);
    }

    private static String key(Command command, int i) {
        return command.key(i).toString(StandardCharsets.US_ASCII);
    }

    @Test
    void oneKeyWithoutAnArray() {
        Command get = Command.of(frame("get user:1\r\n"), "get", CommandKind.READ, 4, 6, null, 0);
        assertThat(get.keyCount()).isEqualTo(1);
        assertThat(get.keyOffset(0)).isEqualTo(4);
        assertThat(get.keyLength(0)).isEqualTo(6);
        assertThat(key(get, 0)).isEqualTo("user:1");
        assertThatThrownBy(() -> get.keyOffset(1)).isInstanceOf(IndexOutOfBoundsException.class);
        get.release();
    }

    @Test
    void keyRangesOfOneTwoOrNoKeys() {
        ByteBuf bytes = frame("get a bb\r\n");
        Command one = Command.of(bytes.retainedDuplicate(), "get", CommandKind.READ, new int[] {4, 1}, null);
        Command two = Command.of(bytes.retainedDuplicate(), "get", CommandKind.READ, new int[] {4, 1, 6, 2}, null);
        Command none = Command.of(bytes, "get", CommandKind.READ, null, null);
        assertThat(one.keyCount()).isEqualTo(1);
        assertThat(key(one, 0)).isEqualTo("a");
        assertThat(two.keyCount()).isEqualTo(2);
        assertThat(key(two, 0)).isEqualTo("a");
        assertThat(key(two, 1)).isEqualTo("bb");
        assertThat(none.keyCount()).isZero();
        assertThatThrownBy(() -> none.keyLength(0)).isInstanceOf(IndexOutOfBoundsException.class);
        one.release();
        two.release();
        none.release();
        assertThat(bytes.refCnt()).isZero();
    }

    @Test
    void refusesMalformedKeysAndUnroutableKinds() {
        ByteBuf bytes = frame("x");
        assertThatThrownBy(() -> Command.of(bytes, "x", CommandKind.READ, new int[] {1}, null))
                .isInstanceOf(IllegalArgumentException.class);
        assertThatThrownBy(() -> Command.of(bytes, "x", CommandKind.READ, -1, 0, null, 0))
                .isInstanceOf(IllegalArgumentException.class);
        assertThatThrownBy(() -> Command.of(bytes, "x", CommandKind.UNSUPPORTED, 0, 1, null, 0))
                .isInstanceOf(IllegalArgumentException.class);
        Command refused = Command.unsupported(bytes, "x", "x is not supported", null);
        assertThat(refused.keyCount()).isZero();
        assertThat(refused.rejection()).isEqualTo("x is not supported");
        refused.release();
    }
}
