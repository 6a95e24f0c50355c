package io.kongjava.gateway;

import com.fasterxml.jackson.core.JsonParser;
import com.fasterxml.jackson.core.JsonToken;
import com.fasterxml.jackson.dataformat.yaml.YAMLFactory;
import java.io.IOException;
import java.util.HashMap;
import java.util.Map;

/**
 * Where each key and array element of a YAML document is, by its path as error messages write it:
 * {@code services[0].routes[1].plugins[0].config.model.name}. Jackson's tree keeps no locations; its
 * streaming parser has them.
 */
final class YamlLines {

    private YamlLines() {
    }

    /** The 1-based line of every key and element of {@code yaml} (the first line a path appears on). */
    static Map<String, Integer> index(String yaml) throws IOException {
        Map<String, Integer> lines = new HashMap<>();
        try (JsonParser parser = new YAMLFactory().createParser(yaml)) {
            if (parser.nextToken() != null) {
                walk(parser, "", lines);
            }
        }
        return lines;
    }

    private static void walk(JsonParser parser, String path, Map<String, Integer> lines) throws IOException {
        JsonToken token = parser.currentToken();
        if (token == JsonToken.START_OBJECT) {
            while (parser.nextToken() == JsonToken.FIELD_NAME) {
                String child = path.isEmpty() ? parser.currentName() : path + "." + parser.currentName();
                lines.putIfAbsent(child, parser.currentTokenLocation().getLineNr());
                parser.nextToken();
                walk(parser, child, lines);
            }
        } else if (token == JsonToken.START_ARRAY) {
            int index = 0;
            while (parser.nextToken() != JsonToken.END_ARRAY) {
                String child = path + "[" + index++ + "]";
                lines.putIfAbsent(child, parser.currentTokenLocation().getLineNr());
                walk(parser, child, lines);
            }
        }
    }

    /** {@code a.b[2]} for {@code a.b[2].c}, {@code a.b} for {@code a.b[2]}, "" at the top. */
    static String parent(String path) {
        int cut = Math.max(path.lastIndexOf('.'), path.lastIndexOf('['));
        return cut < 0 ? "" : path.substring(0, cut);
    }
}
