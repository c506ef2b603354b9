package io.metacluster.admin;

/** How a Dropwizard metric's dotted name is spelled at {@code /metrics}, for readers of that page such as {@code top}. */
public final class MetricNames {
    /** The prefix of every metric of the daemon at {@code /metrics}. */
    public static final String PREFIX = "metacluster";

    private MetricNames() {
    }

    /** {@code dropwizardName} as a valid Prometheus metric name under {@code prefix}: every other character becomes {@code _}. */
    public static String prometheus(String prefix, String dropwizardName) {
        return (prefix + "_" + dropwizardName).replaceAll("[^a-zA-Z0-9_]", "_").replaceAll("__+", "_");
    }
}
