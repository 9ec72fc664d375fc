package org.maesil.tornado;

import java.util.List;
import org.maesil.tensor.Backend;
import org.maesil.tensor.BackendProvider;
import org.maesil.tensor.DeviceInfo;

/**
 * {@code --backend tornado[:BACKEND:DEVICE]}: registered in
 * META-INF/services/org.maesil.tensor.BackendProvider, found by {@code Backends.create}.
 * The thread count does not apply (the device decides).
 */
public final class TornadoBackendProvider implements BackendProvider {
    @Override
    public String name() {
        return "tornado";
    }

    @Override
    public Backend create(String device, int threads) {
        String spec = device == null || device.isEmpty() ? "tornado" : "tornado:" + device;
        return new TornadoBackend(TornadoRuntimeAccess.device(device), spec);
    }

    @Override
    public List<DeviceInfo> devices() {
        return TornadoRuntimeAccess.devices();
    }
}
