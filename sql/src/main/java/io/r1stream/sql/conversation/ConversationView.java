package io.r1stream.sql.conversation;

import io.r1stream.connectors.prompt.PromptLimits;
import io.r1stream.connectors.records.ChatResult;
import io.r1stream.connectors.records.PromptRequest;
import io.r1stream.engine.EngineOptions;
import io.r1stream.operators.ConversationOperator;
import io.r1stream.operators.ConversationOptions;
import io.r1stream.operators.KvStateTier;
import io.r1stream.operators.SharedEngineFactory;
import io.r1stream.sql.predict.ModelOptions;
import io.r1stream.sql.predict.R1streamModelProviderFactory;

import org.apache.flink.api.common.typeinfo.Types;
import org.apache.flink.configuration.Configuration;
import org.apache.flink.streaming.api.datastream.DataStream;
import org.apache.flink.streaming.api.datastream.SingleOutputStreamOperator;
import org.apache.flink.table.api.Table;
import org.apache.flink.table.api.ValidationException;
import org.apache.flink.table.api.bridge.java.StreamTableEnvironment;
import org.apache.flink.table.api.internal.TableEnvironmentInternal;
import org.apache.flink.table.catalog.CatalogManager;
import org.apache.flink.table.catalog.ObjectIdentifier;
import org.apache.flink.table.catalog.UnresolvedIdentifier;
import org.apache.flink.types.Row;
import org.apache.flink.util.TimeUtils;

import java.time.Duration;
import java.util.Locale;
import java.util.Map;
import java.util.Set;

/**
 * Multi-turn conversations from SQL: a table of prompt rows becomes a view of answers computed by the same keyed
 * {@link ConversationOperator} the Kafka chat job runs (history and turn order in keyed state, KV reuse between
 * turns, restore re-submission, dead letters), through the Table-API-to-DataStream bridge:
 * {@code toDataStream(prompts) -> parse -> keyBy(conversation_id) -> ConversationOperator -> fromDataStream}.
 *
 * <pre>{@code
 * Table answers = ConversationView.answers(tEnv, "prompts", "r1", Map.of("max-in-flight", "32"));
 * tEnv.createTemporaryView("answers", answers);
 * }</pre>
 *
 * From a statement file run by {@code r1stream sql}, the same is one statement (see {@code SqlScript}):
 * {@code CREATE TEMPORARY CONVERSATION VIEW answers FROM prompts WITH ('model' = 'r1');}
 *
 * <p>Why a bridge and not a process table function over {@code PARTITION BY conversation_id}: PTFs are synchronous,
 * so a subtask would hold one conversation's whole generation on the task thread (no batching across
 * conversations, checkpoint barriers stuck behind it), and they would need their own copy of the operator's
 * state handling. The bridge runs the real operator unchanged; the price is that it is a Java call (or the
 * runner's statement), not plain Flink SQL that Flink's own SQL client understands.
 *
 * <p>The prompts table must be insert-only (e.g. a Kafka table); its columns are named like the prompts record's
 * fields (see {@link RowsToPrompts}). The engine and the generation defaults come from the named model
 * ({@code CREATE MODEL ... WITH ('provider' = 'r1stream', ...)}), so one declaration serves ML_PREDICT and
 * conversations, and both share the TaskManager's engine when their engine options are equal.
 */
public final class ConversationView {
    /** View options (the {@code WITH} of the statement). */
    public static final String MODEL = "model";
    public static final String MAX_IN_FLIGHT = "max-in-flight";
    public static final String MAX_MESSAGE_TOKENS = "max-message-tokens";
    public static final String IDLE_TTL = "idle-ttl";
    public static final String KV_STATE_TIER = "kv-state-tier";
    static final Set<String> OPTIONS = Set.of(MODEL, MAX_IN_FLIGHT, MAX_MESSAGE_TOKENS, IDLE_TTL, KV_STATE_TIER);

    private ConversationView() {}

    /**
     * @param modelName a model declared with {@code 'provider' = 'r1stream'}
     * @param options   view options: {@value #MAX_IN_FLIGHT} (64 turns per subtask), {@value #MAX_MESSAGE_TOKENS} (4096),
     *                  {@value #IDLE_TTL} (1h), {@value #KV_STATE_TIER} (off); {@value #MODEL} is ignored here
     */
    public static Table answers(StreamTableEnvironment tEnv, String promptsTable, String modelName, Map<String, String> options) {
        Table prompts = tEnv.from(promptsTable);
        for (String k : options.keySet()) {
            if (!OPTIONS.contains(k)) throw new ValidationException("conversation view option '" + k + "' is unknown; known: " + OPTIONS);
        }
        Map<String, String> model = modelOptions(tEnv, modelName);
        Configuration modelConfig = Configuration.fromMap(model);
        EngineOptions engine = ModelOptions.engineOptions(modelConfig);
        ConversationOptions conv = conversationOptions(options, promptsTable);
        ModelOptions.Generation generation = ModelOptions.generation(modelConfig);
        PromptLimits limits = promptLimits(generation);

        DataStream<Row> rows = tEnv.toDataStream(prompts);
        SingleOutputStreamOperator<PromptRequest> parsed = rows
                .process(new RowsToPrompts(limits, promptsTable, generation.systemPrompt(), generation.stop()), org.apache.flink.api.common.typeinfo.TypeInformation.of(PromptRequest.class))
                .name("sql-rows-to-prompts");
        SingleOutputStreamOperator<ChatResult> results = ConversationOperator.applyTo(
                parsed.keyBy(PromptRequest::conversationId, Types.STRING), new SharedEngineFactory(engine), conv);
        results.name("conversations");
        DataStream<Row> answers = results.map(AnswerRows::answer, AnswerRows.TYPE).name("answers")
                .union(parsed.getSideOutput(RowsToPrompts.DEAD_LETTERS).map(AnswerRows::refused, AnswerRows.TYPE).name("refused-rows"),
                        results.getSideOutput(ConversationOperator.DEAD_LETTERS).map(AnswerRows::refused, AnswerRows.TYPE).name("refused-turns"));
        return tEnv.fromDataStream(answers);
    }

    /** The options of a model in the catalog, checked to be an r1stream model. */
    static Map<String, String> modelOptions(StreamTableEnvironment tEnv, String modelName) {
        // TableEnvironment offers no public read of a model's options; the catalog manager has them
        CatalogManager catalogs = ((TableEnvironmentInternal) tEnv).getCatalogManager();
        ObjectIdentifier id = catalogs.qualifyIdentifier(UnresolvedIdentifier.of(modelName.split("\\.")));
        Map<String, String> options = catalogs.getModel(id)
                .orElseThrow(() -> new ValidationException("conversation view: model '" + modelName + "' does not exist; declare it first "
                        + "with CREATE [TEMPORARY] MODEL " + modelName + " ... WITH ('provider' = 'r1stream', 'model-dir' = ...)"))
                .getResolvedModel().getOptions();
        if (!R1streamModelProviderFactory.IDENTIFIER.equals(options.get("provider"))) {
            throw new ValidationException("conversation view: model '" + modelName + "' has 'provider' = '" + options.get("provider")
                    + "'; conversations run on r1stream's engine: use a model with 'provider' = 'r1stream'");
        }
        return options;
    }

    static ConversationOptions conversationOptions(Map<String, String> o, String source) {
        ConversationOptions c = ConversationOptions.defaults().withPromptsTopic(source);
        try {
            if (o.containsKey(MAX_IN_FLIGHT)) c = c.withMaxInFlight(Integer.parseInt(o.get(MAX_IN_FLIGHT).trim()));
            if (o.containsKey(MAX_MESSAGE_TOKENS)) c = c.withMaxMessageTokens(Integer.parseInt(o.get(MAX_MESSAGE_TOKENS).trim()));
            if (o.containsKey(IDLE_TTL)) c = c.withIdleTtl(TimeUtils.parseDuration(o.get(IDLE_TTL).trim()));
            if (o.containsKey(KV_STATE_TIER)) c = c.withKvTier(KvStateTier.parse(o.get(KV_STATE_TIER).trim().toLowerCase(Locale.ROOT)));
        } catch (IllegalArgumentException e) {
            throw new ValidationException("conversation view options " + o + ": " + e.getMessage(), e);
        }
        return c;
    }

    /** The Kafka job's prompt checks, with the model's generation options as defaults for absent fields. */
    static PromptLimits promptLimits(ModelOptions.Generation g) {
        PromptLimits l = PromptLimits.defaults();
        if (g.maxTokens() > l.maxTokensLimit()) l = l.withMaxTokensLimit(g.maxTokens());
        l = l.withDefaultMaxTokens(g.maxTokens());
        if (g.temperature() != null) l = l.withDefaultTemperature(g.temperature());
        if (g.topP() != null) l = l.withDefaultTopP(g.topP());
        if (g.topK() != null) l = l.withDefaultTopK(g.topK());
        return l;
    }

}
