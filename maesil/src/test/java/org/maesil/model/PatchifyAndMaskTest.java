package org.maesil.model;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.util.HashSet;
import java.util.Set;
import org.junit.jupiter.api.Test;

class PatchifyAndMaskTest {

    @Test
    void patchifyFollowsTheTorchReshapePermuteOrder() {
        int b = 2, s = 8, p = 2, g = s / p;
        float[] x = new float[b * s * s * s];
        for (int i = 0; i < x.length; i++) x[i] = i;
        float[] patches = new float[x.length];
        Patchify.patchify(x, patches, b, s, p);
        // x.reshape(B, g, p, g, p, g, p).permute(0, 1, 3, 5, 2, 4, 6): element (b, tz, ty, tx, dz, dy, dx)
        int i = 0;
        for (int bb = 0; bb < b; bb++)
            for (int tz = 0; tz < g; tz++) for (int ty = 0; ty < g; ty++) for (int tx = 0; tx < g; tx++)
                for (int dz = 0; dz < p; dz++) for (int dy = 0; dy < p; dy++) for (int dx = 0; dx < p; dx++) {
                    int z = tz * p + dz, y = ty * p + dy, xx = tx * p + dx;
                    assertThat(patches[i++]).isEqualTo((float) (((bb * s + z) * s + y) * s + xx));
                }
        float[] back = new float[x.length];
        Patchify.unpatchify(patches, back, b, s, p);
        assertThat(back).containsExactly(x);
    }

    @Test
    void patchifyRowsAgreeWithTheElementFormula() {
        int b = 2, s = 12, p = 3; // odd patch edge: rows of 3 voxels
        float[] x = new float[b * s * s * s];
        for (int i = 0; i < x.length; i++) x[i] = i * 0.5f - 7f;
        float[] patches = new float[x.length];
        Patchify.patchify(x, patches, b, s, p);
        for (int i = 0; i < x.length; i++) {
            assertThat(patches[i]).as("element %d", i).isEqualTo(x[Patchify.voxelOfPatchElement(i, s, p)]);
        }
        float[] back = new float[x.length];
        Patchify.unpatchify(patches, back, b, s, p);
        assertThat(back).containsExactly(x);
    }

    @Test
    void positionsFollowTheDocumentedFormula() {
        int g = 3, w = 16; // parts: z 4, y 4, x 8
        float[] t = PositionalEmbedding3d.table(g, w);
        int token = (2 * g + 1) * g + 0; // z 2, y 1, x 0
        assertThat(t[token * w]).isCloseTo((float) Math.sin(2.0), org.assertj.core.data.Offset.offset(1e-6f));
        assertThat(t[token * w + 1]).isCloseTo((float) Math.sin(2.0 / 100.0), org.assertj.core.data.Offset.offset(1e-6f));
        assertThat(t[token * w + 2]).isCloseTo((float) Math.cos(2.0), org.assertj.core.data.Offset.offset(1e-6f));
        assertThat(t[token * w + 4]).isCloseTo((float) Math.sin(1.0), org.assertj.core.data.Offset.offset(1e-6f));
        assertThat(t[token * w + 8]).isEqualTo(0f);      // sin(0) for x
        assertThat(t[token * w + 12]).isEqualTo(1f);     // cos(0) for x
        assertThatThrownBy(() -> PositionalEmbedding3d.table(g, 7)).hasMessageContaining("even");
    }

    @Test
    void dualMaskHasFixedCountsAContiguousAxisBlockAndIsSeeded() {
        DualMask dm = new DualMask(8, 0.5, 0.5);
        assertThat(dm.visibleCount()).isEqualTo(4 * 32);
        assertThat(dm.totalRatio()).isEqualTo(0.75);
        Set<Integer> starts = new HashSet<>();
        for (long seed = 0; seed < 40; seed++) {
            DualMask.Sample m = dm.draw(seed);
            assertThat(m.visible()).hasSize(dm.visibleCount());
            starts.add(m.axisStart());
            for (int z = 0; z < 8; z++) {
                int planeMasked = 0;
                boolean axis = z >= m.axisStart() && z < m.axisStart() + 4;
                for (int i = 0; i < 64; i++) {
                    int t = z * 64 + i;
                    if (m.byPlane()[t]) planeMasked++;
                    assertThat(m.byAxis()[t]).isEqualTo(axis);
                }
                assertThat(planeMasked).isEqualTo(32);
            }
            DualMask.Sample again = dm.draw(seed);
            assertThat(again.visible()).containsExactly(m.visible());
        }
        assertThat(starts).hasSizeGreaterThan(3); // offsets vary with the seed
        assertThat(dm.draw(1).visible()).isNotEqualTo(dm.draw(2).visible());

        DualMask paperText = new DualMask(16, 0.75, 0.5);
        assertThat(paperText.totalRatio()).isEqualTo(0.875);
        assertThatThrownBy(() -> new DualMask(4, 1.0, 0.5)).hasMessageContaining("plane ratio");
    }

    @Test
    void maskPictureAndVoxelMaskAgree() {
        DualMask dm = new DualMask(4, 0.5, 0.5);
        DualMask.Sample m = dm.draw(7);
        float[] vox = m.voxelMask(2);
        int s = 8;
        for (int t = 0; t < 64; t++) {
            int tz = t / 16, ty = (t / 4) % 4, tx = t % 4;
            assertThat(vox[((tz * 2) * s + ty * 2) * s + tx * 2]).isEqualTo(m.isMasked(t) ? 1f : 0f);
        }
        DualMask.Picture pic = m.picture(3);
        assertThat(pic.width()).isEqualTo(4 * 12 + 3);
        assertThat(pic.height()).isEqualTo(12);
        int t = m.visible()[0];
        int tz = t / 16, ty = (t / 4) % 4, tx = t % 4;
        assertThat(pic.rgb()[(ty * 3) * pic.width() + tz * 13 + tx * 3]).isEqualTo(0xE8E8E8);
    }

    @Test
    void tokenKernelsGatherScatterAndTheirGradients() {
        int b = 2, n = 5, nv = 2, c = 3;
        int[] visible = {1, 3, 0, 4};
        int[] slot = {-1, 0, -1, 1, -1, 0, -1, -1, -1, 1};
        float[] x = new float[b * n * c];
        for (int i = 0; i < x.length; i++) x[i] = i;
        float[] out = new float[b * nv * c];
        TokenKernels.gatherRows(x, visible, out, b, n, nv, c);
        assertThat(out).containsExactly(3, 4, 5, 9, 10, 11, 15, 16, 17, 27, 28, 29);
        float[] dx = new float[x.length];
        TokenKernels.gatherRowsBackward(out, slot, dx, b, n, nv, c);
        // adjoint: <gather(x), out> = <x, gatherBackward(out)>
        double lhs = 0, rhs = 0;
        for (int i = 0; i < out.length; i++) lhs += out[i] * out[i];
        for (int i = 0; i < x.length; i++) rhs += x[i] * dx[i];
        assertThat(rhs).isEqualTo(lhs);
        float[] full = new float[b * n * c];
        float[] token = {-1, -2, -3};
        TokenKernels.scatterWithMaskToken(out, token, slot, full, b, n, nv, c);
        assertThat(full[0]).isEqualTo(-1f);
        assertThat(full[3]).isEqualTo(3f);
        float[] dt = new float[c];
        float[] ones = new float[full.length];
        java.util.Arrays.fill(ones, 1f);
        TokenKernels.maskTokenGrad(ones, slot, dt, b, n, c);
        assertThat(dt).containsExactly(6f, 6f, 6f); // 6 masked tokens in the batch
    }
}
