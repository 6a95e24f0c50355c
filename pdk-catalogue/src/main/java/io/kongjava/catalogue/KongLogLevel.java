package io.kongjava.catalogue;

import java.util.Arrays;
import java.util.Locale;
import java.util.Optional;

/**
 * nginx's error-log levels, most severe first: what kong.conf's {@code log_level} names (Kong's enum) and what Kong's
 * error.log shows for a line. A line is written when it is at least as severe as {@code log_level} (default: notice).
 * The PDK's functions are named alike but for {@code kong.log.err} (error) and {@code kong.log.deprecation} (warn).
 */
public enum KongLogLevel {
    EMERG, ALERT, CRIT, ERROR, WARN, NOTICE, INFO, DEBUG;

    /** Kong's default {@code log_level}. */
    public static final KongLogLevel DEFAULT = NOTICE;

    /** The level's name in kong.conf and in error.log. */
    public String kongName() {
        return name().toLowerCase(Locale.ROOT);
    }

    /** Whether a line at this level is written under {@code threshold}. */
    public boolean shownUnder(KongLogLevel threshold) {
        return ordinal() <= threshold.ordinal();
    }

    /** The level of a kong.conf {@code log_level} value. */
    public static Optional<KongLogLevel> fromKongName(String name) {
        return Arrays.stream(values()).filter(level -> level.kongName().equals(name)).findFirst();
    }

    /** The level a {@code kong.log.<function>} line is written at. */
    public static Optional<KongLogLevel> ofLogFunction(String function) {
        return switch (function) {
            case "err" -> Optional.of(ERROR);
            case "deprecation" -> Optional.of(WARN);
            case "error" -> Optional.empty(); // not a kong.log function
            default -> fromKongName(function);
        };
    }
}
