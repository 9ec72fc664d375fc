package org.maesil.data;

import java.nio.charset.StandardCharsets;
import java.util.List;

/**
 * Train/test split by a deterministic hash of the case id: a case is a test case when
 * hash(seed, id) mapped to [0, 1) is below {@code testFraction}. The hash is 64-bit FNV-1a of
 * "seed:id", so the split depends on nothing but the ids (not on their order, not on the
 * machine). With at least two cases and a fraction in (0, 1), both sides get at least one case:
 * if the hash put every case on one side, the case with the smallest (or largest) hash moves.
 */
public record SplitRule(String rule, double testFraction, long seed) {
    public static final SplitRule DEFAULT = new SplitRule("hash", 0.2, 0);

    public SplitRule {
        if (!rule.equals("hash")) throw new IllegalArgumentException("unknown split rule '" + rule + "' (known: hash)");
        if (!(testFraction >= 0 && testFraction < 1)) throw new IllegalArgumentException("test_fraction must be in [0, 1), got " + testFraction);
    }

    /** hash(seed, id) in [0, 1). */
    public double unit(String id) {
        long h = 0xcbf29ce484222325L;
        for (byte b : (seed + ":" + id).getBytes(StandardCharsets.UTF_8)) {
            h ^= b & 0xff;
            h *= 0x100000001b3L;
        }
        h ^= h >>> 33; // spread the high bits down (FNV-1a's low bits mix poorly on short keys)
        h *= 0xff51afd7ed558ccdL;
        h ^= h >>> 33;
        return (h >>> 11) * 0x1.0p-53;
    }

    public boolean isTest(String id) {
        return unit(id) < testFraction;
    }

    /** Test flags for a list of ids, with the at-least-one-per-side rule. */
    public boolean[] assign(List<String> ids) {
        int n = ids.size();
        boolean[] test = new boolean[n];
        int tests = 0;
        int minI = -1, maxI = -1;
        for (int i = 0; i < n; i++) {
            double u = unit(ids.get(i));
            test[i] = u < testFraction;
            if (test[i]) tests++;
            if (minI < 0 || u < unit(ids.get(minI))) minI = i;
            if (maxI < 0 || u > unit(ids.get(maxI))) maxI = i;
        }
        if (n >= 2 && testFraction > 0) {
            if (tests == 0) test[minI] = true;
            else if (tests == n) test[maxI] = false;
        }
        return test;
    }
}
