package org.maesil.tensor;

import java.util.List;

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

    /**
     * The devices this provider can run on ({@code maesil devices}, {@code maesil portability});
     * empty for a provider without separate devices. May throw when the provider's runtime is
     * present but broken, with a message saying what is missing.
     */
    default List<DeviceInfo> devices() {
        return List.of();
    }
}
