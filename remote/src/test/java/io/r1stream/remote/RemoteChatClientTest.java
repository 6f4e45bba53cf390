package io.r1stream.remote;

import io.r1stream.engine.EngineOptions;
import io.r1stream.engine.Engines;
import io.r1stream.engine.sample.SamplingParams;
import io.r1stream.engine.tokenizer.ChatMessage;
import io.r1stream.serve.OpenAiServer;
import io.r1stream.serve.TestServers;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.nio.file.Path;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * The remote backend against real {@code serve} replicas (separate engines, real sockets) and a
 * fault-injecting proxy: affinity with warm caches, a replica killed mid-run, 429/500/stalls/cut streams,
 * the circuit breaker, the in-flight bound, and requests that cannot be served ending as errors.
 */
class RemoteChatClientTest {
    @TempDir static Path tmp;
    static Engines.EngineHandle engineA;
    static Engines.EngineHandle engineB;
    static OpenAiServer a; // long-lived replicas (tests that kill one start their own)
    static OpenAiServer b;

    @BeforeAll
    static void start() {
        Path model = TestServers.tinyModel(tmp);
        EngineOptions oa = TestServers.engineOptions(model, 8, 0);
        EngineOptions ob = TestServers.engineOptions(model, 8, 1);
        engineA = Engines.acquire(oa);
        engineB = Engines.acquire(ob);
        a = replica(engineA);
        b = replica(engineB);
    }

    static OpenAiServer replica(Engines.EngineHandle e) {
        OpenAiServer s = OpenAiServer.start(TestServers.loopback("tiny"));
        s.ready(e.model(), e.engine(), 8);
        return s;
    }

    @AfterAll
    static void stop() {
        if (a != null) a.close();
        if (b != null) b.close();
        if (engineA != null) engineA.close();
        if (engineB != null) engineB.close();
    }

    static RemoteOptions options(String... endpoints) {
        return RemoteOptions.defaults(List.of(endpoints), "tiny").withRetries(4, 20, 2_000).withTimeouts(1_000, 5_000, 5_000, 30_000);
    }

    static SamplingParams sampling(long seed) {
        return new SamplingParams(1.0, 0, 1.0, seed, 24, List.of());
    }

    static RemoteRequest turn(String conv, int n, List<ChatMessage> history) {
        List<ChatMessage> msgs = new ArrayList<>(history);
        msgs.add(ChatMessage.user("turn " + n + " of " + conv));
        return RemoteRequest.chat(conv, conv + "-" + n, msgs, sampling(n));
    }

    @Test
    void conversationsStayOnTheirReplicaWhoseCacheServesTheirHistory() {
        try (RemoteChatClient c = new RemoteChatClient(options(a.baseUri().toString(), b.baseUri().toString()), null)) {
            Map<String, Set<String>> endpointsOf = new HashMap<>();
            Map<String, List<ChatMessage>> history = new HashMap<>();
            List<String> convs = List.of("c1", "c2", "c3", "c4", "c5", "c6", "c7", "c8");
            for (int t = 1; t <= 3; t++) {
                Map<String, CompletableFuture<RemoteResult>> fs = new HashMap<>();
                for (String conv : convs) fs.put(conv, c.submit(turn(conv, t, history.getOrDefault(conv, List.of()))));
                for (String conv : convs) {
                    RemoteResult r = fs.get(conv).join();
                    assertThat(r.error()).isNull();
                    // a retry (rare on this loaded machine) goes back to the same replica: affinity holds either way
                    assertThat(r.attempts()).isBetween(1, 2);
                    assertThat(r.completionTokens()).isPositive();
                    assertThat(r.ttftMs()).isGreaterThan(0).isLessThanOrEqualTo(r.e2eMs());
                    endpointsOf.computeIfAbsent(conv, k -> new HashSet<>()).add(r.endpoint());
                    if (t > 1) assertThat(r.cachedTokens()).as("turn %d of %s reuses its replica's cache", t, conv).isGreaterThan(0);
                    List<ChatMessage> h = new ArrayList<>(history.getOrDefault(conv, List.of()));
                    h.add(ChatMessage.user("turn " + t + " of " + conv));
                    h.add(ChatMessage.assistant(r.fullText()));
                    history.put(conv, h);
                }
            }
            endpointsOf.values().forEach(set -> assertThat(set).hasSize(1));
            Set<String> used = new HashSet<>();
            endpointsOf.values().forEach(used::addAll);
            assertThat(used).hasSize(2); // both replicas serve some conversations
        }
    }

    @Test
    void aKilledReplicasConversationsMoveAndEveryTurnIsAnsweredOnce() {
        OpenAiServer doomed = replica(engineA);
        OpenAiServer survivor = replica(engineB);
        String doomedUrl = doomed.baseUri().toString();
        String survivorUrl = survivor.baseUri().toString();
        // queued requests get no bytes while they wait for a batch slot: the idle limit must cover the queue
        try (RemoteChatClient c = new RemoteChatClient(options(doomedUrl, survivorUrl).withTimeouts(1_000, 20_000, 20_000, 60_000), null)) {
            List<String> convs = new ArrayList<>();
            for (int i = 0; i < 12; i++) convs.add("k" + i);
            Map<String, String> home = new HashMap<>();
            for (String conv : convs) home.put(conv, c.submit(turn(conv, 1, List.of())).join().endpoint());
            assertThat(home.values()).contains(doomedUrl, survivorUrl);
            List<CompletableFuture<RemoteResult>> second = new ArrayList<>();
            for (String conv : convs) {
                second.add(c.submit(RemoteRequest.chat(conv, conv + "-2", List.of(ChatMessage.user("long one " + conv)),
                        new SamplingParams(1.0, 0, 1.0, 5L, 200, List.of()))));
            }
            doomed.close(); // mid-run: some of its streams are cut, later ones are refused
            Set<String> answered = new HashSet<>();
            for (int i = 0; i < convs.size(); i++) {
                RemoteResult r = second.get(i).join();
                assertThat(r.error()).isNull();
                assertThat(answered.add(r.requestId())).isTrue();
                if (home.get(convs.get(i)).equals(survivorUrl)) assertThat(r.endpoint()).isEqualTo(survivorUrl);
            }
            assertThat(answered).hasSize(convs.size());
            // whether a turn-2 stream was cut mid-run or finished first depends on timing; with the replica down,
            // its conversations' next turns are answered by the other (counted there, so this cannot race)
            int moved = 0;
            for (String conv : convs) { // the moved conversations stay on the survivor while the other is down
                RemoteResult r = c.submit(turn(conv, 3, List.of())).join();
                assertThat(r.endpoint()).isEqualTo(survivorUrl);
                if (home.get(conv).equals(doomedUrl)) moved++;
            }
            assertThat(moved).as("conversations of the killed replica answered by the other").isPositive();
        } finally {
            survivor.close();
        }
    }

    @Test
    void retries429HonouringRetryAfterAnd500WithBackoff() throws Exception {
        try (FaultProxy p = new FaultProxy(a.baseUri().toString());
             RemoteChatClient c = new RemoteChatClient(options(p.baseUrl()), null)) {
            p.retryAfter = "1";
            p.script.add(FaultProxy.Fault.TOO_MANY);
            p.script.add(FaultProxy.Fault.SERVER_ERROR);
            RemoteResult r = c.submit(turn("r1", 1, List.of())).join();
            assertThat(r.error()).isNull();
            assertThat(r.attempts()).isEqualTo(3);
            assertThat(r.queueMs()).isGreaterThanOrEqualTo(1_000); // waited out Retry-After: 1
            assertThat(p.requests.get()).isEqualTo(3);
        }
    }

    @Test
    void aStalledOrCutResponseIsRetried() throws Exception {
        try (FaultProxy p = new FaultProxy(a.baseUri().toString());
             RemoteChatClient c = new RemoteChatClient(options(p.baseUrl()).withTimeouts(1_000, 400, 2_000, 30_000), null)) {
            p.script.add(FaultProxy.Fault.STALL);
            RemoteResult stalled = c.submit(turn("s1", 1, List.of())).join();
            assertThat(stalled.error()).isNull();
            assertThat(stalled.attempts()).isEqualTo(2);

            p.script.add(FaultProxy.Fault.CUT);
            AtomicInteger restarts = new AtomicInteger();
            RemoteResult cut = c.submit(RemoteRequest.chat("s2", "s2-1", List.of(ChatMessage.user("cut me")),
                    new SamplingParams(1.0, 0, 1.0, 9L, 200, List.of())), new RemoteListener() {
                @Override public void onDelta(String reasoning, String content) {}
                @Override public void onRestart(int attempt) { restarts.incrementAndGet(); }
            }).join();
            assertThat(cut.error()).isNull();
            assertThat(cut.attempts()).isEqualTo(2);
            assertThat(restarts.get()).isEqualTo(1);
        }
    }

    @Test
    void requestsThatCannotBeServedEndAsErrorsWithTheReason() throws Exception {
        try (FaultProxy p = new FaultProxy(a.baseUri().toString());
             RemoteChatClient c = new RemoteChatClient(options(p.baseUrl()).withRetries(3, 10, 50).withBreaker(10, 1_000), null)) {
            p.whenScriptEmpty = FaultProxy.Fault.SERVER_ERROR;
            RemoteResult r = c.submit(turn("e1", 1, List.of())).join();
            assertThat(r.ok()).isFalse();
            assertThat(r.finishReason()).isEqualTo("error");
            assertThat(r.attempts()).isEqualTo(3);
            assertThat(r.error()).contains("gave up after 3 attempt(s)", "HTTP 500", "proxy: injected failure");
        }
        try (RemoteChatClient c = new RemoteChatClient(options(a.baseUri().toString()), null)) {
            RemoteResult bad = c.submit(RemoteRequest.chat("e2", "e2-1", List.of(ChatMessage.user("x")),
                    new SamplingParams(5.0, 0, 1.0, 1L, 4, List.of()))).join(); // serve accepts temperature <= 2
            assertThat(bad.attempts()).isEqualTo(1); // a 400 is not retried
            assertThat(bad.error()).contains("HTTP 400", "temperature");
        }
        try (RemoteChatClient c = new RemoteChatClient(options("http://127.0.0.1:1/v1").withRetries(2, 10, 20), null)) {
            RemoteResult down = c.submit(turn("e3", 1, List.of())).join();
            assertThat(down.error()).contains("cannot connect");
        }
    }

    @Test
    void anOpenBreakerSendsTheReplicasConversationsElsewhereAtOnce() throws Exception {
        try (FaultProxy broken = new FaultProxy(a.baseUri().toString());
             RemoteChatClient c = new RemoteChatClient(options(broken.baseUrl(), b.baseUri().toString()).withBreaker(2, 60_000), null)) {
            broken.whenScriptEmpty = FaultProxy.Fault.SERVER_ERROR;
            String conv = null;
            for (int i = 0; conv == null; i++) if (c.endpointFor("b" + i).equals(broken.baseUrl())) conv = "b" + i;
            RemoteResult first = c.submit(turn(conv, 1, List.of())).join();
            assertThat(first.error()).isNull();
            assertThat(first.attempts()).isEqualTo(3); // two 500s open the breaker, the third try goes to the other replica
            assertThat(first.endpoint()).isEqualTo(b.baseUri().toString());
            int before = broken.requests.get();
            RemoteResult next = c.submit(turn(conv, 2, List.of())).join();
            assertThat(next.attempts()).isEqualTo(1);
            assertThat(next.endpoint()).isEqualTo(b.baseUri().toString());
            assertThat(broken.requests.get()).isEqualTo(before);
            assertThat(c.describe().get(broken.baseUrl())).contains("breaker=OPEN");
        }
    }

    /** r1stream_requests_cancelled_total of a serve instance, read over HTTP. */
    static long cancelledOn(OpenAiServer s) throws Exception {
        String m = java.net.http.HttpClient.newHttpClient().send(java.net.http.HttpRequest.newBuilder(
                java.net.URI.create(s.baseUri().toString().replace("/v1", "/metrics"))).build(),
                java.net.http.HttpResponse.BodyHandlers.ofString()).body();
        for (String line : m.split("\n")) {
            if (line.startsWith("r1stream_requests_cancelled_total")) return (long) Double.parseDouble(line.substring(line.lastIndexOf(' ') + 1));
        }
        throw new AssertionError("no r1stream_requests_cancelled_total in /metrics");
    }

    @Test
    void cancellingTheFutureClosesTheExchangeAndTheServerStopsGenerating() throws Exception {
        try (RemoteChatClient c = new RemoteChatClient(options(a.baseUri().toString()), null)) {
            long before = engineA.engine().metrics().generationTokens.sum();
            long cancelledBefore = cancelledOn(a);
            CountDownLatch firstText = new CountDownLatch(1);
            CompletableFuture<RemoteResult> f = c.submit(RemoteRequest.completion("k1", "k1-1", "count to a thousand:",
                    new SamplingParams(1.0, 0, 1.0, 5L, 1_900, List.of())), (reasoning, content) -> firstText.countDown());
            assertThat(firstText.await(30, TimeUnit.SECONDS)).isTrue();
            assertThat(f.cancel(true)).isTrue();
            // the server sees the disconnect and cancels the request (its cancelled count, not a finished answer)
            long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(10);
            while (cancelledOn(a) == cancelledBefore && System.nanoTime() < deadline) Thread.sleep(5);
            assertThat(cancelledOn(a)).isEqualTo(cancelledBefore + 1);
            while (engineA.engine().metrics().running.get() > 0 && System.nanoTime() < deadline) Thread.sleep(5);
            assertThat(engineA.engine().metrics().running.get()).isZero();
            long generated = engineA.engine().metrics().generationTokens.sum() - before;
            assertThat(generated).as("tokens generated before the cancel reached the server").isLessThan(1_900);
            // the client goes on serving requests (the pool thread was not left interrupted)
            assertThat(c.submit(turn("k2", 1, List.of())).join().error()).isNull();
        }
    }

    @Test
    void atMostTheBoundIsInFlightPerEndpoint() throws Exception {
        try (FaultProxy p = new FaultProxy(a.baseUri().toString());
             RemoteChatClient c = new RemoteChatClient(options(p.baseUrl()).withMaxInFlightPerEndpoint(2), null)) {
            List<CompletableFuture<RemoteResult>> fs = new ArrayList<>();
            for (int i = 0; i < 6; i++) fs.add(c.submit(turn("f" + i, 1, List.of())));
            for (CompletableFuture<RemoteResult> f : fs) assertThat(f.join().error()).isNull();
            assertThat(p.mostInFlight.get()).isEqualTo(2);
        }
    }
}
