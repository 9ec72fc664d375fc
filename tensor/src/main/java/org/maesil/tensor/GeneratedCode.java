package org.maesil.tensor;

/**
 * Implemented by a backend that generates device code at run time (the TornadoVM one), so that
 * {@code maesil portability} can show, beside each kernel's Java source, the code that ran.
 */
public interface GeneratedCode {
    /**
     * The device code generated since the previous call (OpenCL C, PTX or SPIR-V text, in the
     * order it was compiled), then forgets it; "" when nothing was compiled in between (for
     * example because a cached compilation was reused).
     */
    String drainGeneratedCode();
}
