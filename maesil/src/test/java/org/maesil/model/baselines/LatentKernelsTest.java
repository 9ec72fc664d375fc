package org.maesil.model.baselines;

import static org.assertj.core.api.Assertions.assertThat;

import java.util.SplittableRandom;
import org.junit.jupiter.api.Test;

class LatentKernelsTest {
    /** The search written the plain way (codes outer, channels inner, in double): the oracle. */
    private static int nearestByCode(float[] z, float[] codebook, int c, int l, int k, int row) {
        int b = row / l, base = b * c * l + (row - b * l), best = 0;
        double bestDist = Double.MAX_VALUE;
        for (int j = 0; j < k; j++) {
            double dist = 0.0;
            for (int ch = 0; ch < c; ch++) {
                double diff = (double) z[base + ch * l] - codebook[j * c + ch];
                dist += diff * diff;
            }
            if (dist < bestDist) {
                bestDist = dist;
                best = j;
            }
        }
        return best;
    }

    @Test
    void searchByChannelPicksTheSameCodesAsThePlainSearch() {
        int b = 3, c = 5, l = 37, k = 19;
        SplittableRandom rnd = new SplittableRandom(7);
        float[] z = new float[b * c * l], codebook = new float[k * c];
        for (int i = 0; i < z.length; i++) z[i] = (float) rnd.nextGaussian();
        for (int i = 0; i < codebook.length; i++) codebook[i] = (float) rnd.nextGaussian();
        // exact ties: codes 4 and 11 equal (the first must win), and latent vector 0 equal to code 9
        System.arraycopy(codebook, 4 * c, codebook, 11 * c, c);
        for (int ch = 0; ch < c; ch++) z[ch * l] = codebook[9 * c + ch];
        for (int ch = 0; ch < c; ch++) z[ch * l + 1] = codebook[4 * c + ch];
        double[] codebookT = new double[c * k];
        for (int j = 0; j < k; j++) {
            for (int ch = 0; ch < c; ch++) codebookT[ch * k + j] = codebook[j * c + ch];
        }
        int[] byRow = new int[b * l], byChannel = new int[b * l];
        double[] dist = new double[k];
        for (int r = 0; r < b * l; r++) {
            byRow[r] = nearestByCode(z, codebook, c, l, k, r);
            LatentKernels.nearestCodeRow(z, codebookT, dist, byChannel, c, l, k, r);
        }
        assertThat(byChannel).containsExactly(byRow);
        assertThat(byRow[0]).isEqualTo(9);
        assertThat(byRow[1]).isEqualTo(4);
    }
}
