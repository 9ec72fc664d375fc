package org.maesil.tensor;

/**
 * Found through {@link java.util.ServiceLoader}: a backend that lives in another module (the
 * TornadoVM one) registers a provider in META-INF/services, so the default build neither needs
 * nor mentions it.
 */
public interface BackendProvider {
    /** The name users type before the colon in {@code --backend NAME[:DEVICE]}. */
    String name();

    /** Creates the backend on the given device ("" for the default device). */
    Backend create(String device, int threads);
}
