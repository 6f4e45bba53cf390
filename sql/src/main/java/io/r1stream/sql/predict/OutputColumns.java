package io.r1stream.sql.predict;

import org.apache.flink.table.catalog.Column;
import org.apache.flink.table.catalog.ResolvedSchema;
import org.apache.flink.table.data.GenericRowData;
import org.apache.flink.table.data.RowData;
import org.apache.flink.table.data.StringData;
import org.apache.flink.table.types.logical.LogicalType;
import org.apache.flink.table.types.logical.LogicalTypeFamily;
import org.apache.flink.table.types.logical.LogicalTypeRoot;

import java.io.Serializable;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Locale;

/**
 * The model's {@code OUTPUT (...)}: any subset of the columns below, in any order, matched by name. ML_PREDICT
 * appends them to the input table's columns.
 *
 * <table>
 *   <caption>Output columns</caption>
 *   <tr><th>column</th><th>type</th><th>value</th></tr>
 *   <tr><td>content</td><td>STRING</td><td>the answer, reasoning removed ('' when none; null for an error row)</td></tr>
 *   <tr><td>reasoning_content</td><td>STRING</td><td>the text inside {@code <think>...</think>}, null when none</td></tr>
 *   <tr><td>finish_reason</td><td>STRING</td><td>stop, length or error</td></tr>
 *   <tr><td>prompt_tokens</td><td>INT</td><td>tokens of the rendered prompt</td></tr>
 *   <tr><td>completion_tokens</td><td>INT</td><td>tokens generated, reasoning included</td></tr>
 *   <tr><td>ttft_ms</td><td>DOUBLE</td><td>time to first token from submission to the engine, ms</td></tr>
 *   <tr><td>latency_ms</td><td>DOUBLE</td><td>submission to last token, ms</td></tr>
 *   <tr><td>error</td><td>STRING</td><td>null, or why the row failed (required by 'error-policy' = 'error-column')</td></tr>
 * </table>
 */
public final class OutputColumns implements Serializable {
    private static final long serialVersionUID = 1L;

    /** The known columns and their SQL type. */
    public enum Kind {
        CONTENT("STRING"), REASONING_CONTENT("STRING"), FINISH_REASON("STRING"), PROMPT_TOKENS("INT"),
        COMPLETION_TOKENS("INT"), TTFT_MS("DOUBLE"), LATENCY_MS("DOUBLE"), ERROR("STRING");

        final String sqlType;

        Kind(String sqlType) { this.sqlType = sqlType; }

        public String columnName() { return name().toLowerCase(Locale.ROOT); }

        boolean accepts(LogicalType t) {
            return switch (sqlType) {
                case "STRING" -> t.is(LogicalTypeFamily.CHARACTER_STRING);
                case "INT" -> t.is(LogicalTypeRoot.INTEGER);
                default -> t.is(LogicalTypeRoot.DOUBLE);
            };
        }
    }

    private final Kind[] kinds; // output position -> kind

    private OutputColumns(Kind[] kinds) { this.kinds = kinds; }

    public static OutputColumns of(ResolvedSchema output, ErrorPolicy policy) {
        List<Column> cols = output.getColumns();
        if (cols.isEmpty()) throw new IllegalArgumentException("the model's OUTPUT has no columns: declare e.g. OUTPUT (content STRING)");
        List<Kind> kinds = new ArrayList<>();
        for (Column c : cols) {
            Kind k = kind(c.getName());
            if (!k.accepts(c.getDataType().getLogicalType())) {
                throw new IllegalArgumentException("the model's OUTPUT column '" + c.getName() + "' is " + c.getDataType()
                        + "; declare it as " + k.sqlType);
            }
            if (kinds.contains(k)) throw new IllegalArgumentException("the model's OUTPUT names '" + c.getName() + "' twice");
            kinds.add(k);
        }
        if (policy == ErrorPolicy.ERROR_COLUMN && !kinds.contains(Kind.ERROR)) {
            throw new IllegalArgumentException("'error-policy' = 'error-column' needs an OUTPUT column 'error STRING' "
                    + "to hold why a row failed: add it, or use 'error-policy' = 'fail'");
        }
        return new OutputColumns(kinds.toArray(Kind[]::new));
    }

    private static Kind kind(String name) {
        for (Kind k : Kind.values()) if (k.columnName().equals(name.toLowerCase(Locale.ROOT))) return k;
        throw new IllegalArgumentException("the model's OUTPUT column '" + name + "' is not one r1stream produces; use any of "
                + Arrays.stream(Kind.values()).map(k -> k.columnName() + " " + k.sqlType).toList());
    }

    /** Whether this output row is an error row (its finish_reason, when declared, is 'error'). */
    boolean isError(RowData row) {
        for (int i = 0; i < kinds.length; i++) {
            if (kinds[i] == Kind.ERROR) return !row.isNullAt(i);
        }
        return false;
    }

    /** One output row; {@code values} holds each kind's value (String, Integer, Double or null). */
    RowData row(java.util.Map<Kind, Object> values) {
        GenericRowData row = new GenericRowData(kinds.length);
        for (int i = 0; i < kinds.length; i++) {
            Object v = values.get(kinds[i]);
            row.setField(i, v instanceof String s ? StringData.fromString(s) : v);
        }
        return row;
    }
}
