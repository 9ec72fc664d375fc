package org.maesil.tensor.fast;

import org.maesil.tensor.Parallel;

/**
 * Packed, register-tiled single-precision matrix multiply on the Vector API:
 * C[m, n] = op(A)[m, k] op(B)[k, n] (+ C when accumulating), op = optional transpose.
 *
 * <p>Blocking scheme (GotoBLAS style; L1d 32-48 KB, L2 0.5-1 MB per core on Zen 3-5):
 * <pre>
 *   for p0 in k, step KC (512; 256 with AVX2):  one rank-KC update of all of C
 *     pack op(B)[p0:p0+KC, 0:n] into NR-col panels   (shared by all threads, ~KC*n floats)
 *     parallel for each work item (row block of MC rows) x (column chunk):
 *       pack op(A)[i0:i0+MC, p0:p0+KC] into 6-row panels   (per thread, MC = 144: 288 KiB, in L2)
 *       for each NR-col B panel of the chunk                (KC*NR floats: L1 or L2)
 *         for each 6-row A panel of the block
 *           6x16 register tile: C[i, j] (+)= sum over the KC steps   (MicroKernel6x16)
 * </pre>
 * When B is not huge (below {@link #WHOLE_B_LIMIT}) all its KC blocks are packed first and each
 * work item then runs through every KC block (loops p0 and item swapped): two synchronisations
 * of the thread team per product instead of two per KC block; the order of the sums is the same.
 * When B is wide and A small enough to share ({@link #gemmWideB}), A is packed once and each
 * work item packs the B panels of its own column chunk, used at once from L2.
 * B's panels come from a {@link PanelSource}: a matrix ({@link Packing#packB}) or, for the patch
 * embedding, the volume itself ({@link PatchPanels}), so that no unfolded copy is made first.
 * Work items are claimed dynamically by the threads of {@link Parallel}, which stay alive
 * between calls. Buffers are kept and reused across calls (fresh pages are ~20x slower to
 * write than reused ones on these machines).
 *
 * <p>Determinism: every C element is summed over k in the same order (KC blocks in order,
 * steps in order inside a block) whatever the thread count or work split, so 1 and N threads
 * give identical bits. The order differs from the naive reference loop, so results agree with
 * it to rounding only.
 */
public final class FastMatmul {
    /**
     * Depth of one packed block (tunable with -Dmaesil.kc for experiments): 512 with 16-lane
     * vectors (a B panel of 64 KiB, but half the passes over C; against 256, old and new in one JVM,
     * both orders: the patch embedding's products 3-8.5% faster, sgemm 1024^3 0-3%), 256 with 8 lanes (a 16 KiB panel, half
     * of Zen 3's L1d; 512 there is unmeasured on Zen 3, and within 3% on the AVX2 proxy).
     */
    static final int KC = Math.max(1, Integer.getInteger("maesil.kc", MicroKernel6x16.LANES >= 16 ? 512 : 256));
    /** Rows of one packed A block, a multiple of the tile's 6 rows (-Dmaesil.mc). */
    static final int MC = Math.max(1, Integer.getInteger("maesil.mc", 144) / MicroKernel6x16.MR) * MicroKernel6x16.MR;
    private static final int MR = MicroKernel6x16.MR;
    private static final int NR = MicroKernel6x16.NR;

    /** Largest B (in floats, 64 MiB) packed whole, all KC blocks at once; larger ones go block by block. */
    static final long WHOLE_B_LIMIT = 16L << 20;

    /** Widest B (columns) for which an A too large to share is not split into column chunks. */
    static final int NARROW_B = 1024;

    /** Depth from which A is not shared by column chunks (neither split into them nor taken by the wide-B schedule). */
    static final int LONG_K = 4096;

    /** Largest A (in floats, 16 MiB) packed once and shared by the work items of a product. */
    static final long SHARED_A_LIMIT = 4L << 20;

    /** B panels per work item in {@link #gemmWideB}: 8 x 32 x 512 floats, 512 KiB, with an A block in L2. */
    static final int CHUNK_PANELS = 8;

    private final Parallel parallel;
    private float[] packedB = new float[0];
    /** Per-thread B panels of one column chunk ({@link #gemmWideB}). */
    private final ThreadLocal<float[]> chunkB = ThreadLocal.withInitial(() -> new float[CHUNK_PANELS * NR * KC]);
    private float[] packedAShared = new float[0];
    /** Per-thread packed A block (MC*KC) followed by MR*NR floats of edge-tile scratch. */
    private final ThreadLocal<float[]> packedA = ThreadLocal.withInitial(() -> new float[MC * KC + MR * NR]);

    private final long wholeBLimit;
    /** Whether wide products take {@link #gemmWideB}. */
    private final boolean wideB;

    public FastMatmul(Parallel parallel) {
        this(parallel, WHOLE_B_LIMIT, true);
    }

    /**
     * With another limit for packing B whole (tests use 0 to run the block-by-block schedule) and
     * the wide-B schedule on or off (tests compare the schedules).
     */
    FastMatmul(Parallel parallel, long wholeBLimit, boolean wideB) {
        this.parallel = parallel;
        this.wholeBLimit = wholeBLimit;
        this.wideB = wideB;
    }

    /** True when the Vector API module is present at run time (else callers use the reference). */
    public static boolean available() {
        return VectorSupport.AVAILABLE;
    }

    /**
     * Batched form: for b < batch, C_b = op(A_b) op(B_b) (+ C_b), with A_b at a[b*strideA],
     * B_b at b[b*strideB], C_b at c[b*m*n]; stride 0 broadcasts one matrix.
     */
    public void matmul(float[] a, float[] b, float[] c, int batch, int m, int n, int k,
                       boolean transA, boolean transB, boolean accumulate, int strideA, int strideB) {
        int lda = transA ? m : k;
        int ldb = transB ? k : n;
        for (int bi = 0; bi < batch; bi++) {
            gemm(a, bi * strideA, lda, transA, b, bi * strideB, ldb, transB,
                    c, bi * m * n, n, m, n, k, accumulate);
        }
    }

    /**
     * C[cOff + i*ldc + j] (+)= sum_p op(A)[i, p] op(B)[p, j], i < m, j < n, p < k, with
     * op(A)[i, p] = transA ? a[aOff + p*lda + i] : a[aOff + i*lda + p] and
     * op(B)[p, j] = transB ? b[bOff + j*ldb + p] : b[bOff + p*ldb + j].
     */
    public void gemm(float[] a, int aOff, int lda, boolean transA,
                     float[] b, int bOff, int ldb, boolean transB,
                     float[] c, int cOff, int ldc, int m, int n, int k, boolean accumulate) {
        gemm(a, aOff, lda, transA, (p0, kc, q0, q1, dst, dstOff) -> Packing.packB(b, bOff, ldb, transB, n, p0, kc, q0, q1, dst, dstOff),
                c, cOff, ldc, m, n, k, accumulate);
    }

    /**
     * Where the B panels come from: writes the packed panels [q0, q1) of op(B)[p0 .. p0+kc, 0 .. n),
     * panel q from dst[dstOff + q*NR*kc], in {@link Packing}'s layout (columns past n zero).
     * {@link Packing#packB} reads them from a matrix; {@link PatchPanels} from a volume.
     */
    public interface PanelSource {
        void pack(int p0, int kc, int q0, int q1, float[] dst, int dstOff);
    }

    /** As above, with op(B) [k x n] given by the panels its source packs. */
    public synchronized void gemm(float[] a, int aOff, int lda, boolean transA, PanelSource bPanels,
                                  float[] c, int cOff, int ldc, int m, int n, int k, boolean accumulate) {
        if (m <= 0 || n <= 0) return;
        if (k <= 0) {
            if (!accumulate) {
                for (int i = 0; i < m; i++) java.util.Arrays.fill(c, cOff + i * ldc, cOff + i * ldc + n, 0f);
            }
            return;
        }
        int nPanels = (n + NR - 1) / NR;
        // a wide B (at least 4 column chunks per thread, of 4 to 8 panels) and an A that can be shared,
        // but not a long one: every chunk reads all of a shared A again, from memory when k is long
        // (the patch embedding's dW, 768 x 512 x 4096, on one thread: 9% faster with whole rows, below)
        int wideChunk = Math.min(CHUNK_PANELS, nPanels / (4 * parallel.threads()));
        if (wideB && wideChunk >= CHUNK_PANELS / 2 && (long) m * k <= SHARED_A_LIMIT && k < LONG_K) {
            gemmWideB(a, aOff, lda, transA, bPanels, c, cOff, ldc, m, n, k, accumulate, nPanels, wideChunk);
            return;
        }
        int nPad = nPanels * NR;
        int kBlocks = (k + KC - 1) / KC;
        boolean packAllOfB = (long) k * nPad <= wholeBLimit;
        int need = packAllOfB ? k * nPad : Math.min(KC, k) * nPad;
        if (packedB.length < need) packedB = new float[need];
        final float[] pb = packedB;

        int blocks = (m + MC - 1) / MC;
        // Split columns too when there are fewer than 8 row blocks per thread: small work items
        // balance the threads (1024^3 on 2 threads: 7.2 ms with 8 items per thread, 7.8 with 3).
        int wanted = Integer.getInteger("maesil.itemsPerThread", 8) * parallel.threads();
        int colChunks = parallel.threads() == 1 ? 1
                : Math.max(1, Math.min((wanted + blocks - 1) / blocks, nPanels / 4));
        if (colChunks > 1 && ((long) blocks * MC * k > SHARED_A_LIMIT || k >= LONG_K) && blocks >= 2 * parallel.threads()
                && n <= NARROW_B) {
            // A too large to be packed once and shared (below): every column chunk would pack the
            // same rows of A again (3x for dW of a 768-wide layer over 8192 tokens: 16 of 54 ms of
            // thread time). With B narrow, packing is a large part of each item, and whole rows as
            // work items pay. With B wide it is not, and the threads' uneven share of whole rows
            // costs more (sgemm 2048^3, 15 row blocks on 2 threads: 63.5 ms against 60.4).
            // A long shared A (k >= LONG_K) is no better: each column chunk reads all of it from
            // memory again (the patch embedding's dW, 768 x 512 x 4096: whole rows 3-7% faster).
            colChunks = 1;
        }
        if (colChunks == 1 && blocks >= parallel.threads()) {
            // Rows are the only split: as many row blocks as a multiple of the thread count, the
            // rows shared evenly among them. 768 rows on 2 threads as 6 x 132 (the last 108), not
            // 5 x 144 + 48, where one thread did 3 full blocks and the other 2 and a third (dW of
            // the patch embedding, 768 x 512 x 4096: 5-8% faster, old and new in one JVM, both
            // orders). With column chunks the items balance already (1024^3: 1.5-3.7% slower so).
            int threads = parallel.threads();
            blocks = (blocks + threads - 1) / threads * threads;
        }
        final int mcRows = MR * (((m + MR - 1) / MR + blocks - 1) / blocks);
        final int rowBlocks = (m + mcRows - 1) / mcRows;
        int panelsPerChunk = (nPanels + colChunks - 1) / colChunks;
        colChunks = (nPanels + panelsPerChunk - 1) / panelsPerChunk;
        final int chunks = colChunks;
        final int ppc = panelsPerChunk;

        if (packAllOfB) {
            // Usual case: pack every KC block of B at once (block p0 from pb[p0 * nPad]), then
            // one parallel pass in which each work item runs through all KC blocks: two
            // synchronisations of the thread team per product instead of two per KC block.
            // When a row block is shared by several column chunks, A is packed once too (row
            // block ib, KC block p0 from pa[ib*mc*k + p0*mc]) instead of once per work item.
            boolean shareA = chunks > 1 && (long) rowBlocks * mcRows * k <= SHARED_A_LIMIT;
            if (shareA && packedAShared.length < rowBlocks * mcRows * k) packedAShared = new float[rowBlocks * mcRows * k];
            final float[] pa = packedAShared;
            parallel.forRange(kBlocks * nPanels, Math.max(1, kBlocks * nPanels / (4 * parallel.threads())), (s, e) -> {
                for (int t = s; t < e; t++) {
                    int p0 = (t / nPanels) * KC, q = t % nPanels;
                    bPanels.pack(p0, Math.min(KC, k - p0), q, q + 1, pb, p0 * nPad);
                }
                if (shareA) {
                    for (int t = s; t < e; t++) { // the same ranges over (row block, KC block) items
                        for (int u = t; u < rowBlocks * kBlocks; u += kBlocks * nPanels) {
                            packSharedA(a, aOff, lda, transA, u / kBlocks, mcRows, (u % kBlocks) * KC, m, k, pa);
                        }
                    }
                }
            });
            parallel.forRange(rowBlocks * chunks, 1, (s, e) -> {
                for (int item = s; item < e; item++) {
                    int ib = item / chunks;
                    for (int p0 = 0; p0 < k; p0 += KC) {
                        multiplyBlock(a, aOff, lda, transA, shareA ? pa : null, sharedA(ib, mcRows, p0, k), pb, p0 * nPad,
                                c, cOff, ldc, n, p0, Math.min(KC, k - p0), accumulate || p0 > 0,
                                ib * mcRows, Math.min(mcRows, m - ib * mcRows), item % chunks, ppc, nPanels);
                    }
                }
            });
            return;
        }
        for (int p0 = 0; p0 < k; p0 += KC) {
            final int kc = Math.min(KC, k - p0);
            final int pStart = p0;
            final boolean acc = accumulate || p0 > 0;
            // 1. pack this KC block of B (parallel over panels)
            parallel.forRange(nPanels, Math.max(1, nPanels / (4 * parallel.threads())),
                    (q0, q1) -> bPanels.pack(pStart, kc, q0, q1, pb, 0));
            // 2. multiply, one work item = (row block, column chunk)
            parallel.forRange(rowBlocks * chunks, 1, (s, e) -> {
                for (int item = s; item < e; item++) {
                    int i0 = (item / chunks) * mcRows;
                    multiplyBlock(a, aOff, lda, transA, null, 0, pb, 0, c, cOff, ldc, n, pStart, kc, acc,
                            i0, Math.min(mcRows, m - i0), item % chunks, ppc, nPanels);
                }
            });
        }
    }

    /**
     * The schedule for a wide B (the patch embedding's forward, 768 x 4096 x 512 per sample;
     * sgemm 1024^3): A is packed once and shared (it is small enough), then each work item
     * takes one column chunk and, per KC block, packs the chunk's B panels into a buffer of its
     * own thread (at most 512 KiB, in L2 next to an A block) and runs every row block over them.
     * B's panels are used while hot and never written out to memory, and no pass packs all of B
     * before the multiplications start. Each C element is summed as in the other schedules (KC
     * blocks in order, each one tile's sum over its steps): the same bits.
     */
    private void gemmWideB(float[] a, int aOff, int lda, boolean transA, PanelSource bPanels,
                           float[] c, int cOff, int ldc, int m, int n, int k, boolean accumulate, int nPanels, int ppc) {
        int rowBlocks = (m + MC - 1) / MC, kBlocks = (k + KC - 1) / KC;
        if (packedAShared.length < rowBlocks * MC * k) packedAShared = new float[rowBlocks * MC * k];
        final float[] pa = packedAShared;
        parallel.forRange(rowBlocks * kBlocks, 1, (s, e) -> {
            for (int u = s; u < e; u++) packSharedA(a, aOff, lda, transA, u / kBlocks, MC, (u % kBlocks) * KC, m, k, pa);
        });
        int chunks = (nPanels + ppc - 1) / ppc;
        parallel.forRange(chunks, 1, (s, e) -> {
            float[] pb = chunkB.get();
            for (int jb = s; jb < e; jb++) {
                int q0 = jb * ppc;
                for (int p0 = 0; p0 < k; p0 += KC) {
                    int kc = Math.min(KC, k - p0), pbOff = -q0 * NR * kc; // panel q at pb[(q - q0) * NR * kc]
                    bPanels.pack(p0, kc, q0, Math.min(nPanels, q0 + ppc), pb, pbOff);
                    for (int ib = 0; ib < rowBlocks; ib++) {
                        multiplyBlock(a, aOff, lda, transA, pa, sharedA(ib, MC, p0, k), pb, pbOff, c, cOff, ldc, n, p0, kc,
                                accumulate || p0 > 0, ib * MC, Math.min(MC, m - ib * MC), jb, ppc, nPanels);
                    }
                }
            }
        });
    }

    /** Where row block ib (blocks of mc rows) of A, KC block p0, starts in A packed once and shared. */
    private static int sharedA(int ib, int mc, int p0, int k) {
        return ib * mc * k + p0 * mc;
    }

    /** Packs row block ib (blocks of mc rows) of op(A), KC block p0, into the shared layout ({@link #sharedA}). */
    private static void packSharedA(float[] a, int aOff, int lda, boolean transA, int ib, int mc, int p0, int m, int k, float[] pa) {
        Packing.packA(a, aOff, lda, transA, ib * mc, Math.min(mc, m - ib * mc), p0, Math.min(KC, k - p0), pa, sharedA(ib, mc, p0, k));
    }

    /**
     * One work item for one KC block: multiplies op(A)[i0 .. i0+mc, p0 .. p0+kc) with the B panels
     * of column chunk jb (packed from pb[pbOff], panel q at pbOff + q*NR*kc). A comes packed in
     * shared[sharedOff ..], or (shared null) is packed here into this thread's buffer.
     */
    private void multiplyBlock(float[] a, int aOff, int lda, boolean transA, float[] shared, int sharedOff,
                               float[] pb, int pbOff, float[] c, int cOff, int ldc, int n, int p0, int kc, boolean acc,
                               int i0, int mc, int jb, int panelsPerChunk, int nPanels) {
        float[] own = packedA.get();
        float[] pa = shared != null ? shared : own;
        int paOff = shared != null ? sharedOff : 0;
        if (shared == null) Packing.packA(a, aOff, lda, transA, i0, mc, p0, kc, own, 0);
        int q1 = Math.min(nPanels, (jb + 1) * panelsPerChunk);
        for (int q = jb * panelsPerChunk; q < q1; q++) {
            int j0 = q * NR;
            int cols = Math.min(NR, n - j0);
            for (int r0 = 0; r0 < mc; r0 += MR) {
                MicroKernel6x16.tile(pa, paOff + r0 * kc, pb, pbOff + q * NR * kc, kc,
                        c, cOff + (i0 + r0) * ldc + j0, ldc,
                        Math.min(MR, mc - r0), cols, acc, own, MC * KC);
            }
        }
    }
}
