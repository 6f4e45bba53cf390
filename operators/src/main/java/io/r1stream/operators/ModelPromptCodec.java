package io.r1stream.operators;

import io.r1stream.engine.LoadedModel;
import io.r1stream.engine.tokenizer.ChatMessage;

import java.util.List;

/** {@link PromptCodec} backed by a loaded model: its tokenizer and the DeepSeek-R1 chat template. */
public final class ModelPromptCodec implements PromptCodec {
    private final LoadedModel model;

    public ModelPromptCodec(LoadedModel model) { this.model = model; }

    @Override
    public int[] render(String system, List<ChatMessage> turns) { return model.chatPrompt(system, turns); }

    @Override
    public int[] tokenize(String text) { return model.tokenizer().encodePlain(text); }

    @Override
    public int[] tokenizeRaw(String text) { return model.tokenizer().encode(text); }

    @Override
    public int contextLength() { return model.config().maxPositionEmbeddings(); }
}
