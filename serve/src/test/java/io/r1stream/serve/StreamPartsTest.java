package io.r1stream.serve;

import org.junit.jupiter.api.Test;

import java.util.ArrayList;
import java.util.List;

import static org.assertj.core.api.Assertions.assertThat;

/** The small parts of serve, one class at a time. */
class StreamPartsTest {

    /** Regression: "EN" + "D" with stop "END" streamed "EN" before the engine saw the stop. */
    @Test
    void stopPrefixesAreHeldBackUntilDecided() {
        StopTextHoldBack h = new StopTextHoldBack(List.of("END"));
        StringBuilder out = new StringBuilder();
        out.append(h.accept("abc E"));
        assertThat(out.toString()).isEqualTo("abc ");
        out.append(h.accept("N"));
        assertThat(out.toString()).isEqualTo("abc ");
        out.append(h.finish("abc ")); // the engine cut at the stop
        assertThat(out.toString()).isEqualTo("abc ");

        StopTextHoldBack g = new StopTextHoldBack(List.of("END"));
        assertThat(g.accept("xE")).isEqualTo("x");
        assertThat(g.accept("x")).isEqualTo("Ex"); // not a stop after all
        assertThat(g.finish("xExyz")).isEqualTo("yz");
    }

    @Test
    void theRouterHandsTheLongestSharedPrefixToOneRequestAtATime() {
        List<String> dropped = new ArrayList<>();
        PrefixRouter r = new PrefixRouter(2, dropped::add);
        int[] sys = {1, 2, 3, 4, 5, 6, 7, 8, 9, 10};
        PrefixRouter.Lease a = r.acquire(sys);
        assertThat(a.sharedTokens()).isZero();
        PrefixRouter.Lease b = r.acquire(sys); // a is busy: a new entry
        assertThat(b.conversationId()).isNotEqualTo(a.conversationId());
        r.release(a, new int[]{1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12});
        PrefixRouter.Lease c = r.acquire(new int[]{1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 99});
        assertThat(c.conversationId()).isEqualTo(a.conversationId());
        assertThat(c.sharedTokens()).isEqualTo(11);
        PrefixRouter.Lease d = r.acquire(new int[]{1, 2, 3, 50}); // shares too little: new
        assertThat(d.sharedTokens()).isZero();
        r.release(b, sys);
        r.release(c, sys);
        r.release(d, new int[]{1});
        assertThat(r.entries()).isEqualTo(2);
        assertThat(dropped).containsExactly(b.conversationId()); // idle beyond the bound (busy ones stay): KV dropped
    }

    @Test
    void theApiKeyCheckAcceptsOnlyTheExactBearerToken() {
        ApiKeyCheck k = new ApiKeyCheck("abc");
        assertThat(k.accepts("Bearer abc")).isTrue();
        assertThat(k.accepts("bearer abc")).isTrue();
        assertThat(k.accepts("Bearer ab")).isFalse();
        assertThat(k.accepts("Bearer abcd")).isFalse();
        assertThat(k.accepts(null)).isFalse();
        assertThat(new ApiKeyCheck(null).accepts(null)).isTrue();
    }

    @Test
    void wholeAnswersSplitLikeStreams() {
        assertThat(GenerationCall.wholeSplit("think</think>answer").content()).isEqualTo("answer");
        assertThat(GenerationCall.wholeSplit("<think>a</think>b").reasoning()).isEqualTo("a");
        assertThat(GenerationCall.wholeSplit("still thinking").content()).isEmpty();
    }
}
