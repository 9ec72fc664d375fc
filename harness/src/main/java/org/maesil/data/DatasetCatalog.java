package org.maesil.data;

import java.io.IOException;
import java.io.InputStream;
import java.io.UncheckedIOException;
import java.nio.file.FileSystems;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.PathMatcher;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Set;
import java.util.stream.Stream;
import org.yaml.snakeyaml.LoaderOptions;
import org.yaml.snakeyaml.Yaml;
import org.yaml.snakeyaml.constructor.SafeConstructor;
import org.yaml.snakeyaml.error.YAMLException;

/**
 * The dataset catalog ({@code datasets.yaml} at the project root; a copy is embedded in the jar).
 * Loading validates every field: a typo, a wrong type or a value out of range is one
 * {@link DataException} naming the file, the dataset and the field.
 *
 * <p>Format: {@code version: 1}, optional {@code cache: DIR} (where generated phantoms go;
 * {@code ~} is the home folder; env {@code MAESIL_CACHE} overrides), and {@code datasets:} a map
 * from name to entry. Entry fields:
 * <ul>
 * <li>{@code description} (required): one line, with where to obtain the data;</li>
 * <li>{@code format} (required): {@code nifti}, {@code dicom} or {@code phantom};</li>
 * <li>{@code root}: the folder (required for nifti/dicom; phantoms default to
 *     {@code CACHE/NAME}); overridden by the environment variable {@code MAESIL_<NAME>_ROOT}
 *     (name upper-cased, other characters to '_', e.g. MAESIL_LIDC_IDRI_ROOT) and by
 *     {@link #withRoot};</li>
 * <li>{@code layout}: nifti: a glob relative to root (e.g. {@code *}{@code /ct.nii.gz}); dicom:
 *     {@code series-folders} (every folder holding DICOM files is one series);</li>
 * <li>{@code min_files} (dicom, default 1): folders with fewer DICOM files are skipped
 *     (radiographs beside CT series);</li>
 * <li>{@code window}: [lo, hi] HU, default [-175, 250];</li>
 * <li>{@code target_spacing}: [x, y, z] mm or {@code null} (keep each volume's spacing);</li>
 * <li>{@code split}: {rule: hash, test_fraction: 0.2, seed: 0} (see {@link SplitRule});</li>
 * <li>phantoms: {@code region} (abdomen|thorax|fullbody), {@code size} (voxels per side),
 *     {@code count}, {@code seed} (case i uses seed + i).</li>
 * </ul>
 */
public final class DatasetCatalog {
    /** One validated catalog entry. */
    public record Entry(String name, String description, String format, Path root, String rootSource, String layout,
                        int minFiles, double windowLo, double windowHi, double[] targetSpacing, SplitRule split,
                        String region, int size, int count, long seed) {}

    private static final Set<String> TOP_KEYS = Set.of("version", "cache", "datasets");
    private static final Set<String> COMMON = Set.of("description", "format", "root", "window", "target_spacing", "split");
    private static final Set<String> NIFTI_KEYS = union(COMMON, Set.of("layout"));
    private static final Set<String> DICOM_KEYS = union(COMMON, Set.of("layout", "min_files"));
    private static final Set<String> PHANTOM_KEYS = union(COMMON, Set.of("region", "size", "count", "seed"));
    private static final Set<String> SPLIT_KEYS = Set.of("rule", "test_fraction", "seed");

    private final String file;
    private final Path cache;
    private final Map<String, Entry> entries;

    private DatasetCatalog(String file, Path cache, Map<String, Entry> entries) {
        this.file = file;
        this.cache = cache;
        this.entries = entries;
    }

    /** Loads and validates a catalog; roots are overridden by MAESIL_*_ROOT environment variables. */
    public static DatasetCatalog load(Path yaml) throws IOException {
        return load(yaml, System.getenv());
    }

    /** Loads with an explicit environment (tests). */
    public static DatasetCatalog load(Path yaml, Map<String, String> env) throws IOException {
        if (!Files.isRegularFile(yaml)) throw new DataException(yaml + ": dataset catalog not found");
        try (InputStream in = Files.newInputStream(yaml)) {
            return parse(in, yaml.toString(), env);
        }
    }

    /**
     * The catalog to use when none is named: {@code ./datasets.yaml} if present, else the copy
     * embedded in the jar.
     */
    public static DatasetCatalog loadDefault() throws IOException {
        Path local = Path.of("datasets.yaml");
        if (Files.isRegularFile(local)) return load(local);
        try (InputStream in = DatasetCatalog.class.getResourceAsStream("/datasets.yaml")) {
            if (in == null) throw new DataException("datasets.yaml: not in the working folder and not embedded in the jar");
            return parse(in, "datasets.yaml (embedded)", System.getenv());
        }
    }

    static DatasetCatalog parse(InputStream in, String file, Map<String, String> env) throws DataException {
        Object doc;
        try {
            doc = new Yaml(new SafeConstructor(new LoaderOptions())).load(in);
        } catch (YAMLException e) {
            throw new DataException(file + ": not valid YAML (" + e.getMessage().replace('\n', ' ') + ")");
        }
        if (!(doc instanceof Map<?, ?> top)) throw new DataException(file + ": expected a map with 'version' and 'datasets'");
        checkKeys(top, TOP_KEYS, file, "top level");
        Object version = top.get("version");
        if (!(version instanceof Integer vi) || vi != 1) throw new DataException(file + ": field 'version' must be 1, got " + version);
        Path cache;
        String envCache = env.get("MAESIL_CACHE");
        if (envCache != null && !envCache.isBlank()) cache = expand(envCache);
        else if (top.get("cache") != null) cache = expand(str(top.get("cache"), file, "top level", "cache"));
        else cache = expand("~/.cache/maesil");
        Object ds = top.get("datasets");
        if (!(ds instanceof Map<?, ?> dmap) || dmap.isEmpty()) throw new DataException(file + ": field 'datasets' must be a non-empty map");
        Map<String, Entry> entries = new LinkedHashMap<>();
        for (var e : dmap.entrySet()) {
            String name = String.valueOf(e.getKey());
            if (!name.matches("[A-Za-z0-9][A-Za-z0-9._-]*")) throw new DataException(file + ": dataset name '" + name + "' must be letters, digits, '.', '_' or '-'");
            if (!(e.getValue() instanceof Map<?, ?> m)) throw new DataException(file + ": dataset '" + name + "' must be a map of fields");
            Entry entry = entry(name, m, file, cache, env);
            if (entries.put(name.toLowerCase(Locale.ROOT), entry) != null) throw new DataException(file + ": dataset '" + name + "' appears twice (names ignore case)");
        }
        return new DatasetCatalog(file, cache, entries);
    }

    private static Entry entry(String name, Map<?, ?> m, String file, Path cache, Map<String, String> env) throws DataException {
        String where = "dataset '" + name + "'";
        String format = str(require(m, "format", file, where), file, where, "format");
        Set<String> allowed = switch (format) {
            case "nifti" -> NIFTI_KEYS;
            case "dicom" -> DICOM_KEYS;
            case "phantom" -> PHANTOM_KEYS;
            default -> throw new DataException(file + ": " + where + ": field 'format' must be nifti, dicom or phantom, got '" + format + "'");
        };
        checkKeys(m, allowed, file, where);
        String description = str(require(m, "description", file, where), file, where, "description");
        if (description.isBlank()) throw new DataException(file + ": " + where + ": field 'description' is empty");
        double lo = Preprocess.DEFAULT_WINDOW_LO, hi = Preprocess.DEFAULT_WINDOW_HI;
        if (m.containsKey("window")) {
            double[] w = numbers(m.get("window"), 2, file, where, "window");
            lo = w[0];
            hi = w[1];
            if (!(lo < hi)) throw new DataException(file + ": " + where + ": field 'window' must be [lo, hi] with lo < hi, got " + Arrays.toString(w));
            if (lo < -2000 || hi > 10000) throw new DataException(file + ": " + where + ": field 'window' " + Arrays.toString(w) + " is outside plausible HU (-2000..10000)");
        }
        double[] spacing = null;
        if (m.get("target_spacing") != null) {
            spacing = numbers(m.get("target_spacing"), 3, file, where, "target_spacing");
            for (double s : spacing) {
                if (!(s > 0.05 && s < 100)) throw new DataException(file + ": " + where + ": field 'target_spacing' values must be in (0.05, 100) mm, got " + Arrays.toString(spacing));
            }
        }
        SplitRule split = SplitRule.DEFAULT;
        if (m.containsKey("split")) {
            if (!(m.get("split") instanceof Map<?, ?> sm)) throw new DataException(file + ": " + where + ": field 'split' must be a map {rule, test_fraction, seed}");
            checkKeys(sm, SPLIT_KEYS, file, where + " split");
            String rule = sm.containsKey("rule") ? str(sm.get("rule"), file, where, "split.rule") : "hash";
            if (!rule.equals("hash")) throw new DataException(file + ": " + where + ": field 'split.rule' must be 'hash', got '" + rule + "'");
            double frac = sm.containsKey("test_fraction") ? number(sm.get("test_fraction"), file, where, "split.test_fraction") : 0.2;
            if (!(frac >= 0 && frac < 1)) throw new DataException(file + ": " + where + ": field 'split.test_fraction' must be in [0, 1), got " + frac);
            long seed = sm.containsKey("seed") ? integer(sm.get("seed"), file, where, "split.seed") : 0;
            split = new SplitRule(rule, frac, seed);
        }
        String envName = envVar(name);
        String envRoot = env.get(envName);
        Path root;
        String rootSource;
        if (envRoot != null && !envRoot.isBlank()) {
            root = expand(envRoot);
            rootSource = "environment variable " + envName;
        } else if (m.get("root") != null) {
            root = expand(str(m.get("root"), file, where, "root"));
            rootSource = "field 'root' in " + file;
        } else if (format.equals("phantom")) {
            root = cache.resolve(name);
            rootSource = "the cache folder (field 'cache' in " + file + " or MAESIL_CACHE)";
        } else {
            throw new DataException(file + ": " + where + ": missing field 'root' (or set " + envName + ")");
        }
        String layout = null;
        int minFiles = 1;
        String region = null;
        int size = 0, count = 0;
        long seed = 0;
        switch (format) {
            case "nifti" -> {
                layout = str(require(m, "layout", file, where), file, where, "layout");
                try {
                    FileSystems.getDefault().getPathMatcher("glob:" + layout);
                } catch (RuntimeException e) {
                    throw new DataException(file + ": " + where + ": field 'layout' is not a valid glob: " + e.getMessage());
                }
                if (!(layout.endsWith(".nii") || layout.endsWith(".nii.gz") || layout.endsWith("*"))) {
                    throw new DataException(file + ": " + where + ": field 'layout' must match .nii or .nii.gz files, got '" + layout + "'");
                }
            }
            case "dicom" -> {
                layout = str(require(m, "layout", file, where), file, where, "layout");
                if (!layout.equals("series-folders")) throw new DataException(file + ": " + where + ": field 'layout' must be 'series-folders' for dicom, got '" + layout + "'");
                if (m.containsKey("min_files")) {
                    minFiles = (int) integer(m.get("min_files"), file, where, "min_files");
                    if (minFiles < 1) throw new DataException(file + ": " + where + ": field 'min_files' must be at least 1");
                }
            }
            default -> {
                region = str(require(m, "region", file, where), file, where, "region");
                if (!Phantom.REGIONS.contains(region)) throw new DataException(file + ": " + where + ": field 'region' must be one of " + Phantom.REGIONS + ", got '" + region + "'");
                size = m.containsKey("size") ? (int) integer(m.get("size"), file, where, "size") : 64;
                if (size < 8 || size > 512) throw new DataException(file + ": " + where + ": field 'size' must be 8..512, got " + size);
                count = m.containsKey("count") ? (int) integer(m.get("count"), file, where, "count") : 8;
                if (count < 1 || count > 10000) throw new DataException(file + ": " + where + ": field 'count' must be 1..10000, got " + count);
                seed = m.containsKey("seed") ? integer(m.get("seed"), file, where, "seed") : 1;
                layout = region + "-s" + size + "-seed*.nii.gz";
            }
        }
        return new Entry(name, description, format, root, rootSource, layout, minFiles, lo, hi, spacing, split, region, size, count, seed);
    }

    /** The environment variable that overrides a dataset's root: MAESIL_&lt;NAME&gt;_ROOT. */
    public static String envVar(String name) {
        return "MAESIL_" + name.toUpperCase(Locale.ROOT).replaceAll("[^A-Z0-9]", "_") + "_ROOT";
    }

    /** The file this catalog was read from. */
    public String file() {
        return file;
    }

    public Path cache() {
        return cache;
    }

    public List<String> names() {
        return entries.values().stream().map(Entry::name).toList();
    }

    /** The entry of a dataset (name ignores case), or an error listing the known names. */
    public Entry entry(String name) throws DataException {
        Entry e = entries.get(name.toLowerCase(Locale.ROOT));
        if (e == null) throw new DataException(file + ": no dataset named '" + name + "' (known: " + String.join(", ", names()) + ")");
        return e;
    }

    public boolean has(String name) {
        return entries.containsKey(name.toLowerCase(Locale.ROOT));
    }

    /** A copy of this catalog where dataset {@code name} lives in {@code root} (a command-line option). */
    public DatasetCatalog withRoot(String name, Path root) throws DataException {
        Entry e = entry(name);
        Map<String, Entry> copy = new LinkedHashMap<>(entries);
        copy.put(name.toLowerCase(Locale.ROOT), new Entry(e.name(), e.description(), e.format(), root, "the command line", e.layout(),
                e.minFiles(), e.windowLo(), e.windowHi(), e.targetSpacing(), e.split(), e.region(), e.size(), e.count(), e.seed()));
        return new DatasetCatalog(file, cache, copy);
    }

    /**
     * Resolves NAME_OR_PATH: a catalog name, a NIfTI file, a folder of NIfTI files (searched
     * recursively), or a folder of DICOM series (each folder holding DICOM files is one case).
     * Paths get the default window [-175, 250], no resampling and the default split.
     */
    public DataSource resolve(String nameOrPath) throws IOException {
        if (has(nameOrPath)) return resolve(entry(nameOrPath));
        Path p = Path.of(nameOrPath);
        if (!Files.exists(p)) {
            throw new DataException("'" + nameOrPath + "' is neither a dataset in " + file + " (" + String.join(", ", names())
                    + ") nor an existing file or folder");
        }
        String desc = "volumes under " + p;
        if (Files.isRegularFile(p)) {
            String n = p.getFileName().toString();
            if (isNifti(n)) {
                return new DataSource(n, "NIfTI file " + p, Preprocess.DEFAULT_WINDOW_LO, Preprocess.DEFAULT_WINDOW_HI, null,
                        SplitRule.DEFAULT, List.of(niftiCase(p.toAbsolutePath().getParent(), p)));
            }
            if (DicomFile.looksLikeDicom(p)) {
                return new DataSource(n, "DICOM file " + p, Preprocess.DEFAULT_WINDOW_LO, Preprocess.DEFAULT_WINDOW_HI, null,
                        SplitRule.DEFAULT, List.of(new DataSource.Case(n, p.toString(), () -> DicomSeriesReader.read(p))));
            }
            throw new DataException(p + ": not a NIfTI (.nii, .nii.gz) or DICOM file");
        }
        List<DataSource.Case> cases = niftiCases(p, "**");
        if (cases.isEmpty()) cases = dicomCases(p, 1);
        if (cases.isEmpty()) throw new DataException(p + ": no NIfTI files and no DICOM series found in this folder");
        return new DataSource(p.getFileName() == null ? p.toString() : p.getFileName().toString(), desc,
                Preprocess.DEFAULT_WINDOW_LO, Preprocess.DEFAULT_WINDOW_HI, null, SplitRule.DEFAULT, cases);
    }

    /** Resolves a catalog entry: lists its cases (phantoms: the files that will be generated on demand). */
    public DataSource resolve(Entry e) throws IOException {
        List<DataSource.Case> cases = new ArrayList<>();
        if (e.format().equals("phantom")) {
            for (int i = 0; i < e.count(); i++) {
                long seed = e.seed() + i;
                String id = e.region() + "-s" + e.size() + "-seed" + seed;
                Path f = e.root().resolve(id + ".nii.gz");
                cases.add(new DataSource.Case(id, f.toString(), () -> phantomCase(f, e.region(), e.size(), seed)));
            }
        } else {
            if (!Files.isDirectory(e.root())) {
                throw new DataException("dataset '" + e.name() + "': root folder " + e.root() + " does not exist (from " + e.rootSource()
                        + "; set " + envVar(e.name()) + " or pass the folder on the command line). " + e.description());
            }
            cases = e.format().equals("nifti") ? niftiCases(e.root(), e.layout()) : dicomCases(e.root(), e.minFiles());
            if (cases.isEmpty()) {
                throw new DataException("dataset '" + e.name() + "': no " + (e.format().equals("nifti") ? "files matching '" + e.layout() + "'"
                        : "DICOM series") + " under " + e.root() + " (field 'layout' in " + file + ")");
            }
        }
        return new DataSource(e.name(), e.description(), e.windowLo(), e.windowHi(), e.targetSpacing(), e.split(), cases);
    }

    /** Generates a phantom into the cache on first use (atomically), reads it back afterwards. */
    static Volume phantomCase(Path f, String region, int size, long seed) throws IOException {
        if (Files.isRegularFile(f)) return NiftiReader.read(f);
        Volume v = Phantom.generate(region, size, seed);
        try {
            NiftiWriter.write(f, v);
        } catch (IOException | RuntimeException ex) {
            // an unwritable cache only costs regeneration next time; the volume itself is fine
        }
        return v;
    }

    static boolean isNifti(String n) {
        return n.endsWith(".nii") || n.endsWith(".nii.gz");
    }

    private static List<DataSource.Case> niftiCases(Path root, String glob) throws DataException {
        PathMatcher m = FileSystems.getDefault().getPathMatcher("glob:" + glob);
        boolean any = glob.equals("**");
        try (Stream<Path> s = Files.walk(root)) {
            return s.filter(Files::isRegularFile)
                    .filter(p -> isNifti(p.getFileName().toString()))
                    .filter(p -> any || m.matches(root.relativize(p)))
                    .sorted()
                    .map(p -> niftiCase(root, p))
                    .toList();
        } catch (IOException | UncheckedIOException e) {
            throw new DataException(root + ": cannot list folder (" + e.getMessage() + ")");
        }
    }

    private static DataSource.Case niftiCase(Path root, Path p) {
        String rel = root.relativize(p.toAbsolutePath()).toString().replace('\\', '/');
        if (root.equals(p.toAbsolutePath().getParent()) || rel.startsWith("..")) rel = p.getFileName().toString();
        String id = rel.replaceAll("\\.nii(\\.gz)?$", "");
        if (id.endsWith("/ct") && id.length() > 3) id = id.substring(0, id.length() - 3);
        return new DataSource.Case(id, p.toString(), () -> NiftiReader.read(p));
    }

    private static List<DataSource.Case> dicomCases(Path root, int minFiles) throws DataException {
        List<DataSource.Case> out = new ArrayList<>();
        try (Stream<Path> s = Files.walk(root)) {
            List<Path> dirs = s.filter(Files::isDirectory).sorted().toList();
            for (Path d : dirs) {
                List<Path> files;
                try (Stream<Path> f = Files.list(d)) {
                    files = f.filter(Files::isRegularFile).sorted().toList();
                }
                long dicom = files.stream().filter(DicomFile::looksLikeDicom).count();
                if (dicom == 0 || dicom < minFiles) continue;
                String id = root.relativize(d).toString().replace('\\', '/');
                if (id.isEmpty()) id = d.getFileName() == null ? d.toString() : d.getFileName().toString();
                out.add(new DataSource.Case(id, d.toString(), () -> DicomSeriesReader.read(d, onlyThisFolder())));
            }
        } catch (IOException | UncheckedIOException e) {
            throw new DataException(root + ": cannot list folder (" + e.getMessage() + ")");
        }
        return out;
    }

    private static DicomSeriesReader.Options onlyThisFolder() {
        DicomSeriesReader.Options o = new DicomSeriesReader.Options();
        o.recursive = false;
        return o;
    }

    // ---------------------------------------------------------------- field helpers

    private static Set<String> union(Set<String> a, Set<String> b) {
        java.util.HashSet<String> u = new java.util.HashSet<>(a);
        u.addAll(b);
        return Set.copyOf(u);
    }

    private static void checkKeys(Map<?, ?> m, Set<String> allowed, String file, String where) throws DataException {
        for (Object k : m.keySet()) {
            if (!allowed.contains(String.valueOf(k))) {
                throw new DataException(file + ": " + where + ": unknown field '" + k + "' (known: " + String.join(", ", allowed.stream().sorted().toList()) + ")");
            }
        }
    }

    private static Object require(Map<?, ?> m, String key, String file, String where) throws DataException {
        Object v = m.get(key);
        if (v == null) throw new DataException(file + ": " + where + ": missing field '" + key + "'");
        return v;
    }

    private static String str(Object v, String file, String where, String field) throws DataException {
        if (!(v instanceof String s)) throw new DataException(file + ": " + where + ": field '" + field + "' must be text, got " + v);
        return s;
    }

    private static double number(Object v, String file, String where, String field) throws DataException {
        if (!(v instanceof Number n)) throw new DataException(file + ": " + where + ": field '" + field + "' must be a number, got " + v);
        double d = n.doubleValue();
        if (!Double.isFinite(d)) throw new DataException(file + ": " + where + ": field '" + field + "' must be finite");
        return d;
    }

    private static long integer(Object v, String file, String where, String field) throws DataException {
        if (!(v instanceof Integer || v instanceof Long)) throw new DataException(file + ": " + where + ": field '" + field + "' must be an integer, got " + v);
        return ((Number) v).longValue();
    }

    private static double[] numbers(Object v, int n, String file, String where, String field) throws DataException {
        if (!(v instanceof List<?> l) || l.size() != n) throw new DataException(file + ": " + where + ": field '" + field + "' must be a list of " + n + " numbers, got " + v);
        double[] out = new double[n];
        for (int i = 0; i < n; i++) out[i] = number(l.get(i), file, where, field);
        return out;
    }

    static Path expand(String p) {
        if (p.equals("~")) return Path.of(System.getProperty("user.home"));
        if (p.startsWith("~/")) return Path.of(System.getProperty("user.home"), p.substring(2));
        return Path.of(p);
    }
}
