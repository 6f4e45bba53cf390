package io.r1stream.cli;

import java.nio.file.Files;
import java.nio.file.Path;

/** The line every benchmark prints first: which machine produced the figures. */
final class MachineInfo {
    private MachineInfo() {}

    static String describe() {
        String cpu = "unknown CPU";
        try {
            for (String line : Files.readAllLines(Path.of("/proc/cpuinfo"))) {
                if (line.startsWith("model name")) { cpu = line.substring(line.indexOf(':') + 1).trim(); break; }
            }
        } catch (Exception ignored) {
            // not Linux: keep "unknown CPU"
        }
        return String.format("machine: %s, %d cores, %.1f GiB heap max, Java %s, %s, vector width %d bits",
                cpu, Runtime.getRuntime().availableProcessors(), Runtime.getRuntime().maxMemory() / (double) (1L << 30),
                System.getProperty("java.version"), System.getProperty("os.name"),
                jdk.incubator.vector.FloatVector.SPECIES_PREFERRED.vectorBitSize());
    }
}
