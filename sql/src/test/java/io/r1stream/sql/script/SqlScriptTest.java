package io.r1stream.sql.script;

import org.junit.jupiter.api.Test;

import java.util.List;
import java.util.Map;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

class SqlScriptTest {

    @Test
    void splitsAtSemicolonsOutsideQuotesAndComments() {
        String text = """
                -- a comment; with a semicolon
                SET 'a' = 'x;y';
                /* block; comment */ CREATE TABLE t (s STRING) WITH ('k' = 'it''s; fine');

                SELECT "a;b", `c;d` FROM t -- trailing; comment
                ;
                """;
        List<SqlScript.Statement> s = SqlScript.split(text);
        assertThat(s).extracting(SqlScript.Statement::sql).containsExactly(
                "SET 'a' = 'x;y'",
                "CREATE TABLE t (s STRING) WITH ('k' = 'it''s; fine')",
                "SELECT \"a;b\", `c;d` FROM t");
        assertThat(s).extracting(SqlScript.Statement::line).containsExactly(2, 3, 5);
    }

    @Test
    void unclosedQuotesAndCommentsNameTheLine() {
        assertThatThrownBy(() -> SqlScript.split("SELECT 1;\nSELECT 'oops;\n"))
                .hasMessageContaining("line 2").hasMessageContaining("never closed");
        assertThatThrownBy(() -> SqlScript.split("SELECT 1; /* open"))
                .hasMessageContaining("line 1").hasMessageContaining("*/");
    }

    @Test
    void placeholdersTakeVariablesThenDefaults() {
        assertThat(SqlScript.substitute("'${bootstrap}' '${topic:-prompts}' '${n:-}'", Map.of("bootstrap", "h:9092")))
                .isEqualTo("'h:9092' 'prompts' ''");
        assertThat(SqlScript.substitute("${topic:-prompts}", Map.of("topic", "p2"))).isEqualTo("p2");
        assertThatThrownBy(() -> SqlScript.substitute("${model} ${bootstrap} ${model}", Map.of()))
                .hasMessageContaining("${model}").hasMessageContaining("-D model=VALUE -D bootstrap=VALUE");
    }

    @Test
    void withOptionsParseQuotedPairs() {
        assertThat(SqlScript.options(" 'model' = 'r1', 'idle-ttl'='1 h' , 'q' = 'it''s' "))
                .containsExactly(Map.entry("model", "r1"), Map.entry("idle-ttl", "1 h"), Map.entry("q", "it's"));
        assertThatThrownBy(() -> SqlScript.options("'model' = r1"))
                .hasMessageContaining("'key' = 'value'");
    }
}
