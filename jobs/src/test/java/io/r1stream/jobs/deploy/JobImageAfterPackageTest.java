package io.r1stream.jobs.deploy;

import org.junit.jupiter.api.Test;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;
import java.util.jar.JarFile;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import java.util.stream.Stream;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * What `mvn package` builds for a cluster, checked after it (Surefire runs *AfterPackageTest in verify): the
 * shaded job jar holds the job and what Flink does not provide and nothing of the local tooling; every COPY
 * source of deploy/Dockerfile exists; the image's native-extraction step works offline.
 */
class JobImageAfterPackageTest {
    static final Path ROOT = DeployFiles.repoRoot();
    static final Path JOB_JAR = ROOT.resolve("jobs/target/r1stream-job.jar");

    @Test
    void theJobJarHoldsTheJobDjlAndTheKafkaConnectorButNoFlinkNoCliNoBroker() throws IOException {
        assertThat(JOB_JAR).as("run `mvn package` first").exists();
        try (JarFile jar = new JarFile(JOB_JAR.toFile())) {
            assertThat(jar.getManifest().getMainAttributes().getValue("Main-Class")).isEqualTo("io.r1stream.jobs.ChatJob");
            List<String> names = jar.stream().map(e -> e.getName()).toList();
            assertThat(names).contains(
                    "io/r1stream/jobs/ChatJob.class",
                    "io/r1stream/operators/ConversationOperator.class",
                    "io/r1stream/engine/BatchingEngine.class",
                    "ai/djl/huggingface/tokenizers/HuggingFaceTokenizer.class",
                    "native/lib/linux-x86_64/cpu/libtokenizers.so",
                    "ai/djl/pytorch/engine/PtEngine.class",
                    "jnilib/linux-x86_64/cu128/libdjl_torch.so",
                    "org/apache/flink/connector/kafka/source/KafkaSource.class",
                    "org/apache/flink/connector/base/source/reader/SourceReaderBase.class",
                    "org/apache/kafka/clients/producer/KafkaProducer.class",
                    "com/fasterxml/jackson/databind/ObjectMapper.class",
                    "META-INF/services/ai.djl.engine.EngineProvider");
            assertThat(names).as("nothing the cluster provides, nothing of the local tooling").noneMatch(n ->
                    n.startsWith("io/r1stream/cli/") || n.startsWith("picocli/")
                            || n.startsWith("kafka/server/") || n.startsWith("scala/")             // the broker
                            || n.startsWith("org/apache/flink/runtime/") || n.startsWith("org/apache/flink/api/")
                            || n.startsWith("org/apache/flink/streaming/api/") || n.startsWith("org/apache/flink/shaded/")
                            || n.startsWith("org/apache/logging/") || n.startsWith("org/slf4j/")
                            || n.startsWith("native/lib/pytorch") || n.contains("libtorch_cpu"));  // libtorch: lib/ or PYTORCH_LIBRARY_PATH
        }
        assertThat(Files.size(JOB_JAR)).as("lean job jar, bytes").isLessThan(48L << 20);
    }

    @Test
    void everyCopySourceOfTheDockerfileExistsAfterPackage() throws IOException {
        List<String> sources = copySources(ROOT.resolve("deploy/Dockerfile"));
        assertThat(sources).contains("jobs/target/r1stream-job.jar", "jobs/target/flink-lib/", "jobs/target/image-build/",
                "flink-conf/config.yaml",
                "deploy/docker/ExtractNatives.java");
        for (String s : sources) {
            Path p = ROOT.resolve(s);
            if (s.endsWith("/")) {
                assertThat(p).as("COPY source " + s).isDirectoryContaining("glob:**.jar");
            } else {
                assertThat(p).as("COPY source " + s).isRegularFile();
            }
        }
        try (Stream<Path> lib = Files.list(ROOT.resolve("jobs/target/flink-lib"))) {
            assertThat(lib.map(p -> p.getFileName().toString())).as("DJL for Flink's lib/").anyMatch(n -> n.startsWith("api-"))
                    .anyMatch(n -> n.startsWith("tokenizers-")).anyMatch(n -> n.startsWith("pytorch-engine-"))
                    .anyMatch(n -> n.startsWith("pytorch-native-cpu-")).anyMatch(n -> n.startsWith("gson-"))
                    .noneMatch(n -> n.startsWith("flink-") || n.startsWith("kafka") || n.startsWith("jackson"));
        }
    }

    /** The image's natives stage, run here: DJL extracts the tokenizers library offline into an empty cache dir. */
    @Test
    void theImagesNativeExtractionStepWorksOffline() throws Exception {
        Path cache = ROOT.resolve("jobs/target/djl-cache-image-test");
        deleteTree(cache);
        Path log = ROOT.resolve("jobs/target/extract-natives.log");
        Process p = new ProcessBuilder(Path.of(System.getProperty("java.home"), "bin", "java").toString(),
                "--add-modules=jdk.incubator.vector", "-Dai.djl.offline=true", "-DDJL_CACHE_DIR=" + cache,
                "-cp", ROOT.resolve("jobs/target/flink-lib") + "/*:" + ROOT.resolve("jobs/target/image-build") + "/*",
                ROOT.resolve("deploy/docker/ExtractNatives.java").toString(), "tokenizers")
                .redirectErrorStream(true).redirectOutput(log.toFile()).start();
        assertThat(p.waitFor(90, TimeUnit.SECONDS)).as("extraction finished").isTrue();
        assertThat(p.exitValue()).as("exit code; output:\n" + Files.readString(log)).isZero();
        try (Stream<Path> files = Files.walk(cache)) {
            assertThat(files.map(f -> f.getFileName().toString())).contains("libtokenizers.so");
        }
    }

    /** Sources of COPY/ADD lines without --from, joined over line continuations. */
    static List<String> copySources(Path dockerfile) throws IOException {
        String text = Files.readString(dockerfile).replaceAll("\\\\\\n", " ");
        List<String> out = new ArrayList<>();
        Matcher m = Pattern.compile("(?m)^\\s*(COPY|ADD)\\s+(.+)$").matcher(text);
        while (m.find()) {
            List<String> words = new ArrayList<>(List.of(m.group(2).trim().split("\\s+")));
            if (words.stream().anyMatch(w -> w.startsWith("--from="))) continue;
            words.removeIf(w -> w.startsWith("--"));
            out.addAll(words.subList(0, words.size() - 1));   // the last word is the destination
        }
        return out;
    }

    static void deleteTree(Path dir) throws IOException {
        if (!Files.exists(dir)) return;
        try (Stream<Path> s = Files.walk(dir)) {
            for (Path p : s.sorted(java.util.Comparator.reverseOrder()).toList()) Files.delete(p);
        }
    }
}
