package io.r1stream.operators;

import io.r1stream.engine.tokenizer.ChatMessage;

import java.util.ArrayList;
import java.util.List;

/** One token per word; a turn renders as a role marker token followed by its words. Context: 64 tokens. */
final class FakeCodec implements PromptCodec {
    static final int CONTEXT = 64;

    @Override
    public int[] render(String system, List<ChatMessage> turns) {
        List<Integer> ids = new ArrayList<>();
        ids.add(0);
        if (system != null) for (int t : tokenize(system)) ids.add(t);
        for (ChatMessage m : turns) {
            ids.add(m.role() == ChatMessage.Role.USER ? 1 : 2);
            for (int t : tokenize(m.content())) ids.add(t);
        }
        ids.add(2);
        return ids.stream().mapToInt(Integer::intValue).toArray();
    }

    @Override
    public int[] tokenize(String text) {
        String t = text.trim();
        if (t.isEmpty()) return new int[0];
        String[] words = t.split("\\s+");
        int[] ids = new int[words.length];
        for (int i = 0; i < words.length; i++) ids[i] = 10 + Math.floorMod(words[i].hashCode(), 1000);
        return ids;
    }

    @Override
    public int contextLength() { return CONTEXT; }
}
