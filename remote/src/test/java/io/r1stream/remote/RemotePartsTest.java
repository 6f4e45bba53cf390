package io.r1stream.remote;

import io.r1stream.engine.sample.SamplingParams;
import io.r1stream.engine.tokenizer.ChatMessage;
import org.junit.jupiter.api.Test;

import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

/** The remote backend's small parts, one class at a time (no network). */
class RemotePartsTest {

    @Test
    void theBreakerOpensAfterConsecutiveFailuresAndLetsOneProbeThrough() {
        CircuitBreaker b = new CircuitBreaker(2, 1_000);
        assertThat(b.tryAcquire(0)).isTrue();
        b.onFailure(0);
        b.onSuccess(); // a success resets the count
        b.onFailure(10);
        assertThat(b.state(10)).isEqualTo(CircuitBreaker.State.CLOSED);
        b.onFailure(20);
        assertThat(b.state(20)).isEqualTo(CircuitBreaker.State.OPEN);
        assertThat(b.tryAcquire(500)).isFalse();
        assertThat(b.tryAcquire(1_020)).isTrue();  // the probe
        assertThat(b.tryAcquire(1_021)).isFalse(); // only one
        b.onFailure(1_030);                       // the probe failed: open again
        assertThat(b.tryAcquire(1_500)).isFalse();
        assertThat(b.tryAcquire(2_100)).isTrue();
        b.onSuccess();
        assertThat(b.state(2_100)).isEqualTo(CircuitBreaker.State.CLOSED);
        assertThat(b.tryAcquire(2_101)).isTrue();
    }

    @Test
    void theRingSpreadsKeysAndMovesOnlyTheUnhealthyReplicasKeys() {
        Map<String, String> eps = new LinkedHashMap<>();
        for (String e : List.of("a", "b", "c")) eps.put(e, e);
        EndpointRing<String> ring = new EndpointRing<>(eps);
        Map<String, Integer> load = new HashMap<>();
        int moved = 0;
        for (int i = 0; i < 3_000; i++) {
            List<String> order = ring.order("conv-" + i);
            assertThat(order).containsExactlyInAnyOrder("a", "b", "c");
            assertThat(ring.order("conv-" + i)).isEqualTo(order); // stable
            load.merge(order.get(0), 1, Integer::sum);
            if (order.get(0).equals("b")) moved++; // with b down these go to order.get(1); every other key stays
        }
        assertThat(load.values()).allSatisfy(n -> assertThat(n).isBetween(700, 1300));
        assertThat(moved).isEqualTo(load.get("b"));
    }

    @Test
    void backoffGrowsWithJitterAndRetryAfterWinsCapped() {
        Backoff b = new Backoff(100, 1_000);
        for (int i = 0; i < 50; i++) {
            assertThat(b.delayMs(1, -1)).isBetween(50L, 100L);
            assertThat(b.delayMs(3, -1)).isBetween(200L, 400L);
            assertThat(b.delayMs(10, -1)).isBetween(500L, 1_000L);
        }
        assertThat(b.delayMs(1, 700)).isEqualTo(700);
        assertThat(b.delayMs(1, 60_000)).isEqualTo(1_000);
        assertThat(Backoff.parseRetryAfter("2")).isEqualTo(2_000);
        assertThat(Backoff.parseRetryAfter("Wed, 21 Oct 2015 07:28:00 GMT")).isEqualTo(-1);
        assertThat(Backoff.parseRetryAfter(null)).isEqualTo(-1);
    }

    @Test
    void reasoningComesFromEitherFieldOrFromThinkTagsInContent() {
        StreamAssembler vllmOld = new StreamAssembler();
        vllmOld.accept("{\"choices\":[{\"delta\":{\"role\":\"assistant\",\"content\":\"\"}}]}");
        vllmOld.accept("{\"choices\":[{\"delta\":{\"reasoning_content\":\"let me\"}}]}");
        vllmOld.accept("{\"choices\":[{\"delta\":{\"content\":\"42\"},\"finish_reason\":\"stop\"}]}");
        vllmOld.accept("{\"choices\":[],\"usage\":{\"prompt_tokens\":9,\"completion_tokens\":3,\"prompt_tokens_details\":{\"cached_tokens\":8}}}");
        vllmOld.accept("[DONE]");
        assertThat(vllmOld.split(true).reasoning()).isEqualTo("let me");
        assertThat(vllmOld.split(true).content()).isEqualTo("42");
        assertThat(vllmOld.cachedTokens()).isEqualTo(8);
        assertThat(vllmOld.finished()).isTrue();

        StreamAssembler vllmNew = new StreamAssembler(); // vLLM since #27752 (Nov 2025) calls the field "reasoning"
        vllmNew.accept("{\"choices\":[{\"delta\":{\"reasoning\":\"hm\"}}]}");
        vllmNew.accept("{\"choices\":[{\"delta\":{\"content\":\"ok\"},\"finish_reason\":\"length\"}]}");
        assertThat(vllmNew.split(true).reasoning()).isEqualTo("hm");
        assertThat(vllmNew.finishReason()).isEqualTo("length");

        StreamAssembler raw = new StreamAssembler(); // no reasoning parser on the server
        raw.accept("{\"choices\":[{\"delta\":{\"content\":\"thinking\\n</th\"}}]}");
        raw.accept("{\"choices\":[{\"delta\":{\"content\":\"ink>\\n\\nanswer\"},\"finish_reason\":\"stop\"}]}");
        assertThat(raw.split(true).reasoning()).isEqualTo("thinking\n");
        assertThat(raw.split(true).content()).isEqualTo("\n\nanswer");

        StreamAssembler deepseek = new StreamAssembler(); // the DeepSeek API's cache figure
        deepseek.accept("{\"choices\":[],\"usage\":{\"prompt_tokens\":100,\"completion_tokens\":5,\"prompt_cache_hit_tokens\":64,\"prompt_cache_miss_tokens\":36}}");
        assertThat(deepseek.cachedTokens()).isEqualTo(64);

        StreamAssembler err = new StreamAssembler();
        err.accept("{\"error\":{\"message\":\"engine failed\",\"type\":\"server_error\"}}");
        assertThat(err.streamError()).isEqualTo("engine failed");
        assertThatThrownBy(() -> new StreamAssembler().accept("not json")).hasMessageContaining("not JSON");
    }

    @Test
    void theRequestBodyDropsEarlierReasoningAndCarriesSeedAndUsage() throws Exception {
        try (RemoteChatClient c = new RemoteChatClient(RemoteOptions.defaults(List.of("http://127.0.0.1:9/v1"), "deepseek-reasoner"), null)) {
            String body = c.body(RemoteRequest.chat("c", "r", List.of(new ChatMessage(ChatMessage.Role.SYSTEM, "be brief"),
                    ChatMessage.user("q1"), ChatMessage.assistant("secret thoughts</think>\n\nA1"), ChatMessage.user("q2")),
                    new SamplingParams(0.6, 0, 0.95, 7L, 64, List.of("END"))));
            assertThat(body).contains("\"model\":\"deepseek-reasoner\"", "\"role\":\"system\"", "\"content\":\"\\n\\nA1\"", "\"seed\":7",
                    "\"max_tokens\":64", "\"stop\":[\"END\"]", "\"stream\":true", "\"include_usage\":true").doesNotContain("secret", "top_k");
            assertThat(c.body(RemoteRequest.completion(null, "r2", "def f():", SamplingParams.greedy(8)))).contains("\"prompt\":\"def f():\"");
        }
    }

    @Test
    void badOptionsSayWhatToFix() {
        assertThatThrownBy(() -> RemoteOptions.defaults(List.of(), "m")).hasMessageContaining("--endpoint");
        assertThatThrownBy(() -> RemoteOptions.defaults(List.of("localhost:8000"), "m")).hasMessageContaining("http(s) base URL");
        assertThatThrownBy(() -> RemoteOptions.defaults(List.of("http://a/v1"), " ")).hasMessageContaining("--endpoint-model");
        assertThatThrownBy(() -> new RemoteChatClient(RemoteOptions.defaults(List.of("http://a/v1"), "m").withApiKeyEnv("R1STREAM_SURELY_UNSET_VAR")))
                .hasMessageContaining("R1STREAM_SURELY_UNSET_VAR");
    }
}
