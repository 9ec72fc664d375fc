package org.maesil.train;

import static org.assertj.core.api.Assertions.assertThat;

import java.io.ByteArrayOutputStream;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import org.junit.jupiter.api.Test;

class ProgressBarTest {
    @Test
    void rendersStepLossThroughputAndEta() {
        ProgressBar bar = new ProgressBar(new PrintStream(new ByteArrayOutputStream()), 10, 110, "tokens", false, 0);
        String line = bar.render(60, 0.0123456, 500_000, 25.0);
        assertThat(line).startsWith("[#############...........]");
        assertThat(line).contains(" 60/110", "loss 0.012346", "20.0k tokens/s", "ETA 25s");
        assertThat(ProgressBar.duration(3725)).isEqualTo("1h02m");
        assertThat(ProgressBar.duration(125)).isEqualTo("2m05s");
    }

    @Test
    void plainModePrintsWholeLinesAndAlwaysTheLastStep() {
        ByteArrayOutputStream out = new ByteArrayOutputStream();
        ProgressBar bar = new ProgressBar(new PrintStream(out, true, StandardCharsets.UTF_8), 0, 3, "voxels", false, 3600);
        bar.update(1, 0.5, 10);
        bar.update(2, 0.4, 20); // within the interval: not printed
        bar.update(3, 0.3, 30); // the last step: printed
        bar.finish();
        String[] lines = out.toString(StandardCharsets.UTF_8).split("\n");
        assertThat(lines).hasSize(2);
        assertThat(lines[0]).contains("1/3");
        assertThat(lines[1]).contains("3/3", "loss 0.3");
        assertThat(out.toString(StandardCharsets.UTF_8)).doesNotContain("\r");
    }
}
