package io.r1stream.sql.script;

import io.r1stream.sql.conversation.ConversationView;

import org.apache.flink.table.api.StatementSet;
import org.apache.flink.table.api.TableResult;
import org.apache.flink.table.api.bridge.java.StreamTableEnvironment;
import org.apache.flink.table.api.config.ExecutionConfigOptions;

import java.io.PrintStream;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Optional;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * Runs a statement file on a {@link StreamTableEnvironment}, in order: DDL and queries as Flink's SQL client does,
 * {@code SET 'key' = 'value'} into the table config, and every {@code INSERT} collected into one statement set,
 * submitted as one job after the last statement (so all pipelines of the file share one job and one engine per
 * TaskManager). One statement is r1stream's own:
 * <pre>
 * CREATE [TEMPORARY] CONVERSATION VIEW answers FROM prompts WITH ('model' = 'r1' [, 'max-in-flight' = '64', ...])
 * </pre>
 * which registers {@link ConversationView#answers} as a temporary view.
 *
 * <p>Before the file runs, ML_PREDICT's async settings get defaults that suit an in-process batching engine
 * ({@link #ML_PREDICT_MAX_CONCURRENT} rows per subtask in flight instead of Flink's 10, so the engine's batch
 * can fill; a {@link #ML_PREDICT_TIMEOUT} timeout instead of 3 min, since a row waits behind a full batch on a
 * CPU); a {@code SET} in the file overrides them.
 */
public final class SqlScriptRunner {
    public static final int ML_PREDICT_MAX_CONCURRENT = 64;
    public static final Duration ML_PREDICT_TIMEOUT = Duration.ofMinutes(30);

    private static final Pattern SET = Pattern.compile("(?is)SET\\s+'((?:[^']|'')*)'\\s*=\\s*'((?:[^']|'')*)'");
    private static final Pattern CONVERSATION_VIEW = Pattern.compile(
            "(?is)CREATE\\s+(?:TEMPORARY\\s+)?CONVERSATION\\s+VIEW\\s+([\\w.`]+)\\s+FROM\\s+([\\w.`]+)\\s+WITH\\s*\\((.*)\\)");
    private static final Pattern INSERT = Pattern.compile("(?is)INSERT\\s+(INTO|OVERWRITE)\\b.*");
    private static final Pattern STATEMENT_SET_MARKER = Pattern.compile("(?is)(BEGIN\\s+STATEMENT\\s+SET|END)");
    private static final Pattern PRINTS_RESULT = Pattern.compile("(?is)(SELECT|WITH|SHOW|DESCRIBE|DESC|EXPLAIN|VALUES)\\b.*");

    private final StreamTableEnvironment tEnv;
    private final PrintStream out;

    public SqlScriptRunner(StreamTableEnvironment tEnv, PrintStream out) {
        this.tEnv = tEnv;
        this.out = out;
        tEnv.getConfig().set(ExecutionConfigOptions.TABLE_EXEC_ASYNC_ML_PREDICT_MAX_CONCURRENT_OPERATIONS, ML_PREDICT_MAX_CONCURRENT);
        tEnv.getConfig().set(ExecutionConfigOptions.TABLE_EXEC_ASYNC_ML_PREDICT_TIMEOUT, ML_PREDICT_TIMEOUT);
    }

    /**
     * Runs the file's statements; returns the submitted job of its INSERTs (running; {@code await()} it or cancel
     * its job client), or empty when it has none.
     */
    public Optional<TableResult> run(String script, Map<String, String> variables) {
        StatementSet inserts = tEnv.createStatementSet();
        int insertCount = 0;
        for (SqlScript.Statement st : SqlScript.split(script)) {
            String sql;
            try {
                sql = SqlScript.substitute(st.sql(), variables);
            } catch (IllegalArgumentException e) {
                throw new IllegalArgumentException("statement at line " + st.line() + ": " + e.getMessage(), e);
            }
            try {
                if (execute(sql, inserts)) insertCount++;
            } catch (RuntimeException e) {
                throw new SqlStatementException(st.line(), sql, e);
            }
        }
        if (insertCount == 0) return Optional.empty();
        out.println("r1stream sql: submitting " + insertCount + " INSERT statement(s) as one job");
        return Optional.of(inserts.execute());
    }

    /** @return whether the statement was an INSERT (added to the statement set) */
    private boolean execute(String sql, StatementSet inserts) {
        Matcher m;
        if ((m = SET.matcher(sql)).matches()) {
            tEnv.getConfig().getConfiguration().setString(unquote(m.group(1)), unquote(m.group(2)));
            return false;
        }
        if ((m = CONVERSATION_VIEW.matcher(sql)).matches()) {
            Map<String, String> options = SqlScript.options(m.group(3));
            String model = options.get(ConversationView.MODEL);
            if (model == null) {
                throw new IllegalArgumentException("a CONVERSATION VIEW needs 'model' = '<name of a model with 'provider' = 'r1stream'>' in its WITH");
            }
            tEnv.createTemporaryView(strip(m.group(1)), ConversationView.answers(tEnv, strip(m.group(2)), model, options));
            return false;
        }
        if (STATEMENT_SET_MARKER.matcher(sql).matches()) return false; // every INSERT of the file is in one set anyway
        if (INSERT.matcher(sql).matches()) {
            inserts.addInsertSql(sql);
            return true;
        }
        TableResult r = tEnv.executeSql(sql);
        if (PRINTS_RESULT.matcher(sql).matches()) r.print();
        else out.println("r1stream sql: " + firstWords(sql) + " ... " + r.getResultKind().name().toLowerCase(Locale.ROOT));
        return false;
    }

    private static String unquote(String s) { return s.replace("''", "'"); }

    private static String strip(String identifier) { return identifier.replace("`", ""); }

    private static String firstWords(String sql) {
        String[] w = sql.strip().split("\\s+");
        return String.join(" ", List.of(w).subList(0, Math.min(3, w.length)));
    }

    /** A statement of the file failed; the message names its line and the statement's start. */
    public static final class SqlStatementException extends IllegalArgumentException {
        SqlStatementException(int line, String sql, RuntimeException cause) {
            super("statement at line " + line + " (" + abbreviate(sql) + ") failed: " + rootMessage(cause), cause);
        }

        private static String abbreviate(String sql) {
            String one = sql.replaceAll("\\s+", " ");
            return one.length() > 80 ? one.substring(0, 77) + "..." : one;
        }

        private static String rootMessage(Throwable e) {
            List<String> parts = new ArrayList<>();
            for (Throwable c = e; c != null; c = c.getCause()) {
                if (c.getMessage() != null && (parts.isEmpty() || !parts.get(parts.size() - 1).contains(c.getMessage()))) {
                    parts.add(c.getMessage());
                }
            }
            return String.join(": ", parts);
        }
    }
}
