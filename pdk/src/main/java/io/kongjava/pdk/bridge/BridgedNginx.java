package io.kongjava.pdk.bridge;

import static io.kongjava.pdk.bridge.Calls.required;

import io.kongjava.catalogue.PdkFunction;
import io.kongjava.pdk.PdkException;
import io.kongjava.pdk.internal.Wire;
import io.kongjava.pdk.nginx.Nginx;
import java.util.Collections;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.Optional;

/**
 * {@code kong.nginx} over a {@link Bridge}: one Kong PDK function per method, named from the catalogue.
 *
 * <p>One exception to one call per method: {@code $kong_request_id} is read over the bridge once per event
 * and then remembered. Kong sets it once for the request, before any plugin runs, so it cannot change within
 * an event; a plugin that reads it and the relay that joins the request right after its access phase (same
 * event, same {@code Kong}) then share one round trip instead of making two.
 */
final class BridgedNginx implements Nginx {

    /** Kong's request id variable, fixed for the life of the request. */
    static final String REQUEST_ID_VAR = "kong_request_id";

    private final Calls calls;
    /** {@code $kong_request_id} once read (null before). */
    private volatile Optional<String> requestId;

    BridgedNginx(Calls calls) {
        this.calls = calls;
    }

    @Override public String getSubsystem() throws PdkException { return calls.text(PdkFunction.NGINX_GET_SUBSYSTEM); }

    @Override
    public Map<String, Long> getStatistics() throws PdkException {
        Map<String, Long> out = new LinkedHashMap<>();
        calls.map(PdkFunction.NGINX_GET_STATISTICS).forEach((k, v) -> {
            Long n = Wire.integer(v);
            if (n != null) {
                out.put(k, n);
            }
        });
        return Collections.unmodifiableMap(out);
    }

    @Override
    public Optional<String> getVar(String name) throws PdkException {
        if (!REQUEST_ID_VAR.equals(required(name, "name"))) {
            return calls.optionalText(PdkFunction.NGINX_GET_VAR, name);
        }
        Optional<String> known = requestId;
        if (known == null) {
            known = calls.optionalText(PdkFunction.NGINX_GET_VAR, name);
            requestId = known;
        }
        return known;
    }
    @Override public Optional<String> getTls1VersionStr() throws PdkException { return calls.optionalText(PdkFunction.NGINX_GET_TLS1_VERSION_STR); }
    @Override public Optional<Object> getCtx(String key) throws PdkException { return calls.value(PdkFunction.NGINX_GET_CTX, required(key, "key")); }
    @Override public void setCtx(String key, Object value) throws PdkException { calls.run(PdkFunction.NGINX_SET_CTX, required(key, "key"), value); }
    @Override public double reqStartTime() throws PdkException { return calls.number(PdkFunction.NGINX_REQ_START_TIME); }
}
