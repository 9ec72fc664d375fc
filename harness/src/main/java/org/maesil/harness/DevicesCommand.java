package org.maesil.harness;

import com.google.gson.GsonBuilder;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.ServiceLoader;
import java.util.concurrent.Callable;
import org.maesil.tensor.BackendProvider;
import org.maesil.tensor.Backends;
import org.maesil.tensor.DeviceInfo;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;

/**
 * {@code devices}: the backends this JVM can run and their devices. The Java backend is always
 * there; the TornadoVM one only when the tornado module's jar is on the class path and the JVM
 * was started with TornadoVM's flags (docs/TORNADO.md), found through {@link ServiceLoader}.
 */
@Command(name = "devices", mixinStandardHelpOptions = true,
        description = "Lists the backends (java, tornado) and their devices, as names for --backend.")
public final class DevicesCommand implements Callable<Integer> {

    /** What to tell a user whose jar has no TornadoVM backend. */
    static final String TORNADO_HINT = "the tornado backend is not installed: it is the tornado module "
            + "(mvn -Ptornado package on JDK 25 with TornadoVM 5.2), run with TornadoVM's JVM flags and its jar "
            + "on the class path; see docs/TORNADO.md";

    @Option(names = "--json", description = "print one JSON object instead of prose")
    boolean json;

    /** One backend's entry. */
    record Entry(String backend, boolean installed, List<DeviceInfo> devices, String note) {}

    /** The java backend, then every provider found; a provider whose runtime fails is listed with the reason. */
    static List<Entry> entries() {
        List<Entry> out = new ArrayList<>();
        int threads = Backends.defaultThreads();
        out.add(new Entry("java", true, List.of(new DeviceInfo("java", "Java", "CPU, " + threads + " threads", "CPU",
                "the reference schedule (JavaBackend)")), ""));
        boolean tornado = false;
        for (BackendProvider p : ServiceLoader.load(BackendProvider.class)) {
            tornado |= p.name().equals("tornado");
            try {
                out.add(new Entry(p.name(), true, p.devices(), ""));
            } catch (RuntimeException | LinkageError e) {
                out.add(new Entry(p.name(), false, List.of(), "installed but not working: " + Main.oneLine(e)));
            }
        }
        if (!tornado) out.add(new Entry("tornado", false, List.of(), TORNADO_HINT));
        return out;
    }

    @Override
    public Integer call() {
        List<Entry> entries = entries();
        if (json) {
            List<Map<String, Object>> list = new ArrayList<>();
            for (Entry e : entries) {
                Map<String, Object> m = new LinkedHashMap<>();
                m.put("backend", e.backend());
                m.put("installed", e.installed());
                m.put("devices", e.devices());
                if (!e.note().isEmpty()) m.put("note", e.note());
                list.add(m);
            }
            System.out.println(new GsonBuilder().disableHtmlEscaping().create().toJson(Map.of("backends", list)));
            return 0;
        }
        for (Entry e : entries) {
            System.out.println(e.backend() + (e.installed() ? "" : " (not available)"));
            for (DeviceInfo d : e.devices()) {
                System.out.printf("  --backend %-14s %s, %s (%s)%s%n", d.spec(), d.platform(), d.name(), d.type(),
                        d.detail().isEmpty() ? "" : " - " + d.detail());
            }
            if (e.installed() && e.devices().isEmpty()) System.out.println("  no devices found");
            if (!e.note().isEmpty()) System.out.println("  " + e.note());
        }
        return 0;
    }
}
