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

    @Test
    void theJitFlagNamesAnExistingMethodAndIsQuiet() throws Exception {
        String[] parts = Launcher.EXP_METHOD.split("::");
        Class<?> c = Class.forName(parts[0]);
        assertThat(java.util.Arrays.stream(c.getDeclaredMethods()).map(java.lang.reflect.Method::getName)).contains(parts[1]);
        assertThat(Launcher.JIT_FLAGS.get(0)).isEqualTo("-XX:CompileCommand=quiet");
        assertThat(Launcher.JIT_FLAGS.get(1)).endsWith(Launcher.EXP_METHOD);
    }
}
