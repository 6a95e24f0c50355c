package io.kongjava.pdk;

import io.kongjava.catalogue.KongPhase;
import java.util.Arrays;
import java.util.Map;
import java.util.Optional;

/** The phases Kong lets an external plugin implement, with the names Kong uses on the wire. */
public enum Phase {
    CERTIFICATE,
    REWRITE,
    ACCESS,
    /** Declaring it turns on buffered proxying for every request where the plugin runs. */
    RESPONSE,
    PREREAD,
    /** Runs after the request, in a timer, on a snapshot of the request taken when the log phase began. */
    LOG;

    /** The name comes from the catalogue's phase of the same constant name (a missing one fails here). */
    private final String kongName = KongPhase.valueOf(name()).kongName();

    /** The name Kong sends as {@code EventName} and expects in a plugin's {@code Phases}. */
    public String kongName() {
        return kongName;
    }

    /** Calls this phase's method of {@code plugin}: the one dispatch the plugin server and the test kit share. */
    public <C extends Record> void invoke(KongPlugin<C> plugin, Kong kong, C config) throws PdkException {
        switch (this) {
            case CERTIFICATE -> plugin.certificate(kong, config);
            case REWRITE -> plugin.rewrite(kong, config);
            case ACCESS -> plugin.access(kong, config);
            case RESPONSE -> plugin.response(kong, config);
            case PREREAD -> plugin.preread(kong, config);
            case LOG -> plugin.log(kong, config);
        }
    }

    private static final Map<String, Phase> BY_KONG_NAME =
            Arrays.stream(values()).collect(java.util.stream.Collectors.toUnmodifiableMap(p -> p.kongName, p -> p));

    public static Optional<Phase> fromKongName(String name) {
        return Optional.ofNullable(name == null ? null : BY_KONG_NAME.get(name));
    }
}
