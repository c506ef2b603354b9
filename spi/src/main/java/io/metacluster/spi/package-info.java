/**
 * The extension points of Metacluster.
 *
 * <p>Threading contract shared by every type here: the engine runs each client connection and
 * the backend connections serving it on one Netty event loop. Every method documented as
 * "called on the event loop" must return quickly and must never block (no I/O, no locks held
 * across calls, no sleeping). Buffers passed in are owned by the caller unless a method says
 * otherwise; an implementation that wants to keep one must {@code retain()} it and later
 * {@code release()} it.
 *
 * <p>Extensions are discovered with PF4J: a plugin jar marks its factories with
 * {@code @org.pf4j.Extension} and the host finds them by the {@code name()} they return.
 */
package io.metacluster.spi;
