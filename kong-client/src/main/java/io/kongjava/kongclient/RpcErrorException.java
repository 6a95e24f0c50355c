package io.kongjava.kongclient;

import java.util.Locale;

/** The plugin server answered a call with an error string (Kong lower-cases and logs it). */
public class RpcErrorException extends Exception {

    private final String method;
    private final String error;

    public RpcErrorException(String method, String error) {
        super(method + " failed: " + error);
        this.method = method;
        this.error = error;
    }

    public String method() {
        return method;
    }

    public String error() {
        return error;
    }

    /** Kong's test for a server that lost the instance (restarted, expired): it then starts it again. */
    public boolean isNoPluginInstance() {
        return error.toLowerCase(Locale.ROOT).contains("no plugin instance");
    }
}
