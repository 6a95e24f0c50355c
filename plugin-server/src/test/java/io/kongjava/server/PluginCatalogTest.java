package io.kongjava.server;

import static org.assertj.core.api.Assertions.assertThat;

import java.lang.reflect.InvocationTargetException;
import java.util.ServiceConfigurationError;
import org.junit.jupiter.api.Test;

class PluginCatalogTest {

    @Test
    void aPluginWhoseConstructorThrowsIsReportedWithWhatItThrew() {
        // what ServiceLoader throws for a provider whose constructor failed: its message names only the class
        ServiceConfigurationError loading = new ServiceConfigurationError("demo.Plugin: Provider demo.Plugin could not be instantiated",
                new InvocationTargetException(new IllegalStateException("needs the NOPE environment variable")));

        assertThat(PluginCatalog.causes(loading)).isEqualTo(": java.lang.IllegalStateException: needs the NOPE environment variable");
    }
}
