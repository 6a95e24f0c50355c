package io.kongjava.pdk.filter;

import java.io.IOException;

/** Where a {@link CallsUpstream} filter writes the upstream's answer: the head once, then the body in pieces. */
public interface UpstreamAnswer {

    /** The answer's status and headers (hop-by-hop ones and Content-Length are dropped); once, before any body. */
    void head(int status, HttpFields headers) throws IOException;

    /** A piece of the body, passed through the filters and on to the client before this returns. */
    void body(byte[] bytes) throws IOException;
}
