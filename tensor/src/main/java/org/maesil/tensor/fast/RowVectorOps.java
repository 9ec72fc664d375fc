package org.maesil.tensor.fast;

import jdk.incubator.vector.DoubleVector;
import jdk.incubator.vector.FloatVector;
import jdk.incubator.vector.VectorSpecies;
import org.maesil.tensor.Parallel;

/**
 * Row-broadcast ops of linear layers and layer norm, along the rows: y = x + bias per row, the
 * bias gradient db[c] = sum_r dy[r, c], and layer norm's dgamma, dbeta. The reference kernels compute one element (one column
 * for the sum) per index, which walks dy down its columns; here each thread adds whole rows
 * into a block of columns. Every db[c] is still summed over r = 0, 1, ... in order with float
 * additions, so the results equal the reference kernels' bit for bit. Also a convolution's bias
 * gradient (one sum per channel plane, {@link #sumPerChannel}), which sums in lanes instead.
 */
final class RowVectorOps {
    private RowVectorOps() {}

    private static final VectorSpecies<Float> S = MicroKernel6x16.S;
    /** Columns per work item of the row sum (a multiple of every vector length). */
    private static final int COLUMN_BLOCK = 256;

    /** y[r, c] = x[r, c] + bias[c] (y may be x). */
    static void addBias(Parallel parallel, float[] x, float[] bias, float[] y, int rows, int cols) {
        int lanes = S.length(), vecEnd = cols - cols % lanes;
        parallel.forRange(rows, (s, e) -> {
            for (int r = s; r < e; r++) {
                int o = r * cols;
                for (int c = 0; c < vecEnd; c += lanes) {
                    FloatVector.fromArray(S, x, o + c).add(FloatVector.fromArray(S, bias, c)).intoArray(y, o + c);
                }
                for (int c = vecEnd; c < cols; c++) y[o + c] = x[o + c] + bias[c];
            }
        });
    }

    /** db[c] = sum over r = 0 .. rows-1 (in order) of dy[r, c]. */
    static void sumRows(Parallel parallel, float[] dy, float[] db, int rows, int cols) {
        int lanes = S.length();
        int blocks = (cols + COLUMN_BLOCK - 1) / COLUMN_BLOCK;
        parallel.forRange(blocks, 1, (s, e) -> {
            for (int blk = s; blk < e; blk++) {
                int c0 = blk * COLUMN_BLOCK, c1 = Math.min(cols, c0 + COLUMN_BLOCK);
                int vecEnd = c0 + (c1 - c0) / lanes * lanes;
                for (int c = c0; c < c1; c++) db[c] = 0f;
                for (int r = 0; r < rows; r++) {
                    int o = r * cols;
                    for (int c = c0; c < vecEnd; c += lanes) {
                        FloatVector.fromArray(S, db, c).add(FloatVector.fromArray(S, dy, o + c)).intoArray(db, c);
                    }
                    for (int c = vecEnd; c < c1; c++) db[c] += dy[o + c];
                }
            }
        });
    }

    /**
     * A convolution's bias gradient: db[c] = sum over samples n, then voxels v, of
     * dy[(n*channels + c)*spatial + v]. Each plane (n, c) is summed in four vectors of partial
     * sums ({@link #addPlane}: lane l of vector a sums the voxels v = 16a + l mod 64 with 16
     * lanes, in order), added into the channel's partial sums (a small array), which are added
     * in a fixed tree at the end ({@link VectorSupport#laneTotal}), then the planes' tails. Not
     * the reference's order (a float sum in voxel order runs at one add per 4 cycles: ~3.6 ms
     * for the patch embedding's 6.3M values), but a fixed one: 1 and N threads give the same
     * bits. The vectors live in one loop of one small method: C2 compiled a loop nest carrying
     * them (in an on-stack-replacement compile) with boxed vectors, 20x slower; and partial sums
     * kept in the array at every step wait on a store and a load per add (the patch
     * embedding's db 1.2-1.3 ms, this form 0.9-1.0 in a microbenchmark).
     */
    static void sumPerChannel(Parallel parallel, float[] dy, float[] db, int samples, int channels, int spatial) {
        int step = 4 * S.length(), vecEnd = spatial - spatial % step;
        parallel.forRange(channels, 1, (s, e) -> {
            float[] part = PART.get(); // not a new array per channel: 768 of them per call (204 KB) for the patch embedding
            for (int c = s; c < e; c++) {
                java.util.Arrays.fill(part, 0f);
                for (int n = 0; n < samples; n++) addPlane(dy, (n * channels + c) * spatial, vecEnd, part);
                float sum = VectorSupport.laneTotal(part);
                for (int n = 0; n < samples; n++) {
                    int o = (n * channels + c) * spatial;
                    for (int v = vecEnd; v < spatial; v++) sum += dy[o + v];
                }
                db[c] = sum;
            }
        });
    }

    /** Per thread: a channel's partial sums in {@link #sumPerChannel} (4 vectors). */
    private static final ThreadLocal<float[]> PART = ThreadLocal.withInitial(() -> new float[4 * S.length()]);

    /** part[a*LANES + l] += sum over v < end, v = a*LANES + l (mod 4 LANES), of dy[o + v] (end a multiple of 4 LANES). */
    private static void addPlane(float[] dy, int o, int end, float[] part) {
        int lanes = S.length();
        FloatVector zero = FloatVector.zero(S);
        FloatVector s0 = zero, s1 = zero, s2 = zero, s3 = zero;
        for (int v = 0; v < end; v += 4 * lanes) {
            s0 = s0.add(FloatVector.fromArray(S, dy, o + v));
            s1 = s1.add(FloatVector.fromArray(S, dy, o + v + lanes));
            s2 = s2.add(FloatVector.fromArray(S, dy, o + v + 2 * lanes));
            s3 = s3.add(FloatVector.fromArray(S, dy, o + v + 3 * lanes));
        }
        s0.add(FloatVector.fromArray(S, part, 0)).intoArray(part, 0);
        s1.add(FloatVector.fromArray(S, part, lanes)).intoArray(part, lanes);
        s2.add(FloatVector.fromArray(S, part, 2 * lanes)).intoArray(part, 2 * lanes);
        s3.add(FloatVector.fromArray(S, part, 3 * lanes)).intoArray(part, 3 * lanes);
    }

    /**
     * Doubles per vector. The floats are widened by a scalar loop into a double row, not by a
     * FloatVector of another shape: on JDK 17 one float vector shape besides the preferred one
     * anywhere in the program pollutes the type profiles of the shared FloatVector methods, and
     * C2 then compiles some vector stores elsewhere (e.g. in GELU) to the slow Java fallback.
     */
    private static final VectorSpecies<Double> D = DoubleVector.SPECIES_PREFERRED;

    /** Per-thread double accumulators for a block of columns (dgamma, dbeta), then the widened rows of x and dy. */
    private static final ThreadLocal<double[]> SUMS = ThreadLocal.withInitial(() -> new double[4 * COLUMN_BLOCK]);

    /**
     * Layer norm's parameter gradients, dgamma[c] = sum_r dy[r, c] xhat[r, c] and
     * dbeta[c] = sum_r dy[r, c], xhat = (x - mean_r) rstd_r, each summed in double over
     * r = 0, 1, ... with the reference kernel's operations (LayerNorm.layerNormGradParamsColumn),
     * so equal to it bit for bit; rows are walked in memory order, a block of columns at a time,
     * the columns on double vectors (a lane does a column's scalar operations: widen, subtract,
     * multiply, add; no fused multiply-add).
     */
    static void layerNormGradParams(Parallel parallel, float[] x, float[] mean, float[] rstd, float[] dy,
                                    float[] dgamma, float[] dbeta, int rows, int cols) {
        int blocks = (cols + COLUMN_BLOCK - 1) / COLUMN_BLOCK;
        parallel.forRange(blocks, 1, (s, e) -> {
            double[] sums = SUMS.get();
            for (int blk = s; blk < e; blk++) {
                int c0 = blk * COLUMN_BLOCK, width = Math.min(cols, c0 + COLUMN_BLOCK) - c0;
                java.util.Arrays.fill(sums, 0.0);
                int vecW = width - width % D.length();
                for (int r = 0; r < rows; r++) {
                    int o = r * cols + c0;
                    double m = mean[r], rs = rstd[r];
                    for (int j = 0; j < vecW; j++) { // widen (exact)
                        sums[2 * COLUMN_BLOCK + j] = x[o + j];
                        sums[3 * COLUMN_BLOCK + j] = dy[o + j];
                    }
                    for (int j = 0; j < vecW; j += D.length()) { // the loop below, D.length() columns at a time
                        DoubleVector xd = DoubleVector.fromArray(D, sums, 2 * COLUMN_BLOCK + j);
                        DoubleVector g = DoubleVector.fromArray(D, sums, 3 * COLUMN_BLOCK + j);
                        DoubleVector xhat = xd.sub(m).mul(rs);
                        DoubleVector.fromArray(D, sums, j).add(g.mul(xhat)).intoArray(sums, j);
                        DoubleVector.fromArray(D, sums, COLUMN_BLOCK + j).add(g).intoArray(sums, COLUMN_BLOCK + j);
                    }
                    for (int j = vecW; j < width; j++) {
                        double xhat = ((double) x[o + j] - m) * rs;
                        sums[j] += dy[o + j] * xhat;
                        sums[COLUMN_BLOCK + j] += dy[o + j];
                    }
                }
                for (int j = 0; j < width; j++) {
                    dgamma[c0 + j] = (float) sums[j];
                    dbeta[c0 + j] = (float) sums[COLUMN_BLOCK + j];
                }
            }
        });
    }
}
