package org.maesil.tensor;

/**
 * One device an accelerator backend can run on, as listed by {@code maesil devices}.
 *
 * @param spec     what to type after {@code --backend}, e.g. {@code tornado:0:0}
 * @param platform the code generator and runtime, e.g. {@code OpenCL} or {@code PTX}
 * @param name     the device's own name, e.g. {@code pthread-skylake-avx512-AMD EPYC}
 * @param type     device type as the runtime reports it, e.g. {@code CPU} or {@code GPU}
 * @param detail   one free-text line (driver, memory size), may be empty
 */
public record DeviceInfo(String spec, String platform, String name, String type, String detail) {
}
