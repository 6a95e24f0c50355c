package io.kongjava.pdk.router;

import io.kongjava.pdk.PdkException;
import io.kongjava.pdk.entity.Route;
import io.kongjava.pdk.entity.Service;
import java.util.Optional;

/** {@code kong.router}: what the router matched. Phases: access, response, log. */
public interface Router {

    /** {@code kong.router.get_route()}: empty for global plugins on unmatched requests. */
    Optional<Route> getRoute() throws PdkException;

    /** {@code kong.router.get_service()}: empty when the route has no service. */
    Optional<Service> getService() throws PdkException;
}
