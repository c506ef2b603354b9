package io.metacluster.spi;

import io.netty.buffer.ByteBuf;
import io.netty.buffer.Unpooled;
import org.junit.jupiter.api.Test;

import java.lang.reflect.Method;
import java.lang.reflect.Modifier;
import java.lang.reflect.Proxy;
import java.util.ArrayList;
import java.util.List;

import static org.assertj.core.api.Assertions.assertThat;

/** Every method of {@link ClientCodec} reaches the delegate, and its result comes back unchanged. */
class ForwardingClientCodecTest {

    /** What the delegate returns for each result type: distinct objects, so that a pass-through can be checked by identity. */
    private static Object sample(Class<?> type) {
        if (type == boolean.class) {
            return true;
        }
        if (type == ByteBuf.class) {
            return Unpooled.buffer(0);
        }
        if (type == Command.class) {
            return Command.of(Unpooled.buffer(1).writeByte('x'), "X", CommandKind.READ, null, null);
        }
        if (type.isInterface()) {
            return Proxy.newProxyInstance(type.getClassLoader(), new Class<?>[] {type}, (p, m, a) -> null);
        }
        return null;
    }

    @Test
    void everyMethodIsForwarded() throws Exception {
        List<String> calls = new ArrayList<>();
        List<Object> results = new ArrayList<>();
        ClientCodec delegate = (ClientCodec) Proxy.newProxyInstance(ClientCodec.class.getClassLoader(),
                new Class<?>[] {ClientCodec.class}, (proxy, method, args) -> {
                    calls.add(method.getName());
                    Object result = sample(method.getReturnType());
                    results.add(result);
                    return result;
                });
        ClientCodec forwarding = new ForwardingClientCodec(delegate) {
        };
        int methods = 0;
        for (Method method : ClientCodec.class.getMethods()) {
            if (Modifier.isStatic(method.getModifiers())) {
                continue;
            }
            assertThat(ForwardingClientCodec.class.getDeclaredMethod(method.getName(), method.getParameterTypes()))
                    .as("ForwardingClientCodec overrides %s", method.getName()).isNotNull();
            Object[] args = new Object[method.getParameterCount()];
            Object returned = method.invoke(forwarding, args);
            assertThat(calls).as("the delegate heard %s", method.getName()).endsWith(method.getName());
            Object expected = results.get(results.size() - 1);
            if (method.getReturnType().isPrimitive()) {
                assertThat(returned).as("%s's result", method.getName()).isEqualTo(expected); // true: not the default
            } else {
                assertThat(returned).as("%s's result", method.getName()).isSameAs(expected);
            }
            if (returned instanceof Command command) {
                command.release();
            }
            methods++;
        }
        assertThat(methods).isEqualTo(14);
    }
}
