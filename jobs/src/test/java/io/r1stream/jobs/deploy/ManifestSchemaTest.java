package io.r1stream.jobs.deploy;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.JsonNodeFactory;
import com.fasterxml.jackson.databind.node.ObjectNode;
import com.networknt.schema.JsonSchema;
import com.networknt.schema.JsonSchemaFactory;
import com.networknt.schema.SpecVersion;
import com.networknt.schema.ValidationMessage;

import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.Iterator;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.stream.Stream;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * Every Flink Kubernetes Operator resource under deploy/ (FlinkDeployment, FlinkBlueGreenDeployment,
 * FlinkSessionJob) is valid against the openAPIV3Schema of the operator's CRD in ../shared/k8s-crds, as a strict
 * API server would check it: unknown fields are errors (the schema is closed wherever Kubernetes would prune), and
 * int-or-string fields take either. The progression keeps one fixed key order so the files diff well.
 */
class ManifestSchemaTest {
    static final List<String> PROGRESSION = List.of("1-chat-basic.yaml", "2-chat-checkpoint-ha.yaml",
            "3-chat-autoscaling.yaml", "4-chat-gpu.yaml", "5-summarize.yaml", "6-chat-blue-green.yaml");
    static final List<String> TOP_ORDER = List.of("apiVersion", "kind", "metadata", "spec");
    static final List<String> SPEC_ORDER = List.of("image", "imagePullPolicy", "flinkVersion", "serviceAccount",
            "flinkConfiguration", "logConfiguration", "podTemplate", "ingress", "jobManager", "taskManager", "job", "mode");
    static final List<String> JOB_ORDER = List.of("jarURI", "entryClass", "args", "parallelism", "upgradeMode", "state",
            "initialSavepointPath", "allowNonRestoredState");

    /** kind -> (CRD versions, schema of the resource as a validator). */
    static final Map<String, Crd> CRDS = new HashMap<>();

    record Crd(Set<String> versions, JsonSchema schema) {}

    @BeforeAll
    static void loadCrds() throws IOException {
        Path dir = DeployFiles.k8sCrds();
        try (Stream<Path> files = Files.list(dir)) {
            for (Path f : files.filter(p -> p.toString().endsWith(".yml") || p.toString().endsWith(".yaml")).toList()) {
                for (JsonNode crd : DeployFiles.yamlDocuments(f)) {
                    if (!"CustomResourceDefinition".equals(crd.path("kind").asText())) continue;
                    String kind = crd.at("/spec/names/kind").asText();
                    Set<String> versions = new java.util.TreeSet<>();
                    JsonNode schema = null;
                    for (JsonNode v : crd.at("/spec/versions")) {
                        versions.add(crd.at("/spec/group").asText() + "/" + v.path("name").asText());
                        schema = v.at("/schema/openAPIV3Schema");
                    }
                    ObjectNode strict = (ObjectNode) schema.deepCopy();
                    // the API server checks these itself, outside the CRD's schema
                    ObjectNode props = (ObjectNode) strict.get("properties");
                    props.putObject("apiVersion").put("type", "string");
                    props.putObject("kind").put("type", "string").putArray("enum").add(kind);
                    props.putObject("metadata").put("type", "object");
                    closeAndAdapt(strict);
                    CRDS.put(kind, new Crd(versions, JsonSchemaFactory.getInstance(SpecVersion.VersionFlag.V4).getSchema(strict)));
                }
            }
        }
        assertThat(CRDS).as("CRDs found in " + dir).containsKeys("FlinkDeployment", "FlinkBlueGreenDeployment", "FlinkSessionJob");
    }

    @Test
    void everyFlinkResourceUnderDeployIsValidAgainstTheOperatorsCrd() throws IOException {
        List<String> checked = new ArrayList<>();
        List<String> problems = new ArrayList<>();
        for (Path file : yamlFiles()) {
            for (JsonNode doc : DeployFiles.yamlDocuments(file)) {
                String kind = doc.path("kind").asText();
                String where = DeployFiles.deployDir().relativize(file) + " (" + kind + " " + doc.at("/metadata/name").asText() + ")";
                assertThat(doc.path("apiVersion").asText()).as(where + " apiVersion").isNotEmpty();
                assertThat(doc.at("/metadata/name").asText()).as(where + " metadata.name").matches("[a-z0-9]([-a-z0-9.]*[a-z0-9])?");
                if (!doc.path("apiVersion").asText().startsWith("flink.apache.org/")) continue;
                Crd crd = CRDS.get(kind);
                assertThat(crd).as(where + ": no CRD for kind " + kind).isNotNull();
                assertThat(crd.versions()).as(where + " apiVersion").contains(doc.path("apiVersion").asText());
                for (ValidationMessage m : crd.schema().validate(doc)) problems.add(where + ": " + m.getMessage());
                checked.add(where);
            }
        }
        assertThat(problems).as("schema violations").isEmpty();
        assertThat(checked).as("Flink resources checked").hasSizeGreaterThanOrEqualTo(PROGRESSION.size());
    }

    @Test
    void theValidatorRejectsWhatAStrictApiServerRejects() throws IOException {
        JsonNode good = DeployFiles.yamlDocuments(DeployFiles.deployDir().resolve("1-chat-basic.yaml")).get(0);
        JsonSchema schema = CRDS.get("FlinkDeployment").schema();
        assertThat(schema.validate(good)).isEmpty();
        ObjectNode typo = good.deepCopy();
        ((ObjectNode) typo.get("spec").get("job")).put("upgradeMod", "last-state");
        assertThat(schema.validate(typo)).extracting(ValidationMessage::getMessage).anyMatch(m -> m.contains("upgradeMod"));
        ObjectNode badEnum = good.deepCopy();
        ((ObjectNode) badEnum.get("spec").get("job")).put("upgradeMode", "last_state");
        assertThat(schema.validate(badEnum)).isNotEmpty();
        ObjectNode badVersion = good.deepCopy();
        ((ObjectNode) badVersion.get("spec")).put("flinkVersion", "v2_9");
        assertThat(schema.validate(badVersion)).isNotEmpty();
        ObjectNode badPod = good.deepCopy();
        ((ObjectNode) badPod.at("/spec/podTemplate/spec/containers/0")).put("volumeMount", "x");
        assertThat(schema.validate(badPod)).isNotEmpty();
    }

    @Test
    void theProgressionIsThereInOrderWithOneKeyOrder() throws IOException {
        for (String name : PROGRESSION) {
            Path f = DeployFiles.deployDir().resolve(name);
            assertThat(f).exists();
            JsonNode doc = DeployFiles.yamlDocuments(f).get(0);
            assertOrder(name, doc, TOP_ORDER);
            JsonNode spec = doc.get("spec").has("template") ? doc.at("/spec/template/spec") : doc.get("spec");
            assertOrder(name + " spec", spec, SPEC_ORDER);
            assertOrder(name + " spec.job", spec.get("job"), JOB_ORDER);
            assertThat(spec.at("/job/jarURI").asText()).isEqualTo("local:///opt/flink/usrlib/r1stream-job.jar");
            assertThat(spec.at("/flinkConfiguration/classloader.parent-first-patterns.additional").asText()).as(name).isEqualTo("ai.djl");
            assertThat(spec.at("/flinkConfiguration/metrics.reporter.prom.port").asText()).as(name).isEqualTo("9249");
        }
        JsonNode ha = doc("2-chat-checkpoint-ha.yaml");
        assertThat(ha.at("/spec/job/upgradeMode").asText()).isEqualTo("last-state");
        assertThat(ha.at("/spec/flinkConfiguration/high-availability.type").asText()).isEqualTo("kubernetes");
        JsonNode auto = doc("3-chat-autoscaling.yaml");
        assertThat(auto.at("/spec/flinkConfiguration/job.autoscaler.enabled").asText()).isEqualTo("true");
        assertThat(auto.at("/spec/flinkConfiguration/jobmanager.scheduler").asText()).isEqualTo("adaptive");
        JsonNode gpu = doc("4-chat-gpu.yaml");
        assertThat(gpu.at("/spec/taskManager/podTemplate/spec/containers/0/resources/limits/nvidia.com~1gpu").asInt()).isEqualTo(1);
        assertThat(doc("5-summarize.yaml").at("/spec/job/entryClass").asText()).isEqualTo("io.r1stream.jobs.SummarizeJob");
        assertThat(doc("6-chat-blue-green.yaml").path("kind").asText()).isEqualTo("FlinkBlueGreenDeployment");
    }

    static JsonNode doc(String name) {
        return DeployFiles.yamlDocuments(DeployFiles.deployDir().resolve(name)).get(0);
    }

    /** The keys of {@code node} that appear in {@code order} come in that order. */
    static void assertOrder(String where, JsonNode node, List<String> order) {
        List<String> keys = new ArrayList<>();
        node.fieldNames().forEachRemaining(keys::add);
        List<String> known = keys.stream().filter(order::contains).toList();
        assertThat(known).as(where + " key order (fixed: " + order + ")")
                .isSortedAccordingTo(java.util.Comparator.comparingInt(order::indexOf));
    }

    static List<Path> yamlFiles() throws IOException {
        try (Stream<Path> s = Files.walk(DeployFiles.deployDir())) {
            // every Kubernetes resource file; prometheus-scrape.yaml is a prometheus.yml fragment, not a resource
            return s.filter(p -> p.toString().endsWith(".yaml") || p.toString().endsWith(".yml"))
                    .filter(p -> !p.getFileName().toString().equals("prometheus-scrape.yaml")).sorted().toList();
        }
    }

    /**
     * Turns a Kubernetes structural schema into JSON Schema draft 4 as a strict API server applies it: objects with
     * properties and no additionalProperties/x-kubernetes-preserve-unknown-fields are closed; int-or-string takes either.
     */
    static void closeAndAdapt(ObjectNode s) {
        if (s.path("x-kubernetes-int-or-string").asBoolean(false)) {
            s.remove("type");
            ArrayNode any = s.putArray("anyOf");
            any.addObject().put("type", "integer");
            any.addObject().put("type", "string");
        }
        if (s.has("properties") && !s.has("additionalProperties")
                && !s.path("x-kubernetes-preserve-unknown-fields").asBoolean(false)) {
            s.put("additionalProperties", false);
        }
        if (s.path("nullable").asBoolean(false) && s.has("type")) {
            ArrayNode types = JsonNodeFactory.instance.arrayNode().add(s.get("type").asText()).add("null");
            s.set("type", types);
        }
        for (Iterator<Map.Entry<String, JsonNode>> it = s.fields(); it.hasNext(); ) {
            Map.Entry<String, JsonNode> e = it.next();
            JsonNode child = e.getValue();
            if (e.getKey().equals("properties")) {
                child.fields().forEachRemaining(p -> { if (p.getValue() instanceof ObjectNode o) closeAndAdapt(o); });
            } else if (child instanceof ObjectNode o && (e.getKey().equals("items") || e.getKey().equals("additionalProperties"))) {
                closeAndAdapt(o);
            } else if (child instanceof ArrayNode a && (e.getKey().equals("anyOf") || e.getKey().equals("allOf") || e.getKey().equals("oneOf"))) {
                a.forEach(n -> { if (n instanceof ObjectNode o) closeAndAdapt(o); });
            }
        }
    }
}
