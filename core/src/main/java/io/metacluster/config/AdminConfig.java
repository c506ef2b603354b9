package io.metacluster.config;

/**
 * The admin HTTP endpoint ({@code /health}, {@code /ready}, {@code /clusters}, {@code /config},
 * {@code /metrics}, {@code POST /reload}, {@code POST /clusters/NAME/resync}); absent from the
 * config, there is none. A config reload may change the token, not the address.
 *
 * @param bind  where it listens; keep it on loopback or a management network
 * @param token when set, every request must carry {@code Authorization: Bearer <token>};
 *              write {@code ${ADMIN_TOKEN}} to keep it out of the file
 */
public record AdminConfig(HostPort bind, String token) {
    @Override
    public String toString() {
        // keeps the token out of logs and error messages
        return "AdminConfig[bind=" + bind + ", token=" + (token == null ? "none" : "set") + "]";
    }
}
