package io.r1stream.engine.model.djl;

import io.r1stream.engine.GenerationResult;
import io.r1stream.engine.KvSource;
import io.r1stream.engine.RequestTiming;
import io.r1stream.engine.TokenListener;
import io.r1stream.engine.sample.FinishReason;
import io.r1stream.engine.sample.Sampler;
import io.r1stream.engine.sample.SamplingParams;
import io.r1stream.engine.sample.StopCondition;
import io.r1stream.engine.tokenizer.StreamingDetokenizer;
import io.r1stream.engine.tokenizer.TextTokenizer;

import java.util.Arrays;
import java.util.Set;

/**
 * One request generated on DJL's PyTorch engine (the GPU path of {@code generate}): prefill, then one token
 * per step with the same sampler and stop rules as the CPU engine. Single sequence; batching and KV reuse
 * are the CPU engine's.
 */
public final class DjlGeneration {
    private DjlGeneration() {}

    public static GenerationResult run(DjlTransformer model, TextTokenizer tokenizer, Set<Integer> eosIds, String requestId,
                                       int[] prompt, SamplingParams sampling, TokenListener listener) {
        long t0 = System.nanoTime();
        Sampler sampler = new Sampler(sampling);
        StopCondition stop = new StopCondition(eosIds, sampling.stop(), sampling.maxTokens());
        StreamingDetokenizer detok = tokenizer.newStreamingDetokenizer(true);
        StringBuilder text = new StringBuilder();
        int[] out = new int[sampling.maxTokens()];
        int n = 0;
        long firstToken = 0, lastToken = 0;
        FinishReason reason = FinishReason.LENGTH;
        try (DjlSession session = model.newSession()) {
            float[] logits = session.forward(prompt);
            while (true) {
                int token = sampler.next(logits);
                lastToken = System.nanoTime();
                if (firstToken == 0) firstToken = lastToken;
                if (stop.isEos(token)) { reason = FinishReason.STOP; break; }
                out[n++] = token;
                String delta = detok.accept(token);
                int before = text.length();
                text.append(delta);
                int at = stop.stopIndex(text.toString(), before - stop.holdBack());
                if (at >= 0) { text.setLength(at); reason = FinishReason.STOP; break; }
                listener.onToken(token, delta);
                if (stop.reachedLength(n) || session.length() + 1 >= model.config().maxPositionEmbeddings()) break;
                logits = session.forward(new int[]{token});
            }
        }
        long end = System.nanoTime();
        double itl = n > 1 ? (lastToken - firstToken) / 1e6 / (n - 1) : 0;
        return new GenerationResult(requestId, Arrays.copyOf(out, n), text.toString(), reason, prompt.length, 0, KvSource.NONE,
                new RequestTiming(0, (firstToken - t0) / 1e6, itl, (end - t0) / 1e6), null);
    }
}
