package org.maesil.tensor;

/** The argument checks every backend makes before running a kernel: one clear error per bad array. */
public final class ArgumentChecks {
    private ArgumentChecks() {}

    /** Throws "op: name is null" or "op: name has length L, needs N" unless array holds at least length values. */
    public static void need(float[] array, long length, String op, String name) {
        if (array == null) throw new IllegalArgumentException(op + ": " + name + " is null");
        check(array.length, length, op, name);
    }

    /** The same check for a double[] (per-row statistics, partial sums). */
    public static void need(double[] array, long length, String op, String name) {
        if (array == null) throw new IllegalArgumentException(op + ": " + name + " is null");
        check(array.length, length, op, name);
    }

    private static void check(int have, long length, String op, String name) {
        if (have < length) {
            throw new IllegalArgumentException(op + ": " + name + " has length " + have + ", needs " + length);
        }
    }
}
