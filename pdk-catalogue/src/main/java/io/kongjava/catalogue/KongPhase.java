package io.kongjava.catalogue;

import java.util.Collections;
import java.util.EnumSet;
import java.util.Locale;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import java.util.function.Function;
import java.util.stream.Collectors;
import java.util.stream.Stream;

/**
 * The phases Kong hands an external plugin. Kong runs an external plugin's {@code log} handler in a timer
 * after the request, so there only what Kong saved of the request answers ({@link PdkFunction#logSnapshot()}).
 */
public enum KongPhase {
    CERTIFICATE, REWRITE, ACCESS, RESPONSE, PREREAD, LOG;

    /** Every phase: functions that do not depend on the request. */
    public static final Set<KongPhase> EVERY = frozen(values());
    /** Where the client connection is known: every phase but the log timer. */
    public static final Set<KongPhase> CONNECTION = frozen(CERTIFICATE, REWRITE, ACCESS, RESPONSE, PREREAD);
    /** Where the HTTP request can be read and the response still be changed. */
    public static final Set<KongPhase> REQUEST = frozen(REWRITE, ACCESS, RESPONSE);
    /** Where the upstream request can still be changed. */
    public static final Set<KongPhase> SERVICE_REQUEST = frozen(REWRITE, ACCESS);
    /** Where the balancer target can still be changed. */
    public static final Set<KongPhase> BALANCER = frozen(REWRITE, ACCESS, PREREAD);
    /** After authentication: the route, the consumer and the credential are known. */
    public static final Set<KongPhase> AUTHENTICATED = frozen(ACCESS, RESPONSE);
    public static final Set<KongPhase> ACCESS_ONLY = frozen(ACCESS);
    /** The response from the upstream is there (buffered proxying). */
    public static final Set<KongPhase> RESPONSE_ONLY = frozen(RESPONSE);
    public static final Set<KongPhase> LOG_ONLY = frozen(LOG);
    public static final Set<KongPhase> CERTIFICATE_ONLY = frozen(CERTIFICATE);
    public static final Set<KongPhase> PREREAD_ONLY = frozen(PREREAD);

    private static final Map<String, KongPhase> BY_KONG_NAME =
            Stream.of(values()).collect(Collectors.toUnmodifiableMap(KongPhase::kongName, Function.identity()));

    private final String kongName = name().toLowerCase(Locale.ROOT);

    /** The name Kong uses ({@code access}, {@code log}, ...): HandleEvent's EventName. */
    public String kongName() {
        return kongName;
    }

    public static Optional<KongPhase> fromKongName(String name) {
        return Optional.ofNullable(name == null ? null : BY_KONG_NAME.get(name));
    }

    /** An unmodifiable set of {@code phases}. */
    public static Set<KongPhase> frozenOf(KongPhase... phases) {
        return frozen(phases);
    }

    private static Set<KongPhase> frozen(KongPhase... phases) {
        EnumSet<KongPhase> set = EnumSet.noneOf(KongPhase.class);
        Collections.addAll(set, phases);
        return Collections.unmodifiableSet(set);
    }
}
