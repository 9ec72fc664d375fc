package org.maesil.tensor;

import java.util.ArrayList;
import java.util.List;
import java.util.ServiceLoader;

/** Creates a backend from a user's {@code --backend NAME[:DEVICE]} string. */
public final class Backends {
    private Backends() {}

    /** "java" gives the CPU backend; any other name is looked up among service providers. */
    public static Backend create(String spec, int threads) {
        String name = spec;
        String device = "";
        int colon = spec.indexOf(':');
        if (colon >= 0) {
            name = spec.substring(0, colon);
            device = spec.substring(colon + 1);
        }
        if (name.equals("java")) {
            if (!device.isEmpty()) throw new IllegalArgumentException("the java backend has no devices: " + spec);
            return new JavaBackend(threads);
        }
        List<String> known = new ArrayList<>(List.of("java"));
        for (BackendProvider p : ServiceLoader.load(BackendProvider.class)) {
            if (p.name().equals(name)) return p.create(device, threads);
            known.add(p.name());
        }
        throw new IllegalArgumentException("unknown backend '" + name + "' (available: " + String.join(", ", known)
                + (name.equals("tornado") ? "; the tornado backend needs the -Ptornado build and TornadoVM, see README" : "")
                + ")");
    }

    /** Default thread count: every core. */
    public static int defaultThreads() {
        return Runtime.getRuntime().availableProcessors();
    }
}
