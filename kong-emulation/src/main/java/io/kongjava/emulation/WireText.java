package io.kongjava.emulation;

import java.nio.charset.StandardCharsets;
import java.util.List;
import java.util.Map;

/**
 * The gateway holds what came off the wire (request line, header values) one char per byte, so that the bytes go on
 * unchanged. Kong hands a plugin those bytes as a Lua string, which our side decodes as UTF-8: a plugin reads
 * {@code café}, not {@code cafÃ©}, and the text a plugin sets goes on the wire as UTF-8.
 */
public final class WireText {

    private WireText() {
    }

    /** Wire chars (one per byte) as a plugin reads them: UTF-8 text, invalid sequences replaced. */
    public static String text(String wire) {
        if (wire == null) {
            return null;
        }
        for (int i = 0; i < wire.length(); i++) {
            if (wire.charAt(i) >= 0x80) {
                return new String(wire.getBytes(StandardCharsets.ISO_8859_1), StandardCharsets.UTF_8);
            }
        }
        return wire;
    }

    /** A plugin's text as the gateway writes it: its UTF-8 bytes, one char per byte. */
    public static String wire(String text) {
        if (text == null) {
            return null;
        }
        for (int i = 0; i < text.length(); i++) {
            if (text.charAt(i) >= 0x80) {
                return new String(text.getBytes(StandardCharsets.UTF_8), StandardCharsets.ISO_8859_1);
            }
        }
        return text;
    }

    /** {@link #text} of every value. */
    public static List<String> text(List<String> wire) {
        return wire.stream().map(WireText::text).toList();
    }

    /** {@link #wire} of every value of every header. */
    public static Map<String, List<String>> wire(Map<String, List<String>> headers) {
        Map<String, List<String>> out = new java.util.LinkedHashMap<>();
        headers.forEach((name, values) -> out.put(name, new java.util.ArrayList<>(values.stream().map(WireText::wire).toList())));
        return out;
    }
}
