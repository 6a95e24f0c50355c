package io.kongjava.pdk.log;

/** The {@code mode} option of {@code kong.log.set_serialize_value}. */
public enum SerializeMode {
    /** Sets the value whether or not it exists (Kong's default). */
    SET("set"),
    /** Sets the value only if it does not exist yet. */
    ADD("add"),
    /** Sets the value only if it exists already. */
    REPLACE("replace");

    private final String kongName;

    SerializeMode(String kongName) {
        this.kongName = kongName;
    }

    public String kongName() {
        return kongName;
    }
}
