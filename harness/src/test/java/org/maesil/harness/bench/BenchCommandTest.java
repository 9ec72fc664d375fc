package org.maesil.harness.bench;

import static org.assertj.core.api.Assertions.assertThat;

import com.google.gson.JsonObject;
import com.google.gson.JsonParser;
import java.io.ByteArrayOutputStream;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import org.junit.jupiter.api.Test;
import org.maesil.harness.Main;

/** The bench command's contract: one JSON object with the chosen rows; a clear error for an unknown row. */
class BenchCommandTest {

    record Out(int code, String out, String err) {}

    static Out cli(String... args) {
        PrintStream oldOut = System.out, oldErr = System.err;
        ByteArrayOutputStream out = new ByteArrayOutputStream(), err = new ByteArrayOutputStream();
        try {
            System.setOut(new PrintStream(out, true, StandardCharsets.UTF_8));
            System.setErr(new PrintStream(err, true, StandardCharsets.UTF_8));
            int code = Main.run(args);
            return new Out(code, out.toString(StandardCharsets.UTF_8), err.toString(StandardCharsets.UTF_8));
        } finally {
            System.setOut(oldOut);
            System.setErr(oldErr);
        }
    }

    @Test
    void jsonHasTheChosenRowWithTimesFlopsAndMemory() {
        Out o = cli("bench", "--json", "--quick", "--threads", "1", "--only", "matmul512");
        assertThat(o.code()).as(o.err()).isZero();
        JsonObject j = JsonParser.parseString(o.out()).getAsJsonObject();
        assertThat(j.get("threads").getAsInt()).isEqualTo(1);
        assertThat(j.getAsJsonArray("rows")).hasSize(1);
        JsonObject row = j.getAsJsonArray("rows").get(0).getAsJsonObject();
        assertThat(row.get("id").getAsString()).isEqualTo("matmul512");
        assertThat(row.get("gflop").getAsDouble()).isCloseTo(2.0 * 512 * 512 * 512 / 1e9, org.assertj.core.data.Offset.offset(0.01));
        assertThat(row.get("median_ms").getAsDouble()).isPositive();
        assertThat(row.get("min_ms").getAsDouble()).isLessThanOrEqualTo(row.get("median_ms").getAsDouble());
        assertThat(row.get("reps").getAsInt()).isEqualTo(10);
        assertThat(row.get("live_heap_mib").getAsDouble()).isPositive();
    }

    @Test
    void unknownRowIsOneClearError() {
        Out o = cli("bench", "--only", "matmul3");
        assertThat(o.code()).isNotZero();
        assertThat(o.err()).contains("unknown row 'matmul3'");
    }

    @Test
    void maeFlopFormulaMatchesTorchAnchorForTheSmallConfig() {
        // torch_anchor.py's mae_flops for B=2, 512 tokens, 128 kept, E192 d6, dec 128 d2, 512 voxels,
        // without its class token (t = 128 and 512 instead of 129 and 513), times 3
        double blockEnc = 2.0 * 128 * 12 * 192 * 192 + 4.0 * 128 * 128 * 192;
        double blockDec = 2.0 * 512 * 12 * 128 * 128 + 4.0 * 512 * 512 * 128;
        double f = 2.0 * 512 * 512 * 192 + 6 * blockEnc + 2.0 * 128 * 192 * 128 + 2 * blockDec + 2.0 * 512 * 128 * 512;
        var cfg = new org.maesil.model.MaesilConfig(64, 8, 192, 6, 3, 128, 2, 4, 4, 0.5, 0.5, false);
        assertThat(BenchRows.maeGflop(2, cfg)).isCloseTo(3 * 2 * f / 1e9, org.assertj.core.data.Offset.offset(1e-9));
    }
}
