package io.r1stream.cli;

import io.r1stream.engine.model.Architecture;
import io.r1stream.engine.model.gen.ModelGenerator;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.nio.file.Files;
import java.nio.file.Path;

import static org.assertj.core.api.Assertions.assertThat;

/** {@code r1stream sql -f FILE}: a statement file with ML_PREDICT runs on a local Flink; bad input says what to fix. */
class SqlCommandTest {
    @TempDir Path tmp;

    @Test
    void runsAStatementFileAndPrintsTheQueryResult() throws Exception {
        Path model = ModelGenerator.create(ModelGenerator.Spec.tiny(Architecture.QWEN2), tmp.resolve("model"));
        Path file = tmp.resolve("q.sql");
        Files.writeString(file, """
                CREATE TEMPORARY MODEL r1 INPUT (prompt STRING) OUTPUT (finish_reason STRING, completion_tokens INT)
                  WITH ('provider' = 'r1stream', 'model-dir' = '${model}', 'max-tokens' = '${n:-4}', 'temperature' = '0');
                CREATE TEMPORARY VIEW questions AS SELECT * FROM (VALUES ('a', 'one'), ('b', 'two')) AS t(id, prompt);
                SELECT id, finish_reason, completion_tokens FROM ML_PREDICT(TABLE questions, MODEL r1, DESCRIPTOR(prompt));
                """);
        CliTest.Run r = CliTest.run("sql", "-f", file.toString(), "-D", "model=" + model, "--web-ui-port", "0");
        assertThat(r.exit()).as(r.err()).isZero();
        assertThat(r.out()).containsPattern("\\| +a \\|").containsPattern("\\| +b \\|").containsPattern("(stop|length)").contains("2 rows in set");
    }

    @Test
    void aMissingFileOrVariableIsAnErrorThatSaysWhatToPass() throws Exception {
        CliTest.Run missing = CliTest.run("sql", "-f", tmp.resolve("nope.sql").toString());
        assertThat(missing.exit()).isEqualTo(2);
        assertThat(missing.err()).contains("does not exist").contains("-f");

        Path file = tmp.resolve("v.sql");
        Files.writeString(file, "-- a file\nSET 'x' = 'y';\n\nCREATE TEMPORARY MODEL r1 INPUT (prompt STRING) OUTPUT (content STRING)\n"
                + "  WITH ('provider' = 'r1stream', 'model-dir' = '${model}');\n");
        CliTest.Run noVar = CliTest.run("sql", "-f", file.toString(), "--web-ui-port", "0");
        assertThat(noVar.exit()).isEqualTo(2);
        assertThat(noVar.err()).contains("line 4").contains("${model}").contains("-D model=VALUE");
    }
}
