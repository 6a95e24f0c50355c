package io.kongjava.plugins.filelog;

import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;
import io.kongjava.pdk.InvalidConfigException;
import io.kongjava.pdk.Kong;
import io.kongjava.pdk.KongPlugin;
import io.kongjava.pdk.PdkException;
import io.kongjava.pdk.exchange.ProcessRequestExchange;
import io.kongjava.pdk.exchange.RequestExchange;
import io.kongjava.pdk.exchange.UsesRequestExchange;
import java.lang.System.Logger.Level;
import java.nio.charset.StandardCharsets;
import java.nio.file.attribute.PosixFilePermission;
import java.time.Duration;
import java.util.EnumSet;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.regex.Pattern;

/**
 * {@code java-file-log}: Kong's file-log as an external plugin. Each request writes one JSON line: Kong's
 * serialized log record, plus the {@code ai} block java-ai-proxy measured for that request. That block is
 * handed over inside this plugin server (Kong runs external log phases later, on a snapshot taken before
 * java-ai-proxy's figures exist).
 */
@KongPlugin.Info(name = "java-file-log", version = "0.1.0", priority = 9)
public final class FileLogPlugin implements KongPlugin<FileLogConfig>, UsesRequestExchange {

    /** java-ai-proxy's relay ticket header (Relay.TICKET_HEADER), never written to a line. */
    static final String RELAY_TICKET_HEADER = "x-kong-java-relay-ticket";

    private static final System.Logger LOG = System.getLogger(FileLogPlugin.class.getName());
    private static final ObjectMapper JSON = new ObjectMapper();
    /** Kong's rule: no * & % \ or backtick anywhere, no white space at either end, at least two characters. */
    private static final Pattern OCTAL_MODE = Pattern.compile("^0?[0-7]{3}$");
    /**
     * Credentials never written, whichever plugins ran: Kong's two, and x-api-key (Anthropic's and many APIs' key),
     * which java-ai-proxy otherwise names in its block: a request it did not handle (a config it refused, Kong failing
     * open) must not put the client's key in the log either.
     */
    private static final List<String> ALWAYS_REDACTED = List.of("authorization", "proxy-authorization", "x-api-key");
    /** The key java-ai-proxy publishes its per-request block under, in the request exchange. */
    static final String AI_KEY = "ai";
    /** java-ai-proxy's fallback block, for a request whose access phase Kong abandoned. */
    static final String AI_PENDING_KEY = "ai_pending";
    /** The key the plugin server's response relay publishes its block for the request under. */
    static final String RELAY_KEY = "relay";

    private volatile RequestExchange exchange = ProcessRequestExchange.shared();

    @Override
    public void useRequestExchange(RequestExchange exchange) {
        this.exchange = exchange;
    }

    /** Failures already reported (path, stage and reason), so a broken disk does not flood the log. */
    private final Set<String> reported = ConcurrentHashMap.newKeySet();
    /** Paths failing now, with the appender's failure count before the first failure. */
    private final Map<String, Long> failingSince = new ConcurrentHashMap<>();
    /** When each failing path's loss was last counted in the log: a disk that never recovers must not keep it unsaid. */
    private final Map<String, Long> lossLastReported = new ConcurrentHashMap<>();
    static final Duration LOSS_REPORT_EVERY = Duration.ofMinutes(1);
    /** The clock of those reports; a test's own. */
    java.util.function.LongSupplier nanoClock = System::nanoTime;

    private static final java.util.regex.Pattern DOTTED_KEY = java.util.regex.Pattern.compile("[^.]+(\\.[^.]+)*");

    /**
     * Into Kong's error log, once (the server's own log reaches the same file under Kong, and the same console on the
     * local gateway); into the server's log only when Kong's cannot be written to.
     */
    private static void report(Kong kong, Level level, String message) {
        try {
            if (level == Level.ERROR) {
                kong.log().err(message);
            } else {
                kong.log().warn(message);
            }
        } catch (PdkException e) {
            LOG.log(level, message);
        }
    }

    @Override
    public void validate(FileLogConfig config) throws InvalidConfigException {
        if (!config.customFieldsByLua().isEmpty()) {
            throw new InvalidConfigException("custom_fields_by_lua", "Lua cannot run in the Java plugin server; "
                    + "use custom_fields (a value, or $field.path to copy a field of the log record)");
        }
        if (!OCTAL_MODE.matcher(config.mode()).matches()) {
            throw new InvalidConfigException("mode", "expected file permissions in octal, e.g. 0644");
        }
        for (String key : config.customFields().keySet()) {
            if (key.isEmpty()) {
                throw new InvalidConfigException("custom_fields", "length must be at least 1");
            }
            if (!DOTTED_KEY.matcher(key).matches()) {
                // "." or "a..b" would name no field, and every line would be lost to the failure at the log phase
                throw new InvalidConfigException("custom_fields", "'" + key + "' is not a field path: names joined by single dots, none empty");
            }
        }
    }

    @Override
    public void log(Kong kong, FileLogConfig config) throws PdkException {
        byte[] line;
        try {
            line = render(kong, config);
        } catch (JsonProcessingException e) {
            kong.log().err("[file-log] cannot read the log record: " + e.getOriginalMessage());
            return;
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            return;
        }
        FileAppender appender = FileAppender.forPath(config.path());
        FileAppender.Outcome outcome = appender.append(line, config.reopen(), permissions(config.mode()));
        String path = config.path();
        if (outcome.written()) {
            Long failedBefore = failingSince.remove(path);
            lossLastReported.remove(path);
            reported.removeIf(key -> key.startsWith(path + "\u0000"));
            if (failedBefore != null) {
                String message = "[file-log] writing to " + path + " again; lines lost while it failed: "
                        + (appender.failures() - failedBefore);
                report(kong, Level.WARNING, message);
            }
            return;
        }
        long failedBefore = failingSince.computeIfAbsent(path, p -> appender.failures() - 1);
        long now = nanoClock.getAsLong();
        if (reported.add(path + "\u0000" + outcome.stage() + outcome.failure())) {
            lossLastReported.put(path, now);
            String message = "[file-log] failed to " + outcome.stage() + " the file: " + outcome.failure() + " (" + path + ")";
            report(kong, Level.ERROR, message);
            return;
        }
        Long last = lossLastReported.get(path);
        if (last != null && now - last >= LOSS_REPORT_EVERY.toNanos() && lossLastReported.replace(path, last, now)) {
            String message = "[file-log] still failing to " + outcome.stage() + " " + path + ": " + outcome.failure()
                    + "; lines lost so far: " + (appender.failures() - failedBefore);
            report(kong, Level.ERROR, message);
        }
    }

    byte[] render(Kong kong, FileLogConfig config) throws PdkException, JsonProcessingException, InterruptedException {
        String serialized = kong.log().serialize();
        Optional<SerializedRecord> scanned = config.customFields().isEmpty() ? SerializedRecord.scan(serialized) : Optional.empty();
        if (scanned.isPresent()) {
            Map<?, ?> relay = block(scanned.get().requestId(), RELAY_KEY, config);
            if (relay == null || !(relay.get("fields") instanceof Map<?, ?> fields && !fields.isEmpty())) {
                // No filter log field to set by path (the how-to's case): the relay block is one more member
                // at the end, so Kong's text is spliced rather than parsed and written out again as a tree.
                return splice(scanned.get(), block(scanned.get().requestId(), AI_KEY, config), relay);
            }
        }
        ObjectNode record = parse(serialized);
        String requestId = record.path("request").path("id").asText("");
        return line(record, block(requestId, AI_KEY, config), block(requestId, RELAY_KEY, config), config).getBytes(StandardCharsets.UTF_8);
    }

    /** What another Java plugin of this request (or the server's relay) published under {@code key}. */
    private Map<?, ?> block(String requestId, String key, FileLogConfig config) throws InterruptedException {
        if (requestId.isEmpty()) {
            return null;
        }
        Optional<Object> value = exchange.await(requestId, key, Duration.ofMillis(config.aiWaitMs()));
        if (value.isEmpty() && AI_KEY.equals(key)) {
            // java-ai-proxy's access phase started but never finished (Kong ended the request around it): its
            // fallback block says so and still names the headers to redact
            value = exchange.await(requestId, AI_PENDING_KEY, Duration.ZERO);
            if (value.isEmpty()) {
                // the fallback is dropped once the block comes, so the block came between the two looks
                value = exchange.await(requestId, AI_KEY, Duration.ZERO);
            }
        }
        return value.isPresent() && value.get() instanceof Map<?, ?> block ? block : null;
    }

    /** The line from Kong's own text, when no custom field needs the record as a tree. */
    static byte[] splice(SerializedRecord record, Map<?, ?> aiBlock) throws JsonProcessingException {
        return splice(record, aiBlock, null);
    }

    /** The line with the relay's block too, which must have no {@code fields} to set by path. */
    static byte[] splice(SerializedRecord record, Map<?, ?> aiBlock, Map<?, ?> relayBlock) throws JsonProcessingException {
        Set<String> redacted = new java.util.HashSet<>(ALWAYS_REDACTED);
        Set<String> dropped = new java.util.HashSet<>(List.of(RELAY_TICKET_HEADER));
        byte[] aiJson = null;
        if (aiBlock != null) {
            if (aiBlock.get("redact_headers") instanceof List<?> names) {
                names.forEach(name -> redacted.add(String.valueOf(name).toLowerCase(java.util.Locale.ROOT)));
            }
            if (aiBlock.get("drop_headers") instanceof List<?> names) {
                names.forEach(name -> dropped.add(String.valueOf(name).toLowerCase(java.util.Locale.ROOT)));
            }
            Map<Object, Object> measured = new java.util.LinkedHashMap<>(aiBlock);
            measured.remove("redact_headers");
            measured.remove("drop_headers");
            if (!measured.isEmpty()) {
                aiJson = JSON.writeValueAsBytes(measured);
            }
        }
        // Kong's nginx passes header names with underscores (underscores_in_headers on): x_api_key is a credential too
        List.copyOf(redacted).forEach(name -> redacted.add(name.replace('-', '_')));
        byte[] relayJson = null;
        if (relayBlock != null) {
            Map<Object, Object> relay = new java.util.LinkedHashMap<>(relayBlock);
            relay.remove("fields");
            relayJson = JSON.writeValueAsBytes(relay);
        }
        return record.line(redacted, dropped, aiJson, relayJson);
    }

    private static ObjectNode parse(String serialized) throws JsonProcessingException {
        if (!(JSON.readTree(serialized) instanceof ObjectNode record)) {
            throw new JsonProcessingException("kong.log.serialize did not return a JSON object") { };
        }
        return record;
    }

    /** Kong's record with the ai block merged in, redacted and with the custom fields: the line to write. */
    static String line(ObjectNode record, Map<?, ?> aiBlock, FileLogConfig config) throws JsonProcessingException {
        return line(record, aiBlock, null, config);
    }

    /**
     * The line with the relay's block too: {@code relay} says how the relayed exchange ended (a filter that
     * failed is named there), and each response filter's log fields are set by their dotted paths.
     */
    static String line(ObjectNode record, Map<?, ?> aiBlock, Map<?, ?> relayBlock, FileLogConfig config) throws JsonProcessingException {
        if (aiBlock != null) {
            mergeAi(record, aiBlock);
        }
        if (relayBlock != null) {
            mergeRelay(record, relayBlock);
        }
        ALWAYS_REDACTED.forEach(header -> redact(record, header));
        // java-ai-proxy's relay ticket is set on the request in access, so Kong's serializer lists it; it is left
        // out even when the ai block did not come (not even as REDACTED: it says nothing to a reader of the log).
        drop(record, RELAY_TICKET_HEADER);
        applyCustomFields(record, config.customFields());
        return JSON.writeValueAsString(record) + "\n";
    }

    /**
     * Renders a typical record (the how-to's, with an ai block and a custom field) a few thousand times, so
     * that Kong's first log events do not run the JSON code cold; nothing is written.
     */
    @Override
    public void warmUp() {
        FileLogConfig config = new FileLogConfig("/dev/null", false, Map.of("warm", "$request.id"), Map.of(), "0644", 2000);
        long deadline = System.nanoTime() + Duration.ofMillis(1500).toNanos();
        try (var sample = FileLogPlugin.class.getResourceAsStream("warm-up-record.json")) {
            String serialized = new String(sample.readAllBytes(), StandardCharsets.UTF_8);
            Map<?, ?> ai = JSON.readValue(serialized, Map.class).get("ai") instanceof Map<?, ?> block ? block : Map.of();
            String plain = JSON.writeValueAsString(((ObjectNode) JSON.readTree(serialized)).without("ai"));
            for (int i = 0; i < 1500 && System.nanoTime() < deadline; i++) {
                line(parse(serialized), ai, config);
                splice(SerializedRecord.scan(plain).orElseThrow(), ai);
            }
        } catch (java.io.IOException | RuntimeException e) {
            LOG.log(Level.DEBUG, () -> "warm-up skipped: " + e);
        }
    }

    private static void mergeAi(ObjectNode record, Map<?, ?> block) {
        Object redactHeaders = block.get("redact_headers");
        if (redactHeaders instanceof List<?> names) {
            names.forEach(name -> redact(record, String.valueOf(name)));
        }
        Object dropHeaders = block.get("drop_headers");
        if (dropHeaders instanceof List<?> names) {
            names.forEach(name -> drop(record, String.valueOf(name)));
        }
        JsonNode measured = JSON.valueToTree(block);
        if (measured instanceof ObjectNode object) {
            object.remove("redact_headers");
            object.remove("drop_headers");
            if (object.isEmpty()) {
                return;
            }
            JsonNode existing = record.get("ai");
            record.set("ai", existing instanceof ObjectNode existingObject ? deepMerge(existingObject, object) : object);
        }
    }

    private static void mergeRelay(ObjectNode record, Map<?, ?> block) {
        ObjectNode relay = JSON.valueToTree(block);
        JsonNode fields = relay.remove("fields");
        record.set("relay", relay);
        if (fields instanceof ObjectNode byPath) {
            byPath.properties().forEach(field -> {
                String[] path = field.getKey().split("\\.");
                ObjectNode parent = record;
                for (int i = 0; i < path.length - 1; i++) {
                    parent = parent.get(path[i]) instanceof ObjectNode child ? child : parent.putObject(path[i]);
                }
                parent.set(path[path.length - 1], field.getValue());
            });
        }
    }

    private static ObjectNode deepMerge(ObjectNode target, ObjectNode source) {
        source.properties().forEach(entry -> {
            JsonNode current = target.get(entry.getKey());
            if (current instanceof ObjectNode currentObject && entry.getValue() instanceof ObjectNode sourceObject) {
                deepMerge(currentObject, sourceObject);
            } else {
                target.set(entry.getKey(), entry.getValue());
            }
        });
        return target;
    }

    private static void drop(ObjectNode record, String header) {
        if (record.path("request").path("headers") instanceof ObjectNode headers) {
            headers.remove(header.toLowerCase(java.util.Locale.ROOT));
        }
    }

    private static void redact(ObjectNode record, String header) {
        JsonNode headers = record.path("request").path("headers");
        String name = header.toLowerCase(java.util.Locale.ROOT);
        for (String spelling : List.of(name, name.replace('-', '_'))) {
            if (headers instanceof ObjectNode object && object.has(spelling)) {
                object.put(spelling, "REDACTED");
            }
        }
    }

    private static void applyCustomFields(ObjectNode record, Map<String, String> fields) {
        if (fields.isEmpty()) {
            return;
        }
        ObjectNode original = record.deepCopy();
        fields.forEach((key, value) -> {
            JsonNode resolved;
            if (value.startsWith("$$")) {
                resolved = JSON.getNodeFactory().textNode(value.substring(1));
            } else if (value.startsWith("$")) {
                resolved = lookup(original, value.substring(1));
            } else {
                resolved = JSON.getNodeFactory().textNode(value);
            }
            set(record, key, resolved);
        });
    }

    private static JsonNode lookup(JsonNode node, String dottedPath) {
        JsonNode current = node;
        for (String part : dottedPath.split("\\.")) {
            current = current.path(part);
        }
        return current.isMissingNode() ? JSON.getNodeFactory().nullNode() : current;
    }

    private static void set(ObjectNode record, String dottedKey, JsonNode value) {
        String[] parts = dottedKey.split("\\.");
        ObjectNode node = record;
        for (int i = 0; i < parts.length - 1; i++) {
            JsonNode child = node.get(parts[i]);
            node = child instanceof ObjectNode childObject ? childObject : node.putObject(parts[i]);
        }
        node.set(parts[parts.length - 1], value);
    }

    static Set<PosixFilePermission> permissions(String octal) {
        int bits = Integer.parseInt(octal, 8);
        Set<PosixFilePermission> set = EnumSet.noneOf(PosixFilePermission.class);
        PosixFilePermission[] order = {PosixFilePermission.OTHERS_EXECUTE, PosixFilePermission.OTHERS_WRITE, PosixFilePermission.OTHERS_READ,
                PosixFilePermission.GROUP_EXECUTE, PosixFilePermission.GROUP_WRITE, PosixFilePermission.GROUP_READ,
                PosixFilePermission.OWNER_EXECUTE, PosixFilePermission.OWNER_WRITE, PosixFilePermission.OWNER_READ};
        for (int i = 0; i < order.length; i++) {
            if ((bits & (1 << i)) != 0) {
                set.add(order[i]);
            }
        }
        return set;
    }
}
