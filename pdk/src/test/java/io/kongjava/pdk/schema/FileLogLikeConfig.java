package io.kongjava.pdk.schema;

import java.util.Map;

/** A config shaped like Kong's file-log; the path's filename rule is checked by the plugin itself. */
record FileLogLikeConfig(
        String path,
        @Default("false") boolean reopen,
        @LenMin(1) Map<String, String> customFieldsByLua) {
}
