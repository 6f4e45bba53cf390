package io.r1stream.sql.predict;

import io.r1stream.connectors.prompt.PromptParser;
import io.r1stream.engine.GenerationRequest;
import io.r1stream.engine.GenerationResult;
import io.r1stream.engine.InferenceEngine;
import io.r1stream.engine.LoadedModel;
import io.r1stream.engine.sample.FinishReason;
import io.r1stream.engine.sample.ReasoningSplit;
import io.r1stream.engine.sample.ReasoningSplitter;
import io.r1stream.engine.sample.SamplingParams;
import io.r1stream.engine.tokenizer.ChatMessage;
import io.r1stream.sql.predict.OutputColumns.Kind;

import org.apache.flink.table.data.RowData;

import java.util.EnumMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.atomic.AtomicLong;

/**
 * One ML_PREDICT row -> one engine request -> one output row. Rows are submitted without waiting, so every row
 * the async operator has in flight (of every subtask in the TaskManager) runs in the same engine batch.
 * A row that cannot be answered is handled per {@link ErrorPolicy}.
 */
final class RowPredictor {
    private final InferenceEngine engine;
    private final LoadedModel model;
    private final InputColumns input;
    private final OutputColumns output;
    private final ModelOptions.Generation generation;
    private final String requestPrefix;
    private final AtomicLong rows = new AtomicLong();

    RowPredictor(InferenceEngine engine, LoadedModel model, InputColumns input, OutputColumns output,
                 ModelOptions.Generation generation, String requestPrefix) {
        this.engine = engine;
        this.model = model;
        this.input = input;
        this.output = output;
        this.generation = generation;
        this.requestPrefix = requestPrefix;
    }

    CompletableFuture<RowData> predict(RowData row) {
        GenerationRequest request;
        try {
            request = request(row);
        } catch (BadRowException e) {
            return CompletableFuture.completedFuture(null).thenApply(x -> failed(e.getMessage()));
        }
        return engine.submit(request).result().thenApply(r -> r.finishReason() == FinishReason.ERROR
                ? failed("the engine failed the row: " + r.error()) : answered(r));
    }

    private GenerationRequest request(RowData row) {
        String prompt = input.prompt(row);
        if (prompt == null || prompt.isBlank()) {
            throw new BadRowException("the row's prompt is " + (prompt == null ? "null" : "blank") + ": give every row a prompt");
        }
        String system = input.system(row) != null ? input.system(row) : generation.systemPrompt();
        Integer rowMax = input.maxTokens(row);
        int maxTokens = rowMax != null ? rowMax : generation.maxTokens();
        Double rowTemperature = input.temperature(row);
        Long rowSeed = input.seed(row);
        long seed = rowSeed != null ? rowSeed : generation.seed() != null ? generation.seed() : PromptParser.defaultSeed(prompt);
        SamplingParams sampling;
        try {
            sampling = model.sampling(rowTemperature != null ? rowTemperature : generation.temperature(), generation.topP(),
                    generation.topK(), seed, maxTokens, generation.stop());
        } catch (IllegalArgumentException e) {
            throw new BadRowException("the row's generation parameters are invalid: " + e.getMessage());
        }
        int[] tokens = model.chatPrompt(system, List.of(ChatMessage.user(prompt)));
        int context = model.config().maxPositionEmbeddings();
        if (tokens.length + maxTokens > context) {
            throw new BadRowException("the row's prompt has " + tokens.length + " tokens; with max_tokens " + maxTokens
                    + " it exceeds the model's context of " + context + " positions: shorten the prompt or lower max_tokens");
        }
        return new GenerationRequest(requestPrefix + rows.incrementAndGet(), null, tokens, sampling);
    }

    private RowData answered(GenerationResult r) {
        ReasoningSplit split = ReasoningSplitter.split(r.text()).withoutSurroundingNewlines();
        Map<Kind, Object> v = new EnumMap<>(Kind.class);
        v.put(Kind.CONTENT, split.content());
        v.put(Kind.REASONING_CONTENT, split.reasoning().isEmpty() ? null : split.reasoning());
        v.put(Kind.FINISH_REASON, r.finishReason().wireName());
        v.put(Kind.PROMPT_TOKENS, r.promptTokens());
        v.put(Kind.COMPLETION_TOKENS, r.completionTokens());
        v.put(Kind.TTFT_MS, r.timing().ttftMs());
        v.put(Kind.LATENCY_MS, r.timing().e2eMs());
        return output.row(v);
    }

    private RowData failed(String reason) {
        if (generation.errorPolicy() == ErrorPolicy.FAIL) {
            throw new BadRowException("ML_PREDICT with model provider 'r1stream' failed on a row ('error-policy' = 'fail'; "
                    + "use 'error-column' to answer such rows with the reason instead): " + reason);
        }
        Map<Kind, Object> v = new EnumMap<>(Kind.class);
        v.put(Kind.FINISH_REASON, "error");
        v.put(Kind.ERROR, reason);
        return output.row(v);
    }

    /** A row r1stream cannot answer; the message says what is wrong with it. */
    static final class BadRowException extends IllegalArgumentException {
        BadRowException(String message) { super(message); }
    }
}
