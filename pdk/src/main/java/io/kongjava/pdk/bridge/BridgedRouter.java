package io.kongjava.pdk.bridge;

import io.kongjava.catalogue.PdkFunction;
import io.kongjava.pdk.PdkException;
import io.kongjava.pdk.entity.Route;
import io.kongjava.pdk.router.Router;
import io.kongjava.pdk.service.Service;
import java.util.Optional;

/** {@code kong.router} over a {@link Bridge}: one Kong PDK function per method, named from the catalogue. */
record BridgedRouter(Calls calls) implements Router {

    @Override
    public Optional<Route> getRoute() throws PdkException {
        return Optional.ofNullable(calls.call(PdkFunction.ROUTER_GET_ROUTE)).filter(Calls::isTable).map(Route::fromKong);
    }

    @Override
    public Optional<io.kongjava.pdk.entity.Service> getService() throws PdkException {
        return Optional.ofNullable(calls.call(PdkFunction.ROUTER_GET_SERVICE)).filter(Calls::isTable)
                .map(io.kongjava.pdk.entity.Service::fromKong);
    }
}
