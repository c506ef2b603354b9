package io.metacluster.spi;

/**
 * What a {@link BackendCodec} needs to know of the node it talks to.
 *
 * @param cluster  the cluster's name
 * @param address  the node as {@code host:port}
 * @param username backend user for authentication, or {@code null}
 * @param password backend password for authentication, or {@code null} for none
 * @param database logical database to select after connecting (Redis), 0 for the default
 */
public record BackendSettings(String cluster, String address, String username, String password, int database) {
}
