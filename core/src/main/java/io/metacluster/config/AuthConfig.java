package io.metacluster.config;

import java.nio.charset.StandardCharsets;
import java.security.MessageDigest;
import java.util.List;

/**
 * Client authentication at a listener: nothing reaches a backend before a client has
 * authenticated. Use {@code ${ENV_VAR}} in the file to keep the secrets out of it.
 *
 * @param password the password of the default user (Redis {@code AUTH <password>})
 * @param users    named users (Redis {@code AUTH <user> <password>}, memcached SASL PLAIN)
 */
public record AuthConfig(String password, List<User> users) {
    public record User(String name, String password) {
        @Override
        public String toString() {
            return "User[name=" + name + "]";
        }
    }

    public AuthConfig {
        users = users == null ? List.of() : List.copyOf(users);
    }

    /** Whether the credentials are right; {@code username} null or "default" means the default user. */
    public boolean accepts(String username, String candidate) {
        if (candidate == null) {
            return false;
        }
        if (username == null || username.equals("default")) {
            return password != null && same(password, candidate);
        }
        boolean accepted = false;
        for (User user : users) {
            // every user is compared, so the time taken does not tell which names exist
            accepted |= user.name().equals(username) & same(user.password(), candidate);
        }
        return accepted;
    }

    private static boolean same(String expected, String candidate) {
        return MessageDigest.isEqual(expected.getBytes(StandardCharsets.UTF_8), candidate.getBytes(StandardCharsets.UTF_8));
    }

    @Override
    public String toString() {
        return "AuthConfig[users=" + users + "]";
    }
}
