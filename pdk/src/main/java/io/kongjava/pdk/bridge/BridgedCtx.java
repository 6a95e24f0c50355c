package io.kongjava.pdk.bridge;

import static io.kongjava.pdk.bridge.Calls.required;

import io.kongjava.catalogue.PdkFunction;
import io.kongjava.pdk.PdkException;
import io.kongjava.pdk.ctx.Ctx;
import java.util.Optional;

/** {@code kong.ctx.shared} over a {@link Bridge}: one Kong PDK function per method, named from the catalogue. */
record BridgedCtx(Calls calls) implements Ctx, Ctx.Shared {

    @Override public Shared shared() { return this; }
    @Override public Optional<Object> get(String key) throws PdkException { return calls.value(PdkFunction.CTX_SHARED_GET, required(key, "key")); }
    @Override public void set(String key, Object value) throws PdkException { calls.run(PdkFunction.CTX_SHARED_SET, required(key, "key"), value); }
}
