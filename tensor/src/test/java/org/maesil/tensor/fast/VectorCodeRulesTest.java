package org.maesil.tensor.fast;

import static org.assertj.core.api.Assertions.assertThat;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.function.Predicate;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;

/**
 * Rules of the fast paths' Vector API code that a unit test of a result would catch only by
 * chance. The first two keep the results right and only make them slow (JDK 17 C2 then runs
 * the Vector API's Java fallback, tens of ns per element, in unrelated kernels too):
 * <ol>
 *   <li>one float vector shape, the preferred one: a second shape anywhere pollutes the type
 *       profiles of FloatVector's shared methods;</li>
 *   <li>no method of ours takes or returns a vector: when C2 does not inline it, the vector is
 *       boxed and the operations around it fall back;</li>
 *   <li>no reduceLanes: the order in which it adds the lanes is the JIT's choice (JDK 25's
 *       interpreter and C2 differ), so a sum would depend on when its method was compiled and
 *       1 and N threads could differ; lanes go through VectorSupport.laneTotal instead;</li>
 *   <li>no lane(i): when C2 compiles the vector's method without inlining lane (seen whenever
 *       the bench's matmul, patch embedding, convolution and attention rows ran first), every
 *       call boxes the vector and runs the fallback: the small MAE step's layer norms then
 *       allocated 150 MB/s and the step took 84-130 ms instead of 58-74. Store the vector with
 *       intoArray and read the array.</li>
 * </ol>
 */
class VectorCodeRulesTest {
    private static final Path FAST = Path.of("src/main/java/org/maesil/tensor/fast");
    /** A method declaration: modifiers, return type, name, parameter list. */
    private static final Pattern DECLARATION = Pattern.compile(
            "^\\s*(?:(?:public|private|protected|static|final|synchronized)\\s+)+([\\w<>\\[\\], ?]+?)\\s+(\\w+)\\s*\\(([^)]*)\\)",
            Pattern.MULTILINE);
    private static final Pattern VECTOR_TYPE = Pattern.compile("\\b(Float|Double|Int|Long|Short|Byte)Vector\\b");

    private static List<Path> sources() throws IOException {
        try (Stream<Path> s = Files.list(FAST)) {
            return s.filter(p -> p.toString().endsWith(".java")).sorted().toList();
        }
    }

    /** "File:line: text" of every code line (comments and javadoc left out) that breaks the rule. */
    private static List<String> codeLinesWhere(Predicate<String> breaksRule) throws IOException {
        List<String> offending = new ArrayList<>();
        for (Path p : sources()) {
            String[] lines = Files.readString(p).split("\n");
            for (int i = 0; i < lines.length; i++) {
                String code = lines[i].replaceAll("//.*", "");
                if (!code.trim().startsWith("*") && breaksRule.test(code)) {
                    offending.add(p.getFileName() + ":" + (i + 1) + ": " + lines[i].trim());
                }
            }
        }
        return offending;
    }

    @Test
    void onlyThePreferredVectorShape() throws IOException {
        List<String> offending = codeLinesWhere(code -> code.matches(".*SPECIES_(?!PREFERRED\\b).*") || code.contains("VectorShape"));
        assertThat(sources()).isNotEmpty();
        assertThat(offending).as("vector species other than SPECIES_PREFERRED").isEmpty();
    }

    @Test
    void noMethodTakesOrReturnsAVector() throws IOException {
        List<String> offending = new ArrayList<>();
        for (Path p : sources()) {
            Matcher m = DECLARATION.matcher(Files.readString(p));
            while (m.find()) {
                if (VECTOR_TYPE.matcher(m.group(1)).find() || VECTOR_TYPE.matcher(m.group(3)).find()) {
                    offending.add(p.getFileName() + ": " + m.group().trim());
                }
            }
        }
        assertThat(offending).as("methods with vector parameters or results").isEmpty();
    }

    @Test
    void noReduceLanes() throws IOException {
        assertThat(codeLinesWhere(code -> code.contains("reduceLanes"))).as("reduceLanes (JIT-dependent summation order)").isEmpty();
    }

    @Test
    void noLaneExtraction() throws IOException {
        assertThat(codeLinesWhere(code -> code.contains(".lane("))).as("lane(i) (boxes the vector when not inlined)").isEmpty();
    }
}
