package io.r1stream.serve;

import io.r1stream.engine.EngineOptions;
import io.r1stream.engine.Engines;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.io.BufferedReader;
import java.io.InputStreamReader;
import java.net.URI;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;

import static io.r1stream.serve.OpenAiServerTest.assertError;
import static io.r1stream.serve.OpenAiServerTest.chat;
import static org.assertj.core.api.Assertions.assertThat;

/** 401 (API key), 413 (body size), 429 (queue full) and 503 (loading), each from a real server on loopback. */
class ServeLimitsTest {
    @TempDir static Path tmp;
    static Engines.EngineHandle engine;

    @BeforeAll
    static void load() {
        EngineOptions o = TestServers.engineOptions(TestServers.tinyModel(tmp), 4, 0);
        engine = Engines.acquire(o);
    }

    @AfterAll
    static void close() {
        if (engine != null) engine.close();
    }

    @Test
    void theApiKeyIsRequiredOnV1Only() {
        try (OpenAiServer s = OpenAiServer.start(TestServers.loopback("tiny").withApiKey("s3cret"))) {
            s.ready(engine.model(), engine.engine(), 4);
            Http http = new Http(s.baseUri().toString());
            assertError(http.post("/chat/completions", chat("x", 2, 1, "")), 401, null);
            assertError(http.post("/chat/completions", chat("x", 2, 1, ""), "Authorization", "Bearer s3cre"), 401, null);
            assertError(http.post("/chat/completions", chat("x", 2, 1, ""), "Authorization", "Bearer s3cret-and-more"), 401, null);
            assertThat(http.post("/chat/completions", chat("x", 2, 1, ""), "Authorization", "Bearer s3cret").status()).isEqualTo(200);
            assertThat(http.get("http://127.0.0.1:" + s.port() + "/health").status()).isEqualTo(200);
        }
    }

    @Test
    void oversizedBodiesGet413() {
        try (OpenAiServer s = OpenAiServer.start(TestServers.loopback("tiny").withMaxBodyBytes(4096))) {
            s.ready(engine.model(), engine.engine(), 4);
            Http http = new Http(s.baseUri().toString());
            Http.Reply r = http.post("/chat/completions", chat("y".repeat(8000), 2, 1, ""));
            assertError(r, 413, null);
            assertThat(r.body().at("/error/code").asText()).isEqualTo("request_too_large");
            assertThat(http.post("/chat/completions", chat("short", 2, 1, "")).status()).isEqualTo(200);
        }
    }

    @Test
    void aFullQueueGets429WithRetryAfter() throws Exception {
        try (OpenAiServer s = OpenAiServer.start(TestServers.loopback("tiny").withMaxQueue(0))) {
            s.ready(engine.model(), engine.engine(), 1); // one slot, no queue
            Http http = new Http(s.baseUri().toString());
            HttpResponse<java.io.InputStream> first = http.client.send(HttpRequest.newBuilder(URI.create(http.base + "/chat/completions"))
                    .POST(HttpRequest.BodyPublishers.ofString(chat("occupy", 1900, 3, ",\"stream\":true"))).build(), HttpResponse.BodyHandlers.ofInputStream());
            BufferedReader reader = new BufferedReader(new InputStreamReader(first.body(), StandardCharsets.UTF_8));
            assertThat(reader.readLine()).startsWith("data: "); // admitted and streaming
            Http.Reply second = http.post("/chat/completions", chat("rejected", 2, 1, ""));
            assertError(second, 429, null);
            assertThat(second.raw().headers().firstValue("retry-after")).hasValue("1");
            reader.close();
            long deadline = System.currentTimeMillis() + 10_000;
            while (s.inFlight() > 0 && System.currentTimeMillis() < deadline) Thread.sleep(5);
            assertThat(http.post("/chat/completions", chat("now", 2, 1, "")).status()).isEqualTo(200);
        }
    }

    @Test
    void whileTheModelLoadsEverythingButMetricsIs503() {
        try (OpenAiServer s = OpenAiServer.start(TestServers.loopback("tiny"))) {
            Http http = new Http(s.baseUri().toString());
            Http.Reply r = http.post("/chat/completions", chat("x", 2, 1, ""));
            assertError(r, 503, null);
            assertThat(r.body().at("/error/code").asText()).isEqualTo("model_loading");
            assertThat(r.raw().headers().firstValue("retry-after")).isPresent();
            assertThat(http.get("http://127.0.0.1:" + s.port() + "/health").status()).isEqualTo(503);
            assertThat(http.get("http://127.0.0.1:" + s.port() + "/metrics").raw().body()).contains("r1stream_model_ready 0");
            s.ready(engine.model(), engine.engine(), 4);
            assertThat(http.get("http://127.0.0.1:" + s.port() + "/health").status()).isEqualTo(200);
        }
    }
}
