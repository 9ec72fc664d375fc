package org.maesil.model;

/**
 * MAESIL's dual masking on a g x g x g token grid, z (the slowest token axis) being the
 * superior-inferior axis.
 *
 * <ol>
 *   <li>Plane-wise: in every axial token plane (fixed z, g*g tokens), exactly
 *       k = round(planeRatio * g*g) tokens, chosen uniformly at random, are masked.</li>
 *   <li>Axis-wise: one contiguous block of L = round(axisRatio * g) axial planes,
 *       starting at a uniformly random offset in [0, g - L], is masked entirely.</li>
 * </ol>
 * A token is visible iff neither step masks it. Because k and L are fixed numbers, every
 * sample has exactly (g - L) * (g*g - k) visible tokens, so a batch has one visible count
 * and the encoder input is a dense [B, visible, width] tensor. Draws depend only on the seed.
 * {@code Math.round} rounds halves up.
 */
public final class DualMask {
    private final int grid;
    private final double planeRatio;
    private final double axisRatio;
    private final int maskedPerPlane;
    private final int axisBlock;

    public DualMask(int grid, double planeRatio, double axisRatio) {
        if (grid < 1) throw new IllegalArgumentException("token grid must be >= 1, got " + grid);
        if (!(planeRatio >= 0 && planeRatio < 1)) throw new IllegalArgumentException("plane ratio must be in [0, 1), got " + planeRatio);
        if (!(axisRatio >= 0 && axisRatio < 1)) throw new IllegalArgumentException("axis ratio must be in [0, 1), got " + axisRatio);
        this.grid = grid;
        this.planeRatio = planeRatio;
        this.axisRatio = axisRatio;
        this.maskedPerPlane = (int) Math.round(planeRatio * grid * grid);
        this.axisBlock = (int) Math.round(axisRatio * grid);
        if (visibleCount() < 1) {
            throw new IllegalArgumentException("plane ratio " + planeRatio + " and axis ratio " + axisRatio
                    + " leave no visible token on a " + grid + "^3 grid");
        }
        if (visibleCount() == tokens()) {
            throw new IllegalArgumentException("plane ratio " + planeRatio + " and axis ratio " + axisRatio
                    + " mask no token on a " + grid + "^3 grid");
        }
    }

    public int grid() { return grid; }
    public double planeRatio() { return planeRatio; }
    public double axisRatio() { return axisRatio; }
    public int tokens() { return grid * grid * grid; }
    public int maskedPerPlane() { return maskedPerPlane; }
    public int axisBlock() { return axisBlock; }
    public int visibleCount() { return (grid - axisBlock) * (grid * grid - maskedPerPlane); }
    public int maskedCount() { return tokens() - visibleCount(); }
    /** The fraction of tokens masked: 1 - (1 - k/g^2)(1 - L/g). */
    public double totalRatio() { return (double) maskedCount() / tokens(); }

    /** Draws one mask. Random numbers: axis offset first, then one partial shuffle per plane, z ascending. */
    public Sample draw(long seed) {
        Rng rng = new Rng(seed);
        int plane = grid * grid;
        int n = tokens();
        boolean[] byPlane = new boolean[n];
        boolean[] byAxis = new boolean[n];
        int axisStart = rng.nextInt(grid - axisBlock + 1);
        int[] perm = new int[plane];
        for (int z = 0; z < grid; z++) {
            for (int i = 0; i < plane; i++) perm[i] = i;
            // partial Fisher-Yates: the first maskedPerPlane entries become a uniform random subset
            for (int i = 0; i < maskedPerPlane; i++) {
                int j = i + rng.nextInt(plane - i);
                int t = perm[i];
                perm[i] = perm[j];
                perm[j] = t;
            }
            for (int i = 0; i < maskedPerPlane; i++) byPlane[z * plane + perm[i]] = true;
            if (z >= axisStart && z < axisStart + axisBlock) {
                for (int i = 0; i < plane; i++) byAxis[z * plane + i] = true;
            }
        }
        int[] visible = new int[visibleCount()];
        int[] masked = new int[maskedCount()];
        int nv = 0, nm = 0;
        for (int t = 0; t < n; t++) {
            if (byPlane[t] || byAxis[t]) masked[nm++] = t;
            else visible[nv++] = t;
        }
        return new Sample(grid, byPlane, byAxis, visible, masked, axisStart, axisBlock);
    }

    /**
     * A mask given by its two steps explicitly (e.g. read from a fixture): token t is masked
     * plane-wise when byPlane[t], by the axis block when byAxis[t]. The axis block must be
     * whole contiguous planes; its start and length are read from byAxis.
     */
    public static Sample fromMasks(int grid, boolean[] byPlane, boolean[] byAxis) {
        int n = grid * grid * grid;
        int plane = grid * grid;
        if (byPlane.length != n || byAxis.length != n) throw new IllegalArgumentException("masks must have " + n + " tokens");
        int start = -1, length = 0;
        for (int z = 0; z < grid; z++) {
            if (byAxis[z * plane]) {
                if (start < 0) start = z;
                length++;
            }
        }
        int nv = 0;
        for (int t = 0; t < n; t++) if (!byPlane[t] && !byAxis[t]) nv++;
        int[] visible = new int[nv];
        int[] masked = new int[n - nv];
        int a = 0, m = 0;
        for (int t = 0; t < n; t++) {
            if (byPlane[t] || byAxis[t]) masked[m++] = t;
            else visible[a++] = t;
        }
        return new Sample(grid, byPlane.clone(), byAxis.clone(), visible, masked, Math.max(start, 0), length);
    }

    /**
     * One drawn mask. {@code visible} and {@code masked} list token indices in ascending order;
     * {@code byPlane} and {@code byAxis} say which step masked each token (both may).
     */
    public record Sample(int grid, boolean[] byPlane, boolean[] byAxis, int[] visible, int[] masked,
                         int axisStart, int axisLength) {

        public boolean isMasked(int token) { return byPlane[token] || byAxis[token]; }

        /** Voxel mask of one superpatch [S^3] (S = grid * patch), 1 where the voxel's token is masked. */
        public float[] voxelMask(int patch) {
            int s = grid * patch;
            float[] out = new float[s * s * s];
            for (int z = 0; z < s; z++) {
                for (int y = 0; y < s; y++) {
                    for (int x = 0; x < s; x++) {
                        int t = ((z / patch) * grid + y / patch) * grid + x / patch;
                        out[(z * s + y) * s + x] = isMasked(t) ? 1f : 0f;
                    }
                }
            }
            return out;
        }

        /**
         * A picture of the mask for reports: the g axial token planes side by side (z = 0 at the
         * left), each token a cell x cell square, planes separated by one-pixel gaps. Colours
         * (0xRRGGBB): visible 0xE8E8E8, masked plane-wise 0x7F7F7F, masked by the axis block
         * 0x303030, gap 0xFFFFFF.
         */
        public Picture picture(int cell) {
            if (cell < 1) throw new IllegalArgumentException("cell must be >= 1");
            int side = grid * cell;
            int width = grid * side + (grid - 1);
            int height = side;
            int[] rgb = new int[width * height];
            java.util.Arrays.fill(rgb, 0xFFFFFF);
            for (int z = 0; z < grid; z++) {
                int left = z * (side + 1);
                for (int py = 0; py < side; py++) {
                    for (int px = 0; px < side; px++) {
                        int t = (z * grid + py / cell) * grid + px / cell;
                        int c = byAxis[t] ? 0x303030 : byPlane[t] ? 0x7F7F7F : 0xE8E8E8;
                        rgb[py * width + left + px] = c;
                    }
                }
            }
            return new Picture(width, height, rgb);
        }
    }

    /** An RGB image, row-major, 0xRRGGBB per pixel (no alpha); a report writes it as PNG. */
    public record Picture(int width, int height, int[] rgb) {}
}
