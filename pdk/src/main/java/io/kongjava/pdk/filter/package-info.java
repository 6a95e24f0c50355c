/**
 * Streaming response hooks: a plugin implementing {@link io.kongjava.pdk.filter.FiltersResponse} gets a
 * {@link io.kongjava.pdk.filter.ResponseFilter} per request that sees the upstream's answer chunk by chunk,
 * under any Kong 3.x, through the plugin server's loopback relay.
 */
package io.kongjava.pdk.filter;
