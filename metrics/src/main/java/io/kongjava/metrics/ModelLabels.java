package io.kongjava.metrics;

import java.lang.System.Logger.Level;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.atomic.AtomicBoolean;

/**
 * Model names as label values and span names, bounded. A model name can come from a client (a request refused for
 * its model, a route that pins none) and every new value is a new series that lives as long as the server: without a
 * bound, requests with made-up names of a few megabytes each grow every scrape until the endpoint runs out of memory.
 */
final class ModelLabels {

    private static final System.Logger LOG = System.getLogger(ModelLabels.class.getName());
    static final int MAX_LENGTH = 128;
    static final int MAX_DISTINCT = 200;
    /** The label of every model past the first {@link #MAX_DISTINCT}. */
    static final String OTHER = "other";

    private final Set<String> seen = ConcurrentHashMap.newKeySet();
    private final AtomicBoolean warned = new AtomicBoolean();

    /** {@code model} cut to {@link #MAX_LENGTH} characters, or {@link #OTHER} once {@link #MAX_DISTINCT} names were seen. */
    String of(String model) {
        if (model == null) {
            return null;
        }
        String label = cut(model);
        if (seen.contains(label)) {
            return label;
        }
        synchronized (seen) {
            if (seen.size() < MAX_DISTINCT) {
                seen.add(label);
                return label;
            }
        }
        if (warned.compareAndSet(false, true)) {
            LOG.log(Level.WARNING, "metrics: more than " + MAX_DISTINCT + " model names seen; the next ones are labelled '"
                    + OTHER + "' (clients naming models the route refuses, or a route that pins no model?)");
        }
        return OTHER;
    }

    /** {@code value} cut to {@link #MAX_LENGTH} characters: for values that are no label of their own. */
    static String cut(String value) {
        return value == null || value.length() <= MAX_LENGTH ? value : value.substring(0, MAX_LENGTH);
    }

    /** The block with its request model as a bounded label, and its provider and response model cut. */
    AiBlock bound(AiBlock block) {
        return new AiBlock(block.requestId(), cut(block.provider()), of(block.requestModel()), cut(block.responseModel()),
                block.promptTokens(), block.completionTokens(), block.totalTokens(), block.cachedTokens(),
                block.cacheCreationTokens(), block.cost(), block.latencyMillis(), block.timeToFirstTokenMillis(),
                block.finishReason(), block.requestMode(), block.outcome(), block.requestType(), block.upstreamStatus());
    }
}
