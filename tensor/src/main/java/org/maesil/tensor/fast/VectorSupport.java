package org.maesil.tensor.fast;

/** Whether the JDK's incubating Vector API module was loaded (--add-modules jdk.incubator.vector). */
final class VectorSupport {
    private VectorSupport() {}

    static final boolean AVAILABLE = ModuleLayer.boot().findModule("jdk.incubator.vector").isPresent();
}
