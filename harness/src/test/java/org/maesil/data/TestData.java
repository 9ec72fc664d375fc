package org.maesil.data;

import java.net.URISyntaxException;
import java.nio.file.Path;

/** Paths of the real test files (src/test/resources/data, see its README for their sources). */
final class TestData {
    private TestData() {}

    static Path path(String rel) {
        try {
            return Path.of(TestData.class.getResource("/data/" + rel).toURI());
        } catch (URISyntaxException | NullPointerException e) {
            throw new IllegalStateException("missing test resource data/" + rel, e);
        }
    }
}
