package io.r1stream.jobs;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.net.URI;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Comparator;
import java.util.Optional;
import java.util.stream.Stream;

/**
 * Finds the checkpoint a restarted process resumes from: the newest {@code chk-N} folder with a
 * {@code _metadata} file under the checkpoint directory ({@code <dir>/<job id>/chk-N}). Local file systems only.
 */
public final class RetainedCheckpoints {
    private RetainedCheckpoints() {}

    /** @param checkpointDir a {@code file:} URI or a local path */
    public static Optional<Path> latest(String checkpointDir) {
        Path root = checkpointDir.startsWith("file:") ? Path.of(URI.create(checkpointDir)) : Path.of(checkpointDir);
        if (!Files.isDirectory(root)) return Optional.empty();
        try (Stream<Path> walk = Files.walk(root, 2)) {
            return walk.filter(p -> p.getFileName().toString().matches("chk-\\d+"))
                    .filter(p -> Files.isRegularFile(p.resolve("_metadata")))
                    .max(Comparator.comparingLong(RetainedCheckpoints::modified)
                            .thenComparingLong(p -> Long.parseLong(p.getFileName().toString().substring(4))));
        } catch (IOException e) {
            throw new UncheckedIOException("cannot list checkpoints under " + root + ": " + e.getMessage(), e);
        }
    }

    private static long modified(Path p) {
        try {
            return Files.getLastModifiedTime(p.resolve("_metadata")).toMillis();
        } catch (IOException e) {
            return 0;
        }
    }
}
