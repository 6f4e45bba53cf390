package io.r1stream.sql.conversation;

import io.r1stream.connectors.prompt.Parsed;
import io.r1stream.connectors.prompt.PromptLimits;
import io.r1stream.connectors.prompt.PromptParser;
import io.r1stream.connectors.records.DeadLetter;
import io.r1stream.connectors.records.PromptRequest;
import io.r1stream.connectors.records.RecordJson;

import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;

import org.apache.flink.api.common.functions.OpenContext;
import org.apache.flink.api.common.typeinfo.TypeInformation;
import org.apache.flink.streaming.api.functions.ProcessFunction;
import org.apache.flink.types.Row;
import org.apache.flink.util.Collector;
import org.apache.flink.util.OutputTag;

import java.util.Collection;
import java.util.Set;

/**
 * Rows of a SQL table -> {@link PromptRequest}s, through the same {@link PromptParser} the Kafka job uses (so the
 * same checks, defaults and dead-letter reasons): each row is written as the prompts record's JSON, its columns
 * named like the record's fields ({@code request_id}, {@code conversation_id}, {@code message}, optional
 * {@code system}, {@code max_tokens}, {@code temperature}, {@code top_p}, {@code top_k}, {@code seed}, {@code stop}).
 * Other columns are ignored. A row without {@code system} or {@code stop} gets the model's 'system-prompt' and 'stop'.
 * Rows that are not valid prompts go to {@link #DEAD_LETTERS}.
 */
final class RowsToPrompts extends ProcessFunction<Row, PromptRequest> {
    private static final long serialVersionUID = 1L;
    static final OutputTag<DeadLetter> DEAD_LETTERS = new OutputTag<>("sql-prompt-dead-letters", TypeInformation.of(DeadLetter.class));
    static final Set<String> FIELDS = Set.of("request_id", "conversation_id", "message", "system", "max_tokens",
            "temperature", "top_p", "top_k", "seed", "stop");

    private final PromptLimits limits;
    private final String sourceName;
    private final String defaultSystem;          // null = none
    private final java.util.List<String> defaultStop;
    private transient PromptParser parser;
    private transient long rowNumber;

    RowsToPrompts(PromptLimits limits, String sourceName, String defaultSystem, java.util.List<String> defaultStop) {
        this.limits = limits;
        this.sourceName = sourceName;
        this.defaultSystem = defaultSystem;
        this.defaultStop = java.util.List.copyOf(defaultStop);
    }

    @Override
    public void open(OpenContext context) {
        parser = new PromptParser(limits);
    }

    @Override
    public void processElement(Row row, Context ctx, Collector<PromptRequest> out) {
        // dead letters name the source table and the row's position in this subtask's input (no Kafka offsets here)
        ObjectNode json = json(row);
        if (defaultSystem != null && !json.has("system")) json.put("system", defaultSystem);
        if (!defaultStop.isEmpty() && !json.has("stop")) putArray(json.putArray("stop"), defaultStop);
        Parsed parsed = parser.parse(RecordJson.toBytes(json), sourceName, -1, rowNumber++, System.currentTimeMillis());
        if (parsed instanceof Parsed.Ok ok) out.collect(ok.request());
        else if (parsed instanceof Parsed.Rejected rejected) ctx.output(DEAD_LETTERS, rejected.deadLetter());
    }

    /** The row's prompt fields as a JSON object; nulls are left out (absent = default). */
    static ObjectNode json(Row row) {
        ObjectNode o = RecordJson.mapper().createObjectNode();
        Set<String> names = row.getFieldNames(true);
        if (names == null) throw new IllegalStateException("rows of the prompts table must carry column names");
        for (String name : names) {
            if (!FIELDS.contains(name)) continue;
            Object v = row.getField(name);
            if (v == null) continue;
            if (v instanceof Object[] array) putArray(o.putArray(name), java.util.Arrays.asList(array));
            else if (v instanceof Collection<?> list) putArray(o.putArray(name), list);
            else o.set(name, RecordJson.mapper().valueToTree(v));
        }
        return o;
    }

    private static void putArray(ArrayNode a, Collection<?> values) {
        for (Object v : values) a.add(RecordJson.mapper().valueToTree(v));
    }
}
