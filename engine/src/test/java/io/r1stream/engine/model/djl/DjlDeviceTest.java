package io.r1stream.engine.model.djl;

import ai.djl.Device;
import org.junit.jupiter.api.Test;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

class DjlDeviceTest {

    @Test
    void parsesTheCliSpellings() {
        assertThat(DjlDevice.parse("cpu")).isEqualTo(DjlDevice.CPU);
        assertThat(DjlDevice.parse("GPU")).isEqualTo(DjlDevice.GPU);
        assertThat(DjlDevice.parse(" auto ")).isEqualTo(DjlDevice.AUTO);
        assertThatThrownBy(() -> DjlDevice.parse("cuda"))
                .isInstanceOf(IllegalArgumentException.class)
                .hasMessageContaining("--device 'cuda'").hasMessageContaining("[cpu, gpu, auto]");
    }

    /** This machine has no GPU and DJL's CPU libtorch: gpu fails with directions, auto and cpu give the CPU. */
    @Test
    void gpuWithoutAVisibleGpuFailsWithDirections() {
        assertThatThrownBy(() -> DjlDevice.GPU.resolve())
                .isInstanceOf(IllegalStateException.class)
                .hasMessageStartingWith("--device gpu:")
                .hasMessageContaining("PYTORCH_LIBRARY_PATH")
                .hasMessageContaining("--device cpu");
        assertThat(DjlDevice.AUTO.resolve()).isEqualTo(Device.cpu());
        assertThat(DjlDevice.CPU.resolve()).isEqualTo(Device.cpu());
    }

    @Test
    void resolvesFromWhatTheEngineReports() {
        assertThat(DjlDevice.AUTO.resolve(1, true, "2.7.1")).isEqualTo(Device.gpu(0));
        assertThat(DjlDevice.GPU.resolve(2, true, "2.7.1")).isEqualTo(Device.gpu(0));
        assertThat(DjlDevice.AUTO.resolve(0, true, "2.7.1")).isEqualTo(Device.cpu());
        assertThatThrownBy(() -> DjlDevice.GPU.resolve(0, true, "2.7.1"))
                .hasMessageContaining("CUDA build").hasMessageContaining("nvidia-smi");
    }
}
