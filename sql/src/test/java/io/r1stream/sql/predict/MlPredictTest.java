package io.r1stream.sql.predict;

import io.r1stream.engine.EngineOptions;
import io.r1stream.engine.Engines;
import io.r1stream.engine.model.Architecture;
import io.r1stream.engine.model.gen.ModelGenerator;

import org.apache.flink.configuration.Configuration;
import org.apache.flink.streaming.api.environment.StreamExecutionEnvironment;
import org.apache.flink.table.api.ValidationException;
import org.apache.flink.table.api.bridge.java.StreamTableEnvironment;
import org.apache.flink.types.Row;
import org.apache.flink.util.CloseableIterator;
import org.junit.jupiter.api.BeforeAll;
import org.apache.flink.runtime.testutils.MiniClusterResourceConfiguration;
import org.apache.flink.test.junit5.MiniClusterExtension;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;
import org.junit.jupiter.api.io.TempDir;

import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

/**
 * ML_PREDICT with {@code 'provider' = 'r1stream'} in a local MiniCluster, on the tiny generated model: rows in
 * flight share engine steps, bad rows follow the error policy, wrong model declarations fail at planning time.
 */
class MlPredictTest {
    @RegisterExtension
    static final MiniClusterExtension FLINK = new MiniClusterExtension(new MiniClusterResourceConfiguration.Builder()
            .setNumberTaskManagers(1).setNumberSlotsPerTaskManager(2).build());

    @TempDir static Path tmp;
    static Path model;

    @BeforeAll
    static void createModel() {
        model = ModelGenerator.create(ModelGenerator.Spec.tiny(Architecture.QWEN2), tmp.resolve("model"));
    }

    static StreamTableEnvironment tableEnv() {
        StreamExecutionEnvironment env = StreamExecutionEnvironment.getExecutionEnvironment(); // the shared MiniCluster
        env.setParallelism(1);
        return StreamTableEnvironment.create(env);
    }

    static String createModel(String name, String extraOptions, String output) {
        return createModel(name, "prompt STRING", extraOptions, output);
    }

    static String createModel(String name, String input, String extraOptions, String output) {
        return "CREATE TEMPORARY MODEL " + name + " INPUT (" + input + ") OUTPUT (" + output + ") WITH ("
                + "'provider' = 'r1stream', 'model-dir' = '" + model + "', 'max-tokens' = '12', 'temperature' = '0'"
                + extraOptions + ")";
    }

    static List<Row> collect(StreamTableEnvironment t, String sql) throws Exception {
        List<Row> rows = new ArrayList<>();
        try (CloseableIterator<Row> it = t.executeSql(sql).collect()) {
            it.forEachRemaining(rows::add);
        }
        return rows;
    }

    static EngineOptions engineOptions() {
        return ModelOptions.engineOptions(Configuration.fromMap(Map.of("model-dir", model.toString())));
    }

    @Test
    void rowsInFlightAreBatchedInOneEngine() throws Exception {
        StreamTableEnvironment t = tableEnv();
        t.executeSql(createModel("r1", "", "content STRING, reasoning_content STRING, finish_reason STRING, "
                + "prompt_tokens INT, completion_tokens INT"));
        StringBuilder values = new StringBuilder();
        for (int i = 1; i <= 12; i++) values.append(i == 1 ? "" : ", ").append("(").append(i).append(", 'question number ").append(i).append("')");
        t.executeSql("CREATE TEMPORARY VIEW questions AS SELECT * FROM (VALUES " + values + ") AS q(id, prompt)");

        // hold the engine the job will share (same options), to read its metrics after the job released it
        try (Engines.EngineHandle held = Engines.acquire(engineOptions())) {
            List<Row> rows = collect(t, "SELECT id, prompt, content, reasoning_content, finish_reason, prompt_tokens, completion_tokens "
                    + "FROM ML_PREDICT(TABLE questions, MODEL r1, DESCRIPTOR(prompt), "
                    + "MAP['async', 'true', 'max-concurrent-operations', '32', 'output-mode', 'allow_unordered'])");
            assertThat(rows).hasSize(12);
            for (Row r : rows) {
                assertThat((String) r.getField("finish_reason")).isIn("stop", "length");
                assertThat((Integer) r.getField("prompt_tokens")).isGreaterThan(3);
                assertThat((Integer) r.getField("completion_tokens")).isBetween(1, 12);
                // the random model never closes </think>: everything it says is reasoning
                assertThat((String) r.getField("content")).isEmpty();
            }
            assertThat(rows).extracting(r -> r.getField("id")).containsExactlyInAnyOrder(1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12);
            assertThat(held.engine().metrics().requestsFinished.sum()).isEqualTo(12);
            assertThat(held.engine().metrics().batchPeak.get()).as("sequences in one engine step").isGreaterThan(1);
        }
        assertThat(Engines.references(engineOptions())).as("the job released the engine").isZero();
    }

    @Test
    void errorColumnPolicyAnswersBadRowsWithTheReason() throws Exception {
        StreamTableEnvironment t = tableEnv();
        t.executeSql(createModel("r1e", "prompt STRING, max_tokens INT", ", 'error-policy' = 'error-column'",
                "content STRING, finish_reason STRING, error STRING"));
        t.executeSql("CREATE TEMPORARY VIEW mixed AS SELECT * FROM (VALUES (1, 'hello there', 8), (2, CAST(NULL AS STRING), 8), "
                + "(3, '   ', 8), (4, 'too much', 5000), (5, 'and goodbye', CAST(NULL AS INT)), (6, 'none', 0)) AS q(id, prompt, max_tokens)");
        List<Row> rows = collect(t, "SELECT id, content, finish_reason, error FROM ML_PREDICT(TABLE mixed, MODEL r1e, DESCRIPTOR(prompt, max_tokens))");
        assertThat(rows).hasSize(6);
        Map<Integer, Row> byId = new java.util.HashMap<>();
        rows.forEach(r -> byId.put((Integer) r.getField("id"), r));
        for (int ok : new int[] {1, 5}) {
            assertThat(byId.get(ok).getField("error")).isNull();
            assertThat(byId.get(ok).getField("finish_reason")).isIn("stop", "length");
        }
        assertThat(byId.get(2).getField("finish_reason")).isEqualTo("error");
        assertThat((String) byId.get(2).getField("error")).contains("prompt is null");
        assertThat((String) byId.get(3).getField("error")).contains("prompt is blank");
        assertThat((String) byId.get(4).getField("error")).contains("exceeds the model's context").contains("shorten the prompt");
        assertThat(byId.get(4).getField("content")).isNull();
        assertThat((String) byId.get(6).getField("error")).contains("max_tokens must be >= 1, got 0");
    }

    @Test
    void failPolicyFailsTheJobNamingTheRow() {
        StreamTableEnvironment t = tableEnv();
        t.executeSql(createModel("r1f", "", "content STRING"));
        t.executeSql("CREATE TEMPORARY VIEW bad AS SELECT * FROM (VALUES (1, 'fine'), (2, '  ')) AS q(id, prompt)");
        assertThatThrownBy(() -> collect(t, "SELECT id, content FROM ML_PREDICT(TABLE bad, MODEL r1f, DESCRIPTOR(prompt))"))
                .satisfies(e -> assertThat(rootMessages(e)).contains("prompt is blank").contains("'error-policy' = 'fail'"));
    }

    @Test
    void wrongDeclarationsFailAtPlanningTimeWithTheFix() {
        StreamTableEnvironment t = tableEnv();
        t.executeSql("CREATE TEMPORARY VIEW single AS SELECT * FROM (VALUES (1, 'x')) AS q(id, prompt)");
        t.executeSql(createModel("noErrorColumn", ", 'error-policy' = 'error-column'", "content STRING"));
        t.executeSql(createModel("unknownColumn", "", "content STRING, mood STRING"));
        t.executeSql(createModel("wrongType", "", "prompt_tokens STRING"));
        t.executeSql(createModel("unknownOption", ", 'temprature' = '0.5'", "content STRING"));
        assertThatThrownBy(() -> t.executeSql("SELECT * FROM ML_PREDICT(TABLE single, MODEL noErrorColumn, DESCRIPTOR(prompt))"))
                .satisfies(e -> assertThat(rootMessages(e)).contains("needs an OUTPUT column 'error STRING'"));
        assertThatThrownBy(() -> t.executeSql("SELECT * FROM ML_PREDICT(TABLE single, MODEL unknownColumn, DESCRIPTOR(prompt))"))
                .satisfies(e -> assertThat(rootMessages(e)).contains("'mood' is not one r1stream produces").contains("reasoning_content STRING"));
        assertThatThrownBy(() -> t.executeSql("SELECT * FROM ML_PREDICT(TABLE single, MODEL wrongType, DESCRIPTOR(prompt))"))
                .satisfies(e -> assertThat(rootMessages(e)).contains("'prompt_tokens'").contains("declare it as INT"));
        assertThatThrownBy(() -> t.executeSql("SELECT * FROM ML_PREDICT(TABLE single, MODEL unknownOption, DESCRIPTOR(prompt))"))
                .satisfies(e -> assertThat(rootMessages(e)).contains("temprature"));
    }

    static String rootMessages(Throwable e) {
        StringBuilder sb = new StringBuilder();
        for (Throwable c = e; c != null; c = c.getCause()) sb.append(c.getMessage()).append(" | ");
        return sb.toString();
    }
}
