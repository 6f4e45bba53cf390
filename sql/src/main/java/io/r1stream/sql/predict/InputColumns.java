package io.r1stream.sql.predict;

import org.apache.flink.table.catalog.Column;
import org.apache.flink.table.catalog.ResolvedSchema;
import org.apache.flink.table.data.RowData;
import org.apache.flink.table.types.logical.LogicalType;
import org.apache.flink.table.types.logical.LogicalTypeFamily;
import org.apache.flink.table.types.logical.LogicalTypeRoot;

import java.io.Serializable;
import java.util.List;
import java.util.Locale;

/**
 * What each column of the model's {@code INPUT (...)} means. One column (any name, a string type) is the
 * prompt; with several, they are matched by name: {@code prompt} (required), {@code system}, {@code max_tokens},
 * {@code temperature}, {@code seed}. Positions index the row ML_PREDICT hands the function (the DESCRIPTOR's
 * columns, in the model's input order); -1 = the column is absent.
 */
public record InputColumns(int prompt, int system, int maxTokens, int temperature, int seed, boolean seedIsBigint)
        implements Serializable {

    static final List<String> NAMES = List.of("prompt", "system", "max_tokens", "temperature", "seed");

    public static InputColumns of(ResolvedSchema input) {
        List<Column> cols = input.getColumns();
        if (cols.isEmpty()) throw new IllegalArgumentException("the model's INPUT has no columns: declare INPUT (prompt STRING)");
        if (cols.size() == 1) {
            requireString(cols.get(0), "the prompt");
            return new InputColumns(0, -1, -1, -1, -1, false);
        }
        int prompt = -1, system = -1, maxTokens = -1, temperature = -1, seed = -1;
        boolean bigint = false;
        for (int i = 0; i < cols.size(); i++) {
            Column c = cols.get(i);
            LogicalType t = c.getDataType().getLogicalType();
            switch (c.getName().toLowerCase(Locale.ROOT)) {
                case "prompt" -> { requireString(c, "the prompt"); prompt = i; }
                case "system" -> { requireString(c, "the system prompt"); system = i; }
                case "max_tokens" -> { require(c, t.is(LogicalTypeRoot.INTEGER), "INT"); maxTokens = i; }
                case "temperature" -> { require(c, t.is(LogicalTypeRoot.DOUBLE), "DOUBLE"); temperature = i; }
                case "seed" -> {
                    require(c, t.is(LogicalTypeRoot.BIGINT) || t.is(LogicalTypeRoot.INTEGER), "BIGINT or INT");
                    seed = i;
                    bigint = t.is(LogicalTypeRoot.BIGINT);
                }
                default -> throw new IllegalArgumentException("the model's INPUT column '" + c.getName() + "' is not one r1stream "
                        + "knows; with more than one input column use the names " + NAMES + " (prompt required)");
            }
        }
        if (prompt < 0) throw new IllegalArgumentException("the model's INPUT has several columns but none named 'prompt': "
                + "name the prompt column 'prompt' (others: " + NAMES.subList(1, NAMES.size()) + ")");
        return new InputColumns(prompt, system, maxTokens, temperature, seed, bigint);
    }

    String prompt(RowData row) { return string(row, prompt); }

    String system(RowData row) { return string(row, system); }

    Integer maxTokens(RowData row) { return maxTokens < 0 || row.isNullAt(maxTokens) ? null : row.getInt(maxTokens); }

    Double temperature(RowData row) { return temperature < 0 || row.isNullAt(temperature) ? null : row.getDouble(temperature); }

    Long seed(RowData row) {
        if (seed < 0 || row.isNullAt(seed)) return null;
        return seedIsBigint ? row.getLong(seed) : (long) row.getInt(seed);
    }

    private static String string(RowData row, int pos) {
        return pos < 0 || row.isNullAt(pos) ? null : row.getString(pos).toString();
    }

    private static void requireString(Column c, String what) {
        require(c, c.getDataType().getLogicalType().is(LogicalTypeFamily.CHARACTER_STRING), "STRING (" + what + ")");
    }

    private static void require(Column c, boolean ok, String expected) {
        if (!ok) {
            throw new IllegalArgumentException("the model's INPUT column '" + c.getName() + "' is " + c.getDataType()
                    + "; declare it as " + expected);
        }
    }
}
