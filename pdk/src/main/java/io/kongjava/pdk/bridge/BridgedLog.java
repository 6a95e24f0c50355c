package io.kongjava.pdk.bridge;

import static io.kongjava.pdk.bridge.Calls.required;

import io.kongjava.catalogue.PdkFunction;
import io.kongjava.pdk.PdkException;
import io.kongjava.pdk.log.Log;
import io.kongjava.pdk.log.SerializeMode;
import java.util.Map;

/** {@code kong.log} over a {@link Bridge}: one Kong PDK function per method, named from the catalogue. */
record BridgedLog(Calls calls) implements Log {

    private void level(PdkFunction level, String message) throws PdkException {
        calls.run(level, message == null ? "nil" : message);
    }

    @Override public void emerg(String message) throws PdkException { level(PdkFunction.LOG_EMERG, message); }
    @Override public void alert(String message) throws PdkException { level(PdkFunction.LOG_ALERT, message); }
    @Override public void crit(String message) throws PdkException { level(PdkFunction.LOG_CRIT, message); }
    @Override public void err(String message) throws PdkException { level(PdkFunction.LOG_ERR, message); }
    @Override public void warn(String message) throws PdkException { level(PdkFunction.LOG_WARN, message); }
    @Override public void notice(String message) throws PdkException { level(PdkFunction.LOG_NOTICE, message); }
    @Override public void info(String message) throws PdkException { level(PdkFunction.LOG_INFO, message); }
    @Override public void debug(String message) throws PdkException { level(PdkFunction.LOG_DEBUG, message); }
    @Override public void deprecation(String message) throws PdkException { level(PdkFunction.LOG_DEPRECATION, message); }

    @Override
    public void setSerializeValue(String key, Object value, SerializeMode mode) throws PdkException {
        required(key, "key");
        required(mode, "mode");
        if (mode == SerializeMode.SET) {
            calls.run(PdkFunction.LOG_SET_SERIALIZE_VALUE, key, value);
            return;
        }
        if (value == null) {
            // {mode} after a nil value would be lost; Kong's nil value means "unset" anyway.
            throw new IllegalArgumentException(PdkFunction.LOG_SET_SERIALIZE_VALUE.kongName() + ": a null value can only be used with mode SET");
        }
        calls.run(PdkFunction.LOG_SET_SERIALIZE_VALUE, key, value, Map.of("mode", mode.kongName()));
    }

    @Override public String serialize() throws PdkException { return calls.text(PdkFunction.LOG_SERIALIZE); }
}
