package org.maesil.harness;

import static org.assertj.core.api.Assertions.assertThat;

import com.google.gson.JsonObject;
import com.google.gson.JsonParser;
import java.io.ByteArrayOutputStream;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** devices and portability in the default build, where the TornadoVM backend is absent. */
class PortabilityCommandTest {

    private static String runCapturing(String... args) {
        PrintStream old = System.out;
        ByteArrayOutputStream buf = new ByteArrayOutputStream();
        try {
            System.setOut(new PrintStream(buf, true, StandardCharsets.UTF_8));
            assertThat(Main.run(args)).isZero();
        } finally {
            System.setOut(old);
        }
        return buf.toString(StandardCharsets.UTF_8);
    }

    @Test
    void devicesSaysClearlyThatTornadoIsNotInstalled() {
        String text = runCapturing("devices");
        assertThat(text).contains("--backend java").contains("tornado (not available)")
                .contains("the tornado backend is not installed").contains("docs/TORNADO.md");
        JsonObject json = JsonParser.parseString(runCapturing("devices", "--json")).getAsJsonObject();
        var backends = json.getAsJsonArray("backends");
        assertThat(backends.get(0).getAsJsonObject().get("backend").getAsString()).isEqualTo("java");
        JsonObject tornado = backends.get(backends.size() - 1).getAsJsonObject();
        assertThat(tornado.get("backend").getAsString()).isEqualTo("tornado");
        assertThat(tornado.get("installed").getAsBoolean()).isFalse();
    }

    @Test
    void portabilityWithoutDevicesWritesTheJavaOnlyReportWithKernelSources(@TempDir Path dir) throws Exception {
        Path out = dir.resolve("report");
        String json = runCapturing("portability", "--out", out.toString(), "--repeat", "1", "--threads", "1", "--json");
        JsonObject summary = JsonParser.parseString(json).getAsJsonObject();
        assertThat(summary.get("total").getAsInt()).isZero();
        assertThat(summary.getAsJsonArray("notes").toString()).contains("no accelerator devices found");
        String html = Files.readString(out.resolve("index.html"));
        assertThat(html).contains("Kernel x device").contains("matmul forward").contains("attention backward")
                .contains("Matmul.java")
                // the kernel's own source is bundled and shown
                .contains("public static void matmulElement(");
        assertThat(out.resolve("results.json")).exists();
        try (var files = Files.list(out)) {
            assertThat(files.map(p -> p.getFileName().toString())).containsExactlyInAnyOrder("index.html", "results.json");
        }
    }
}
