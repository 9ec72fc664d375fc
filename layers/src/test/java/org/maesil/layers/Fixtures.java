package org.maesil.layers;

import static org.assertj.core.api.Assertions.assertThat;

import java.io.IOException;
import java.net.URISyntaxException;
import java.net.URL;
import java.nio.file.Path;
import java.util.Map;
import org.maesil.layers.io.Checkpoint;
import org.maesil.tensor.Tensor;

/**
 * PyTorch fixtures made by tools/fixtures/make_layer_fixtures.py, and the error measure used to
 * compare against them.
 *
 * <p>Relative error of a tensor a against a reference r (float64 PyTorch, stored as float32):
 * max_i |a_i - r_i| / max_i |r_i| (the max-norm error relative to the reference's max-norm), so
 * tiny reference elements do not blow the ratio up.
 */
final class Fixtures {
    private Fixtures() {}

    static Checkpoint.Contents load(String name) {
        URL url = Fixtures.class.getResource("/fixtures/" + name);
        if (url == null) throw new IllegalStateException("fixture " + name + " missing: run /usr/bin/python3 tools/fixtures/make_layer_fixtures.py");
        try {
            return Checkpoint.read(Path.of(url.toURI()));
        } catch (IOException | URISyntaxException e) {
            throw new IllegalStateException(e);
        }
    }

    static int intMeta(Checkpoint.Contents c, String key) {
        return Integer.parseInt(c.metadata().get(key));
    }

    static double doubleMeta(Checkpoint.Contents c, String key) {
        return Double.parseDouble(c.metadata().get(key));
    }

    /** max |a - r| / max |r| (see class comment). */
    static double relErr(float[] a, float[] r) {
        assertThat(a.length).isEqualTo(r.length);
        double num = 0, den = 0;
        for (int i = 0; i < a.length; i++) {
            num = Math.max(num, Math.abs((double) a[i] - r[i]));
            den = Math.max(den, Math.abs((double) r[i]));
        }
        return den == 0 ? num : num / den;
    }

    /** Compares, prints "fixture what relErr" and returns the error. */
    static double compare(String fixture, String what, Tensor actual, Tensor ref) {
        assertThat(actual.shape()).as(fixture + " " + what + " shape").isEqualTo(ref.shape());
        double e = relErr(actual.data, ref.data);
        System.out.printf("parity %-36s %-34s relErr %.2e%n", fixture, what, e);
        return e;
    }

    static void copy(Tensor src, Tensor dst) {
        System.arraycopy(src.data, 0, dst.data, 0, src.size());
    }

    static Map<String, Tensor> tensors(Checkpoint.Contents c) { return c.tensors(); }
}
