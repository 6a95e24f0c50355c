package io.kongjava.plugins.aisanitizer;

import io.kongjava.pdk.InvalidConfigException;
import io.kongjava.pdk.Kong;
import io.kongjava.pdk.KongPlugin;
import io.kongjava.pdk.filter.FiltersResponse;
import io.kongjava.pdk.filter.ResponseFilter;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.ConcurrentHashMap;

/**
 * Redacts secrets, e-mail addresses and custom patterns from the model's answers, streamed or not, before
 * they reach the client (Claude Code, say, printing an API key a tool read). Priority 780: just before
 * java-ai-proxy (770), so on a route with both it filters first and sees the provider's own Anthropic answer,
 * whichever format java-ai-proxy then gives the client (OpenAI's included), and java-ai-proxy's logged
 * payloads are redacted too. The number of redactions is written to the log line as
 * {@code ai.sanitizer.redactions}.
 */
@KongPlugin.Info(name = "java-ai-sanitizer", version = "0.1.0", priority = 780)
public final class SanitizerPlugin implements KongPlugin<SanitizerConfig>, FiltersResponse<SanitizerConfig> {

    private final Map<SanitizerConfig, Redactor> redactors = new ConcurrentHashMap<>();

    @Override
    public void validate(SanitizerConfig config) throws InvalidConfigException {
        Map<String, String> problems = Redactor.problems(config);
        if (!problems.isEmpty()) {
            throw new InvalidConfigException(problems);
        }
    }

    @Override
    public Optional<ResponseFilter> responseFilter(Kong kong, SanitizerConfig config) {
        if (redactors.size() > 1024) {
            redactors.clear();
        }
        return Optional.of(new SanitizerFilter(redactors.computeIfAbsent(config, Redactor::of)));
    }
}
