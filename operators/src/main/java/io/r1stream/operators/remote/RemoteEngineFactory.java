package io.r1stream.operators.remote;

import io.r1stream.engine.model.ModelConfig;
import io.r1stream.engine.tokenizer.DeepSeekR1ChatTemplate;
import io.r1stream.engine.tokenizer.ChatMessage;
import io.r1stream.engine.tokenizer.TextTokenizer;
import io.r1stream.operators.EngineFactory;
import io.r1stream.operators.PromptCodec;
import io.r1stream.remote.RemoteChatClient;
import io.r1stream.remote.RemoteOptions;

import java.nio.file.Path;
import java.util.List;

/**
 * {@code --backend openai}: each subtask opens its own {@link RemoteChatClient} (so the per-endpoint in-flight
 * bound is per subtask). The model directory is needed only for its {@code tokenizer.json} and
 * {@code config.json} (message limits, context checks): no weights are loaded.
 */
public final class RemoteEngineFactory implements EngineFactory {
    private static final long serialVersionUID = 1L;

    private final RemoteOptions options;
    private final String modelDir; // tokenizer.json + config.json of the served model

    public RemoteEngineFactory(RemoteOptions options, String modelDir) {
        this.options = options;
        this.modelDir = modelDir;
    }

    public RemoteOptions options() { return options; }

    @Override
    public Session open() {
        Path dir = Path.of(modelDir);
        TextTokenizer tokenizer = TextTokenizer.load(dir);
        int context = ModelConfig.read(dir).maxPositionEmbeddings();
        RemoteBackend backend = new RemoteBackend(new RemoteChatClient(options));
        PromptCodec codec = new TokenizerCodec(tokenizer, context);
        return new Session() {
            @Override public io.r1stream.engine.InferenceEngine engine() { return backend; }
            @Override public PromptCodec codec() { return codec; }
            @Override public io.r1stream.operators.ChatBackend chat() { return backend; }
            @Override public void close() {
                backend.close();
                tokenizer.close();
            }
        };
    }

    /** The R1 template over the tokenizer alone: what the operator needs to check lengths against the context. */
    private record TokenizerCodec(TextTokenizer tokenizer, int contextLength) implements PromptCodec {
        private static final DeepSeekR1ChatTemplate TEMPLATE = new DeepSeekR1ChatTemplate();

        @Override public int[] render(String system, List<ChatMessage> turns) { return TEMPLATE.renderIds(tokenizer, system, turns, true); }
        @Override public int[] tokenize(String text) { return tokenizer.encodePlain(text); }
    }
}
