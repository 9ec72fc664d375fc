package org.maesil.layers;

import java.util.Arrays;
import org.maesil.tensor.Tensor;

/** Lazily (re)allocated scratch tensors: a buffer is replaced only when the wanted shape changes. */
public final class Buffers {
    private Buffers() {}

    /** {@code current} if it already has {@code shape}, else a new zero tensor of that shape. */
    public static Tensor ensure(Tensor current, int... shape) {
        if (current != null && sameShape(current, shape)) return current;
        return new Tensor(shape);
    }

    /** True when {@code t} has exactly this shape. */
    public static boolean sameShape(Tensor t, int... shape) {
        if (t.rank() != shape.length) return false;
        for (int a = 0; a < shape.length; a++) if (t.dim(a) != shape[a]) return false;
        return true;
    }

    /** Throws a clear error when {@code t} does not have the shape the layer expects. */
    static void requireShape(String who, String what, Tensor t, int... shape) {
        if (!sameShape(t, shape)) {
            throw new IllegalArgumentException(who + ": " + what + " has shape " + Arrays.toString(t.shape())
                    + ", expected " + Arrays.toString(shape));
        }
    }

    /** Shape with the last dimension replaced. */
    static int[] withLast(int[] shape, int last) {
        int[] s = shape.clone();
        s[s.length - 1] = last;
        return s;
    }

    /** Product of all dimensions but the last. */
    static int leadingRows(Tensor t) {
        int rows = 1;
        for (int a = 0; a < t.rank() - 1; a++) rows *= t.dim(a);
        return rows;
    }
}
