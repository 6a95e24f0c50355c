package io.kongjava.gateway;

/** A configuration Kong would refuse to start with; the message names the file, line or key. */
public class ConfigException extends Exception {
    public ConfigException(String message) {
        super(message);
    }
}
