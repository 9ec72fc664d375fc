package org.maesil.model;

/**
 * A small, fully specified random generator (SplitMix64, Steele et al. 2014), so that masks,
 * data orders and step seeds are reproducible across JVMs and can be re-derived from a seed
 * instead of being stored. Not thread-safe; make one per use.
 */
public final class Rng {
    private long state;

    public Rng(long seed) { this.state = seed; }

    /** The next 64 random bits. */
    public long nextLong() {
        long z = (state += 0x9E3779B97F4A7C15L);
        z = (z ^ (z >>> 30)) * 0xBF58476D1CE4E5B9L;
        z = (z ^ (z >>> 27)) * 0x94D049BB133111EBL;
        return z ^ (z >>> 31);
    }

    /** Uniform integer in [0, bound), without modulo bias (rejection sampling). */
    public int nextInt(int bound) {
        if (bound <= 0) throw new IllegalArgumentException("bound must be positive, got " + bound);
        while (true) {
            long r = nextLong() >>> 1;          // 63 uniform bits
            long v = r % bound;
            if (r - v + (bound - 1) >= 0) {     // overflow means r fell in the last, incomplete block: reject
                return (int) v;
            }
        }
    }

    /** Uniform double in [0, 1) from the top 53 bits. */
    public double nextDouble() { return (nextLong() >>> 11) * 0x1.0p-53; }

    /** Standard normal (Box-Muller, one value per call). */
    public double nextGaussian() {
        double u1 = 1.0 - nextDouble(); // (0, 1]
        double u2 = nextDouble();
        return Math.sqrt(-2.0 * Math.log(u1)) * Math.cos(2.0 * Math.PI * u2);
    }

    /**
     * A seed derived from a parent seed and an index (e.g. run seed and step, or step seed and
     * sample): the SplitMix64 finaliser of their combination, so neighbouring indices give
     * unrelated seeds.
     */
    public static long derive(long seed, long index) {
        return new Rng(seed ^ (index * 0xD1B54A32D192ED03L + 0x632BE59BD9B4E019L)).nextLong();
    }

    /** Shuffles a[0..n) in place (Fisher-Yates). */
    public void shuffle(int[] a, int n) {
        for (int i = n - 1; i > 0; i--) {
            int j = nextInt(i + 1);
            int t = a[i];
            a[i] = a[j];
            a[j] = t;
        }
    }
}
