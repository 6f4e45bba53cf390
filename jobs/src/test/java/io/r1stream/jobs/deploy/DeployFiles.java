package io.r1stream.jobs.deploy;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.dataformat.yaml.YAMLFactory;
import com.fasterxml.jackson.dataformat.yaml.YAMLParser;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;

/**
 * Where the deployment files are, for the tests that check them: the repository root and the Flink Kubernetes
 * Operator's CRDs come from system properties that jobs/pom.xml sets for Surefire, so a test run from an IDE
 * must pass them too; a missing one fails the test with what to set, never skips it.
 */
final class DeployFiles {
    static final ObjectMapper YAML = new ObjectMapper(new YAMLFactory());

    private DeployFiles() {}

    static Path repoRoot() {
        return existingDir("r1stream.repoRoot", "the repository root (jobs/pom.xml sets it to ${project.basedir}/..)");
    }

    static Path deployDir() { return repoRoot().resolve("deploy"); }

    /** The CRDs of the Flink Kubernetes Operator (../shared/k8s-crds beside the checkout). */
    static Path k8sCrds() {
        return existingDir("r1stream.k8sCrds", "the folder with the Flink Kubernetes Operator CRDs "
                + "(jobs/pom.xml sets it to ${project.basedir}/../../shared/k8s-crds; run with -Dr1stream.k8sCrds=DIR)");
    }

    private static Path existingDir(String property, String what) {
        String v = System.getProperty(property);
        if (v == null || v.isBlank()) {
            throw new IllegalStateException("system property " + property + " is not set: it must name " + what);
        }
        Path p = Path.of(v).toAbsolutePath().normalize();
        if (!Files.isDirectory(p)) {
            throw new IllegalStateException("system property " + property + "=" + v + " is not a directory: it must name " + what);
        }
        return p;
    }

    /** Every YAML document of a (multi-document) file, in order; empty documents are left out. */
    static List<JsonNode> yamlDocuments(Path file) {
        try (YAMLParser parser = ((YAMLFactory) YAML.getFactory()).createParser(file.toFile())) {
            List<JsonNode> docs = new ArrayList<>();
            var it = YAML.readValues(parser, JsonNode.class);
            while (it.hasNext()) {
                JsonNode n = it.next();
                if (n != null && !n.isNull() && !n.isMissingNode()) docs.add(n);
            }
            return docs;
        } catch (IOException e) {
            throw new UncheckedIOException("cannot parse " + file, e);
        }
    }
}
