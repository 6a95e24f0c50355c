package io.kongjava.pdk.exchange;

/**
 * Opt-in for a plugin that hands values to other Java plugins of the same request, or reads theirs (for
 * instance a log phase reading figures a response filter measured): the plugin server, and the test kit,
 * give such a plugin the process's {@link RequestExchange} once, before its first phase. Most plugins need
 * nothing of the kind and never see it.
 */
public interface UsesRequestExchange {

    /** Called once before any phase (and again by a test that brings its own exchange). */
    void useRequestExchange(RequestExchange exchange);
}
