package org.maesil.metrics;

import java.net.URISyntaxException;
import java.net.URL;
import java.nio.file.Path;

/** Locates committed fixture files on the test class path. */
final class Fixtures {
    private Fixtures() {}

    static Path path(String name) {
        URL url = Fixtures.class.getResource("/fixtures/metrics/" + name);
        if (url == null) throw new IllegalStateException("missing fixture " + name + " (see tools/fixtures/)");
        try {
            return Path.of(url.toURI());
        } catch (URISyntaxException e) {
            throw new IllegalStateException(e);
        }
    }
}
