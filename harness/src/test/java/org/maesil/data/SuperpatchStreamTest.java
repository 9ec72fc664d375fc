package org.maesil.data;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.io.IOException;
import java.lang.ref.WeakReference;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.Test;

class SuperpatchStreamTest {
    /** Phantom cases generated in memory; every loaded volume is remembered weakly. */
    static final class Source {
        final List<WeakReference<float[]>> loaded = new ArrayList<>();
        int loads;

        DataSource make(int count, int size, double[] spacing) {
            List<DataSource.Case> cases = new ArrayList<>();
            for (int i = 0; i < count; i++) {
                long seed = 100 + i;
                String region = i % 2 == 0 ? "abdomen" : "thorax";
                cases.add(new DataSource.Case("case" + i, "memory", () -> {
                    Volume v = Phantom.generate(region, size, seed);
                    loaded.add(new WeakReference<>(v.voxels));
                    loads++;
                    return v;
                }));
            }
            return new DataSource("mem", "test", -175, 250, spacing, new SplitRule("hash", 0.25, 0), cases);
        }
    }

    @Test
    void deterministicShuffledAndSkipsNearlyEmptySuperpatches() throws IOException {
        DataSource ds = new Source().make(4, 24, null);
        int s = 8;
        List<float[]> a = drain(new SuperpatchStream(ds, s, 42), s, 0);
        List<float[]> b = drain(new SuperpatchStream(ds, s, 42), s, 0);
        assertThat(a).hasSameSizeAs(b);
        for (int i = 0; i < a.size(); i++) assertThat(a.get(i)).containsExactly(b.get(i));
        for (float[] p : a) assertThat(Preprocess.nearlyEmpty(p, 0.05)).isFalse();
        // the count equals the non-empty superpatches of the training cases
        int expected = 0;
        for (DataSource.Case c : ds.trainCases()) {
            Volume v = Preprocess.prepare(c.load(), -175, 250, null, s);
            for (float[] p : Superpatches.cutAll(v, s)) if (!Preprocess.nearlyEmpty(p, 0.05)) expected++;
        }
        assertThat(a).hasSize(expected);
        assertThat(expected).isLessThan(ds.trainCases().size() * 27); // the air around the body was skipped
        // another seed, or the next epoch, gives another order of the same superpatches
        List<float[]> c = drain(new SuperpatchStream(ds, s, 43), s, 0);
        List<float[]> e1 = drain(new SuperpatchStream(ds, s, 42), s, 1);
        assertThat(c).hasSize(expected);
        assertThat(e1).hasSize(expected);
        assertThat(sameOrder(a, c) && sameOrder(a, e1)).isFalse();
    }

    private static boolean sameOrder(List<float[]> x, List<float[]> y) {
        for (int i = 0; i < x.size(); i++) if (!java.util.Arrays.equals(x.get(i), y.get(i))) return false;
        return true;
    }

    private static List<float[]> drain(SuperpatchStream st, int s, int epoch) throws IOException {
        st.startEpoch(epoch);
        List<float[]> out = new ArrayList<>();
        float[] buf = new float[s * s * s];
        while (st.next(buf)) out.add(buf.clone());
        return out;
    }

    @Test
    void holdsOneVolumeAtATimeWithinTheStatedBound() throws IOException {
        Source src = new Source();
        double[] target = {15.0, 15.0, 12.0}; // coarser than the phantoms' 12.5 x 12.5 x 9.4 mm
        DataSource ds = src.make(6, 32, target);
        int s = 8;
        SuperpatchStream st = new SuperpatchStream(ds, s, 1);
        float[] buf = new float[s * s * s];
        List<WeakReference<float[]>> prepared = new ArrayList<>();
        long maxRaw = 0, maxRes = 0, maxPad = 0;
        String last = null;
        int volumesSeen = 0;
        while (st.next(buf)) {
            if (!st.currentCase().equals(last)) {
                last = st.currentCase();
                volumesSeen++;
                Volume cur = st.currentVolume();
                prepared.add(new WeakReference<>(cur.voxels));
                // every earlier volume (raw and prepared) must be unreachable from the stream now
                System.gc();
                for (int i = 0; i < src.loaded.size() - 1; i++) assertThat(src.loaded.get(i).get()).as("raw volume %d still held", i).isNull();
                for (int i = 0; i < prepared.size() - 1; i++) assertThat(prepared.get(i).get()).as("prepared volume %d still held", i).isNull();
                assertThat(st.heldBytes()).isLessThanOrEqualTo(4L * cur.size() + 4L * (cur.size() / (s * s * s) + 1));
            }
        }
        assertThat(volumesSeen).isEqualTo(ds.trainCases().size());
        // sizes of the dataset's volumes through the pipeline
        for (DataSource.Case c : ds.trainCases()) {
            Volume raw = Phantom.generate(c.id().equals("case0") ? "abdomen" : "thorax", 32, 100);
            Volume res = Preprocess.resample(raw, target);
            maxRaw = Math.max(maxRaw, raw.size());
            maxRes = Math.max(maxRes, res.size());
            maxPad = Math.max(maxPad, Preprocess.padToMultiple(res, s, 0f).size());
        }
        long bound = SuperpatchStream.boundBytes(maxRaw, maxRes, maxPad, s);
        assertThat(st.peakHeldBytes()).isPositive().isLessThanOrEqualTo(bound);
        // and well below holding every training volume (raw and prepared) at once
        assertThat(st.peakHeldBytes()).isLessThan(4L * (maxRaw + maxPad) * ds.trainCases().size());
    }

    @Test
    void testVolumesArePreparedOneByOneAndAreNotTrainingCases() throws IOException {
        DataSource ds = new Source().make(5, 16, null);
        SuperpatchStream st = new SuperpatchStream(ds, 8, 0);
        List<String> ids = new ArrayList<>();
        for (SuperpatchStream.PreparedVolume pv : st.testVolumes()) {
            ids.add(pv.id);
            assertThat(pv.count()).isEqualTo(8);
            assertThat(pv.volume.nx % 8).isZero();
            float[] b = new float[512];
            pv.superpatch(0, b);
            for (float f : b) assertThat(f).isBetween(0f, 1f);
        }
        assertThat(ids).isNotEmpty();
        assertThat(st.trainCases()).extracting(DataSource.Case::id).doesNotContainAnyElementsOf(ids);
    }

    @Test
    void allEmptyDataIsAClearError() {
        float[] air = new float[16 * 16 * 16];
        java.util.Arrays.fill(air, -1000f);
        List<DataSource.Case> cases = List.of(new DataSource.Case("air", "memory",
                () -> Volume.of(air.clone(), 16, 16, 16, new double[] {1, 1, 1}, "air")));
        DataSource ds = new DataSource("air", "empty", -175, 250, null, new SplitRule("hash", 0, 0), cases);
        SuperpatchStream st = new SuperpatchStream(ds, 8, 0);
        assertThatThrownBy(() -> st.next(new float[512])).isInstanceOf(DataException.class).hasMessageContaining("no training superpatch");
    }
}
