package org.maesil.metrics;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.within;

import java.util.Map;
import java.util.Random;
import org.junit.jupiter.api.Test;

class AggregationTest {

    @Test
    void volumeMeansAreMeansOverSuperpatchesAndDatasetMeansOverVolumes() {
        MetricAggregator agg = new MetricAggregator(1);
        agg.add("btcv", "v1", Map.of("psnr", 30.0, "ssim3d", 0.9));
        agg.add("btcv", "v1", Map.of("psnr", 20.0, "ssim3d", 0.7));
        agg.add("btcv", "v2", Map.of("psnr", 40.0, "ssim3d", 0.95));
        agg.add("lidc", "w1", Map.of("psnr", 10.0));
        assertThat(agg.volumeMeans("btcv", "psnr")).containsExactly(Map.entry("v1", 25.0), Map.entry("v2", 40.0));
        // the dataset mean weights volumes equally, not superpatches: (25 + 40) / 2, not 90 / 3
        assertThat(agg.dataset("btcv", "psnr").mean()).isEqualTo(32.5);
        assertThat(agg.dataset("btcv", "ssim3d").mean()).isCloseTo((0.8 + 0.95) / 2, within(1e-15));
        assertThat(agg.dataset("lidc", "ssim3d")).isNull();
        Bootstrap.Summary one = agg.dataset("lidc", "psnr");
        assertThat(one.n()).isEqualTo(1);
        assertThat(one.degenerate()).isTrue();
        assertThat(agg.overall("psnr").mean()).isCloseTo((25 + 40 + 10) / 3.0, within(1e-12));
        assertThat(agg.overall("psnr").n()).isEqualTo(3);
        assertThat(agg.has("lpips")).isFalse();
        assertThat(agg.datasets()).containsExactly("btcv", "lidc");
    }

    @Test
    void bootstrapIntervalIsDeterministicAndCloseToTheNormalTheory() {
        Random r = new Random(5);
        double[] v = new double[200];
        for (int i = 0; i < v.length; i++) v[i] = 25 + 2 * r.nextGaussian();
        Bootstrap.Summary s = Bootstrap.summarise(v, 42, 2000);
        Bootstrap.Summary again = Bootstrap.summarise(v, 42, 2000);
        assertThat(again).isEqualTo(s);
        assertThat(s.low()).isLessThan(s.mean());
        assertThat(s.high()).isGreaterThan(s.mean());
        // normal theory: half-width 1.96 * sd / sqrt(n); the bootstrap agrees within ~10%
        double sd = 0;
        for (double x : v) sd += (x - s.mean()) * (x - s.mean());
        sd = Math.sqrt(sd / (v.length - 1));
        double half = 1.96 * sd / Math.sqrt(v.length);
        assertThat((s.high() - s.low()) / 2).isCloseTo(half, within(0.1 * half));
        assertThat(Bootstrap.summarise(v, 43, 2000)).isNotEqualTo(s);
    }

    @Test
    void bootstrapOfEqualValuesIsAPoint() {
        Bootstrap.Summary s = Bootstrap.summarise(new double[] {0.5, 0.5, 0.5}, 1, 2000);
        assertThat(s.mean()).isEqualTo(0.5);
        assertThat(s.low()).isEqualTo(0.5);
        assertThat(s.high()).isEqualTo(0.5);
    }

    @Test
    void percentileIntervalOfTwoValuesCoversTheirRange() {
        // resample means of {0, 1} are k/2 with k ~ Binomial(2, 1/2): 0, 0.5, 1 with probability 1/4, 1/2, 1/4
        Bootstrap.Summary s = Bootstrap.summarise(new double[] {0, 1}, 3, 2000);
        assertThat(s.mean()).isEqualTo(0.5);
        assertThat(s.low()).isEqualTo(0.0);
        assertThat(s.high()).isEqualTo(1.0);
    }
}
