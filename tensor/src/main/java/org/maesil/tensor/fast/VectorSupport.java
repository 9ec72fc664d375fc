package org.maesil.tensor.fast;

/** Whether the JDK's incubating Vector API module was loaded (--add-modules jdk.incubator.vector). */
final class VectorSupport {
    private VectorSupport() {}

    static final boolean AVAILABLE = ModuleLayer.boot().findModule("jdk.incubator.vector").isPresent();

    /**
     * The lanes of a vector accumulator (stored into v) added pairwise in a fixed tree: lane k +
     * lane k + n/2 first, then halves again; v is overwritten. Not reduceLanes: its order is
     * left to the JIT (interpreter and C2 differ on JDK 25), which would make results depend on
     * when a method got compiled, and so on the thread count of a run.
     */
    static float laneTotal(float[] v) {
        return laneTotal(v, 0, v.length);
    }

    /** The same over v[off .. off + n), n a power of two. */
    static float laneTotal(float[] v, int off, int n) {
        for (int w = n / 2; w >= 1; w /= 2) {
            for (int k = off; k < off + w; k++) v[k] += v[k + w];
        }
        return v[off];
    }
}
