package io.r1stream.engine.model.djl;

import ai.djl.Device;
import ai.djl.engine.Engine;

import java.util.Arrays;
import java.util.Locale;

/**
 * The {@code --device cpu|gpu|auto} choice for the DJL (PyTorch engine) forward pass. {@code auto} takes the
 * first GPU when DJL's PyTorch engine reports a CUDA device, else the CPU.
 *
 * <p>DJL's CPU libtorch comes from the {@code pytorch-native-cpu} jar. There is no CUDA libtorch 2.7.1 on Maven
 * Central, so on a GPU host DJL must be pointed at one with {@code PYTORCH_LIBRARY_PATH} (see FACTS.md).
 */
public enum DjlDevice {
    CPU, GPU, AUTO;

    private static final String ENGINE = "PyTorch";

    public String cliName() { return name().toLowerCase(Locale.ROOT); }

    /** Parses the CLI spelling ({@code cpu|gpu|auto}, case-insensitive). */
    public static DjlDevice parse(String name) {
        if (name != null) {
            for (DjlDevice d : values()) if (d.cliName().equalsIgnoreCase(name.trim())) return d;
        }
        throw new IllegalArgumentException("--device '" + name + "' is not one of "
                + Arrays.stream(values()).map(DjlDevice::cliName).toList());
    }

    /** Resolves the choice against what DJL's PyTorch engine sees on this machine (loads libtorch). */
    public Device resolve() {
        Engine engine = Engine.getEngine(ENGINE);
        boolean cudaBuild = engine.hasCapability("CUDA");
        int gpus = engine.getGpuCount();
        return resolve(gpus, cudaBuild, engine.getVersion());
    }

    /** {@link #resolve()} with the engine's answers given (testable without a GPU). */
    Device resolve(int gpuCount, boolean cudaBuild, String libtorchVersion) {
        return switch (this) {
            case CPU -> Device.cpu();
            case AUTO -> gpuCount > 0 ? Device.gpu(0) : Device.cpu();
            case GPU -> {
                if (gpuCount > 0) yield Device.gpu(0);
                throw new IllegalStateException(noGpuMessage(cudaBuild, libtorchVersion));
            }
        };
    }

    static String noGpuMessage(boolean cudaBuild, String libtorchVersion) {
        String why = cudaBuild
                ? "DJL's PyTorch engine (libtorch " + libtorchVersion + ", a CUDA build) sees no CUDA device:"
                  + " check nvidia-smi, the NVIDIA driver and CUDA_VISIBLE_DEVICES."
                : "DJL's PyTorch engine loaded a CPU-only libtorch (" + libtorchVersion + "), so no GPU is visible."
                  + " Maven Central has no CUDA libtorch 2.7.1; point DJL at one: set PYTORCH_LIBRARY_PATH to the lib"
                  + " folder of a CUDA build of PyTorch 2.7.1 (e.g. .../site-packages/torch/lib, cu128), leave"
                  + " PYTORCH_VERSION unset or 2.7.1, and make sure nvidia-smi sees the GPU.";
        return "--device gpu: " + why + " Or run with --device cpu (or auto, which falls back to the CPU).";
    }
}
