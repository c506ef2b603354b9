/**
 * The memcached protocol plugin: text, meta and binary memcached, as memcached 1.6 speaks them.
 *
 * <p>{@link io.metacluster.memcached.MemcachedProtocol} is the PF4J extension. A client
 * connection's {@link io.metacluster.memcached.MemcachedClientCodec} picks the text or the binary
 * decoder from the first byte; both turn requests into {@link io.metacluster.spi.Command}s whose
 * {@code detail()} is a {@link io.metacluster.memcached.Request} that tells the
 * {@link io.metacluster.memcached.MemcachedBackendCodec} how the reply is framed and the client
 * codec which replies the client asked not to see.
 *
 * <p>Every class here is confined to one event loop (one instance per connection) unless it says
 * it is immutable; nothing blocks.
 */
package io.metacluster.memcached;
