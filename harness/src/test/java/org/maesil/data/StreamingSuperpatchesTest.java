package org.maesil.data;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.HashSet;
import java.util.List;
import java.util.Set;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.maesil.train.SuperpatchSource;

class StreamingSuperpatchesTest {
    @TempDir Path tmp;

    /** Phantom cases of various sizes, generated when loaded; counts loads. */
    static final class Cases {
        int loads;
        final List<DataSource.Case> list = new ArrayList<>();

        Cases(int... sizes) {
            for (int i = 0; i < sizes.length; i++) {
                int size = sizes[i];
                long seed = 300 + i;
                String region = i % 2 == 0 ? "abdomen" : "thorax";
                list.add(new DataSource.Case("case" + i, "memory:" + size + ":" + seed, () -> {
                    loads++;
                    return Phantom.generate(region, size, seed);
                }));
            }
        }
    }

    /** The source's superpatches computed the plain way: every volume prepared, non-empty ones in grid order. */
    static List<float[]> expected(List<DataSource.Case> cases, double[] spacing, int s) throws IOException {
        List<float[]> out = new ArrayList<>();
        for (DataSource.Case c : cases) {
            Volume v = Preprocess.prepare(c.load(), -175, 250, spacing, s);
            for (float[] p : Superpatches.cutAll(v, s)) if (!Preprocess.nearlyEmpty(p, 0.05)) out.add(p);
        }
        return out;
    }

    @Test
    void indexReadAndOrderAreThoseOfThePlainPipeline() throws IOException {
        Cases cs = new Cases(24, 32, 16, 24);
        int s = 8;
        StreamingSuperpatches src = StreamingSuperpatches.open("test", cs.list, -175, 250, null, s, 0.05, null);
        List<float[]> want = expected(cs.list, null, s);
        assertThat(src.size()).isEqualTo(want.size());
        float[] buf = new float[s * s * s + 3];
        for (int i = want.size() - 1; i >= 0; i--) { // any index, from the end: random access works (loading as needed)
            src.read(i, buf, 3);
            assertThat(Arrays.copyOfRange(buf, 3, buf.length)).as("superpatch " + i).containsExactly(want.get(i));
        }
        // the order: every epoch visits every superpatch once, volume after volume, a pure function of (seed, k)
        int n = src.size();
        SuperpatchSource.Order a = src.order(7), b = src.order(7);
        List<Integer> epoch0 = new ArrayList<>(), epoch1 = new ArrayList<>();
        for (long k = 0; k < 2L * n; k++) (k < n ? epoch0 : epoch1).add(a.item(k));
        for (long k = 2L * n - 1; k >= 0; k--) { // a fresh order sought backwards gives the same items
            assertThat(b.item(k)).isEqualTo((k < n ? epoch0 : epoch1).get((int) (k % n)));
        }
        assertThat(new HashSet<>(epoch0)).hasSize(n);
        assertThat(new HashSet<>(epoch1)).hasSize(n);
        assertThat(epoch1).isNotEqualTo(epoch0);
        assertThat(volumeRuns(src, epoch0)).isEqualTo(nonEmptyVolumes(src));
        assertThat(volumeRuns(src, epoch1)).isEqualTo(nonEmptyVolumes(src));
        List<Integer> other = new ArrayList<>();
        SuperpatchSource.Order c = src.order(8);
        for (long k = 0; k < n; k++) other.add(c.item(k));
        assertThat(other).isNotEqualTo(epoch0);
        assertThat(a.position(n + 1)).startsWith("epoch 1, volume 1 of 4 (case").contains("superpatch 2 of");
    }

    /** How many runs of consecutive items from one volume the list has. */
    private static int volumeRuns(StreamingSuperpatches src, List<Integer> items) {
        long[] start = prefix(src.counts());
        int runs = 0, last = -1;
        for (int i : items) {
            int c = StreamingSuperpatches.caseOf(start, i);
            if (c != last) runs++;
            last = c;
        }
        return runs;
    }

    private static long[] prefix(int[] counts) {
        long[] p = new long[counts.length + 1];
        for (int i = 0; i < counts.length; i++) p[i + 1] = p[i] + counts[i];
        return p;
    }

    private static int nonEmptyVolumes(StreamingSuperpatches src) {
        return (int) Arrays.stream(src.counts()).filter(c -> c > 0).count();
    }

    @Test
    void holdsOneVolumeAtATimeWithinTheStatedBound() throws IOException {
        // 40^3 phantoms (10 mm in-plane) resampled to 12 mm in-plane: raw, windowed, resampled and padded copies all differ
        Cases cs = new Cases(40, 24, 40, 32, 40);
        int s = 16;
        double[] spacing = {12, 12, 12};
        StreamingSuperpatches src = StreamingSuperpatches.open("test", cs.list, -175, 250, spacing, s, 0.05, null);
        assertThat(cs.loads).isEqualTo(5); // the index pass read every volume once
        long maxRaw = 0, maxRes = 0, maxPad = 0;
        for (DataSource.Case c : cs.list) {
            Volume raw = c.load();
            Volume res = Preprocess.resample(raw, spacing);
            Volume pad = Preprocess.padToMultiple(res, s, 0f);
            maxRaw = Math.max(maxRaw, raw.size());
            maxRes = Math.max(maxRes, res.size());
            maxPad = Math.max(maxPad, pad.size());
        }
        assertThat(maxRes).isNotEqualTo(maxRaw);
        long bound = StreamingSuperpatches.boundBytes(maxRaw, maxRes, maxPad, s, cs.list.size());
        long oneVolume = 4 * maxPad + 12 * (maxPad / (s * s * s)) + 4L * s * s * s + 24L * cs.list.size() + 16;

        cs.loads = 0;
        SuperpatchSource.Order order = src.order(3);
        float[] buf = new float[s * s * s];
        int epochs = 3;
        List<Integer> items = new ArrayList<>();
        for (long k = 0; k < (long) epochs * src.size(); k++) {
            items.add(order.item(k));
            src.read(items.get(items.size() - 1), buf, 0);
            assertThat(src.heldBytes()).as("between loads: one padded volume and its lists").isLessThanOrEqualTo(oneVolume);
        }
        // each non-empty volume loaded once per epoch (once for two epochs when one ends and the next starts with it)
        assertThat(cs.loads).isEqualTo(volumeRuns(src, items));
        assertThat(cs.loads).isBetween(epochs * nonEmptyVolumes(src) - (epochs - 1), epochs * nonEmptyVolumes(src));
        assertThat(src.peakHeldBytes()).isLessThanOrEqualTo(bound);
        assertThat(src.peakHeldBytes()).isGreaterThan(4 * (2 * maxRaw)); // the accounting saw a whole load
        System.out.printf("streaming bound: peak %d bytes held <= bound %d (raw %d, resampled %d, padded %d voxels); "
                + "between loads <= %d%n", src.peakHeldBytes(), bound, maxRaw, maxRes, maxPad, oneVolume);
    }

    @Test
    void theIndexFileIsReusedRebuiltForOtherDataAndChangedVolumesAreCaught() throws IOException {
        Path index = tmp.resolve("run").resolve("data-index.json");
        Cases cs = new Cases(24, 24, 32);
        StreamingSuperpatches first = StreamingSuperpatches.open("test", cs.list, -175, 250, null, 8, 0.05, index);
        assertThat(cs.loads).isEqualTo(3);
        assertThat(Files.exists(index)).isTrue();
        StreamingSuperpatches again = StreamingSuperpatches.open("test", cs.list, -175, 250, null, 8, 0.05, index);
        assertThat(cs.loads).isEqualTo(3); // nothing read up front
        assertThat(again.counts()).containsExactly(first.counts());
        float[] buf = new float[512];
        again.read(again.order(1).item(5L * again.size() + 3), buf, 0); // a seek far into the stream reads one volume
        assertThat(cs.loads).isEqualTo(4);
        // another threshold: the index is rebuilt
        StreamingSuperpatches other = StreamingSuperpatches.open("test", cs.list, -175, 250, null, 8, 0.2, index);
        assertThat(cs.loads).isEqualTo(7);
        assertThat(other.size()).isLessThan(first.size());
        // the same ids with other contents: caught when the volume is read
        Cases changed = new Cases(24, 24, 32);
        List<DataSource.Case> swapped = new ArrayList<>(changed.list);
        DataSource.Case c0 = changed.list.get(0);
        swapped.set(0, new DataSource.Case(c0.id(), c0.location(), () -> Volume.of(air(24), 24, 24, 24,
                new double[] {1, 1, 1}, "air")));
        StreamingSuperpatches.open("test", cs.list, -175, 250, null, 8, 0.05, index); // back to the first index
        StreamingSuperpatches stale = StreamingSuperpatches.open("test", swapped, -175, 250, null, 8, 0.05, index);
        assertThatThrownBy(() -> stale.read(0, buf, 0))
                .hasMessageContaining("case case0 now has 0 non-empty superpatches")
                .hasMessageContaining("the data changed since the run started");
    }

    private static float[] air(int n) {
        float[] v = new float[n * n * n];
        Arrays.fill(v, -1000f);
        return v;
    }

    @Test
    void dataWithNoNonEmptySuperpatchIsOneClearError() {
        List<DataSource.Case> air = List.of(new DataSource.Case("a", "memory", () -> Volume.of(air(16), 16, 16, 16,
                new double[] {1, 1, 1}, "air")));
        assertThatThrownBy(() -> StreamingSuperpatches.open("air", air, -175, 250, null, 8, 0.05, null))
                .isInstanceOf(DataException.class)
                .hasMessageContaining("air: no training superpatch of 8^3 has a mean intensity above 0.05");
        assertThatThrownBy(() -> StreamingSuperpatches.open("none", List.of(), -175, 250, null, 8, 0.05, null))
                .hasMessageContaining("the training split holds no volume");
    }
}
