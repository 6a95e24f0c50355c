package io.kongjava.server;

import java.io.PrintWriter;
import java.io.StringWriter;
import java.util.logging.Formatter;
import java.util.logging.LogRecord;

/**
 * One line per record, without timestamps: Kong already writes each line of the server's output into its
 * error log with a time and a {@code [name:pid]} prefix. Stack traces follow on their own lines.
 */
public final class OneLineFormatter extends Formatter {

    @Override
    public String format(LogRecord record) {
        String logger = record.getLoggerName() == null ? "" : record.getLoggerName();
        String shortLogger = logger.substring(logger.lastIndexOf('.') + 1);
        StringBuilder line = new StringBuilder()
                .append(level(record)).append(' ').append(shortLogger).append(": ").append(formatMessage(record))
                .append(System.lineSeparator());
        if (record.getThrown() != null) {
            StringWriter trace = new StringWriter();
            record.getThrown().printStackTrace(new PrintWriter(trace));
            line.append(trace);
        }
        return line.toString();
    }

    private static String level(LogRecord record) {
        return switch (record.getLevel().getName()) {
            case "SEVERE" -> "error";
            case "WARNING" -> "warn";
            case "INFO" -> "info";
            default -> "debug";
        };
    }
}
