package org.maesil.train;

import com.google.gson.Gson;
import com.google.gson.GsonBuilder;
import com.google.gson.JsonParseException;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Map;
import java.util.TreeMap;

/**
 * The full configuration of a training run, stored as RUN/config.json when the run starts and
 * inside every checkpoint: the model spec, the optimiser settings, the run seed, the total
 * number of steps, the warm-up and the data it was started on. {@code --resume} continues
 * exactly this configuration.
 *
 * @param data        {@link SuperpatchSource#describe()} of the training data
 * @param dataSize    superpatches per epoch
 * @param dataOptions how the data was prepared (e.g. the HU window), for resuming on the same data
 */
public record RunConfig(ModelSpec model, TrainConfig train, long seed, int totalSteps, int warmupSteps,
                        String data, int dataSize, Map<String, String> dataOptions, String backend) {

    public RunConfig {
        dataOptions = dataOptions == null ? Map.of() : Map.copyOf(new TreeMap<>(dataOptions));
    }

    private static final Gson GSON = new GsonBuilder().setPrettyPrinting().disableHtmlEscaping()
            .serializeSpecialFloatingPointValues().create();

    /** The configuration of a new run on {@code data}: steps and warm-up resolved against its size. */
    public static RunConfig of(ModelSpec model, TrainConfig train, long seed, SuperpatchSource data, String backend) {
        return of(model, train, seed, data, Map.of(), backend);
    }

    /** As {@link #of(ModelSpec, TrainConfig, long, SuperpatchSource, String)}, recording how the data was prepared. */
    public static RunConfig of(ModelSpec model, TrainConfig train, long seed, SuperpatchSource data,
                               Map<String, String> dataOptions, String backend) {
        return new RunConfig(model, train, seed, train.totalSteps(data.size()), train.warmup(data.size()),
                data.describe(), data.size(), dataOptions, backend);
    }

    public String toJson() { return GSON.toJson(this); }

    public static RunConfig fromJson(String json, String source) {
        try {
            RunConfig c = GSON.fromJson(json, RunConfig.class);
            if (c == null || c.model() == null || c.train() == null) throw new JsonParseException("empty");
            return c;
        } catch (JsonParseException | IllegalArgumentException e) {
            throw new IllegalArgumentException(source + ": not a valid run configuration (" + e.getMessage() + ")");
        }
    }

    /** RUN/config.json. */
    public static Path file(Path runDir) { return runDir.resolve("config.json"); }

    /** Reads RUN/config.json. */
    public static RunConfig read(Path runDir) throws IOException {
        Path f = file(runDir);
        if (!Files.exists(f)) throw new IOException(runDir + " is not a training run: " + f.getFileName() + " is missing");
        return fromJson(Files.readString(f, StandardCharsets.UTF_8), f.toString());
    }

    /** Writes RUN/config.json atomically. */
    public void write(Path runDir) throws IOException {
        AtomicFiles.writeString(file(runDir), toJson() + "\n");
    }
}
