package org.maesil.harness;

import static org.assertj.core.api.Assertions.assertThat;

import java.util.List;
import org.junit.jupiter.api.Test;

class LauncherTest {
    private static final long GIB = 1L << 30;

    @Test
    void youngGenerationIsCappedAtOneGibOrAQuarterOfTheHeap() {
        assertThat(Launcher.youngGenerationCap(List.of("-Xmx16g"), 16 * GIB)).containsExactly("-XX:MaxNewSize=1024m");
        assertThat(Launcher.youngGenerationCap(List.of(), 2 * GIB)).containsExactly("-XX:MaxNewSize=512m");
    }

    @Test
    void aYoungGenerationSizeOnTheCommandLineWins() {
        assertThat(Launcher.youngGenerationCap(List.of("-Xmx16g", "-Xmn2g"), 16 * GIB)).isEmpty();
        assertThat(Launcher.youngGenerationCap(List.of("-XX:MaxNewSize=3g"), 16 * GIB)).isEmpty();
        assertThat(Launcher.youngGenerationCap(List.of("-XX:NewRatio=3"), 16 * GIB)).isEmpty();
    }
}
