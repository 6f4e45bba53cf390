package io.r1stream.serve;

import com.fasterxml.jackson.databind.JsonNode;
import io.r1stream.engine.EngineMetrics;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.io.BufferedReader;
import java.io.InputStream;
import java.io.InputStreamReader;
import java.net.URI;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CompletableFuture;

import static org.assertj.core.api.Assertions.assertThat;

/** {@code serve} end to end: a real Jetty server on loopback, the JDK HttpClient, a generated tiny model. */
class OpenAiServerTest {
    @TempDir static Path tmp;
    static TestServers.Running server;
    static Http http;

    @BeforeAll
    static void start() {
        Path model = TestServers.tinyModel(tmp);
        server = TestServers.start(TestServers.loopback("tiny"), TestServers.engineOptions(model, 8, 0));
        http = new Http(server.baseUrl());
    }

    @AfterAll
    static void stop() {
        if (server != null) server.close();
    }

    static String chat(String user, int maxTokens, long seed, String extra) {
        return "{\"model\":\"tiny\",\"messages\":[{\"role\":\"user\",\"content\":\"" + user + "\"}],\"max_tokens\":" + maxTokens
                + ",\"seed\":" + seed + ",\"temperature\":1.0" + extra + "}";
    }

    /** A seed whose answer ends its reasoning (the tiny model emits {@code </think>} now and then). */
    static long seedWithContent(String user) {
        for (long seed = 1; seed <= 40; seed++) {
            Http.Reply r = http.post("/chat/completions", chat(user, 300, seed, ""));
            assertThat(r.status()).isEqualTo(200);
            if (!r.body().at("/choices/0/message/content").asText().isEmpty()) return seed;
        }
        throw new AssertionError("no seed in 1..40 gave an answer after </think> within 300 tokens");
    }

    @Test
    void chatAnswersSplitReasoningFromContentStreamedOrNot() {
        long seed = seedWithContent("split me");
        JsonNode whole = http.post("/chat/completions", chat("split me", 300, seed, "")).body();
        assertThat(whole.get("object").asText()).isEqualTo("chat.completion");
        assertThat(whole.get("id").asText()).startsWith("chatcmpl-");
        JsonNode msg = whole.at("/choices/0/message");
        assertThat(msg.get("role").asText()).isEqualTo("assistant");
        assertThat(msg.get("reasoning_content").asText()).doesNotContain("</think>");
        assertThat(msg.get("content").asText()).isNotEmpty().doesNotContain("</think>");
        JsonNode usage = whole.get("usage");
        assertThat(usage.get("total_tokens").asInt()).isEqualTo(usage.get("prompt_tokens").asInt() + usage.get("completion_tokens").asInt());
        assertThat(usage.at("/prompt_tokens_details/cached_tokens").isInt()).isTrue();

        List<String> events = http.stream("/chat/completions", chat("split me", 300, seed,
                ",\"stream\":true,\"stream_options\":{\"include_usage\":true}"));
        assertThat(events.get(events.size() - 1)).isEqualTo("[DONE]");
        JsonNode first = Http.parse(events.get(0));
        assertThat(first.get("object").asText()).isEqualTo("chat.completion.chunk");
        assertThat(first.at("/choices/0/delta/role").asText()).isEqualTo("assistant");
        StringBuilder reasoning = new StringBuilder();
        StringBuilder content = new StringBuilder();
        String finish = null;
        JsonNode usageChunk = null;
        for (String e : events.subList(1, events.size() - 1)) {
            JsonNode c = Http.parse(e);
            if (c.get("choices").isEmpty()) {
                usageChunk = c.get("usage");
                continue;
            }
            JsonNode d = c.at("/choices/0/delta");
            if (d.has("reasoning_content")) reasoning.append(d.get("reasoning_content").asText());
            if (d.has("content")) content.append(d.get("content").asText());
            if (!c.at("/choices/0/finish_reason").isNull()) finish = c.at("/choices/0/finish_reason").asText();
        }
        assertThat(reasoning.toString()).isEqualTo(msg.get("reasoning_content").asText());
        assertThat(content.toString()).isEqualTo(msg.get("content").asText());
        assertThat(finish).isEqualTo(whole.at("/choices/0/finish_reason").asText());
        assertThat(usageChunk).isNotNull();
        assertThat(usageChunk.get("completion_tokens").asInt()).isEqualTo(usage.get("completion_tokens").asInt());
        assertThat(usageChunk.at("/prompt_tokens_details/cached_tokens").asInt()).isGreaterThan(0); // same prompt again
    }

    @Test
    void aSharedSystemPromptAndAConversationsHistoryComeFromTheCache() {
        String system = "You are a careful assistant. Answer briefly, check every number twice, and say when you are unsure about anything at all.";
        String a = "{\"messages\":[{\"role\":\"system\",\"content\":\"" + system + "\"},{\"role\":\"user\",\"content\":\"first question\"}],\"max_tokens\":4,\"temperature\":0}";
        String b = "{\"messages\":[{\"role\":\"system\",\"content\":\"" + system + "\"},{\"role\":\"user\",\"content\":\"another one\"}],\"max_tokens\":4,\"temperature\":0}";
        JsonNode first = http.post("/chat/completions", a).body();
        JsonNode second = http.post("/chat/completions", b).body();
        int systemTokens = server.engine().model().template().renderIds(server.engine().model().tokenizer(), system, List.of(), false).length;
        assertThat(first.at("/usage/prompt_tokens_details/cached_tokens").asInt()).isZero();
        assertThat(second.at("/usage/prompt_tokens_details/cached_tokens").asInt()).isGreaterThanOrEqualTo(systemTokens - 1);

        // the next turn of the second conversation reuses its whole prompt (up to the answer, as the R1 template renders it)
        String answer = second.at("/choices/0/message/content").asText();
        String turn2 = "{\"messages\":[{\"role\":\"system\",\"content\":\"" + system + "\"},{\"role\":\"user\",\"content\":\"another one\"},"
                + "{\"role\":\"assistant\",\"content\":" + Http.JSON.valueToTree(answer) + "},{\"role\":\"user\",\"content\":\"and then?\"}],\"max_tokens\":4,\"temperature\":0}";
        JsonNode third = http.post("/chat/completions", turn2).body();
        assertThat(third.at("/usage/prompt_tokens_details/cached_tokens").asInt())
                .isGreaterThanOrEqualTo(second.at("/usage/prompt_tokens").asInt() - 3);
    }

    @Test
    void completionsEchoAndStreamTheSameText() {
        String body = "{\"model\":\"tiny\",\"prompt\":\"def add(a, b):\",\"max_tokens\":12,\"temperature\":0,\"echo\":true}";
        JsonNode whole = http.post("/completions", body).body();
        assertThat(whole.get("object").asText()).isEqualTo("text_completion");
        String text = whole.at("/choices/0/text").asText();
        assertThat(text).startsWith("def add(a, b):");
        List<String> events = http.stream("/completions", body.replace("}", ",\"stream\":true}"));
        StringBuilder streamed = new StringBuilder();
        for (String e : events) if (!e.equals("[DONE]")) streamed.append(Http.parse(e).at("/choices/0/text").asText());
        assertThat(streamed.toString()).isEqualTo(text);
        assertThat(http.post("/completions", "{\"prompt\":\"x\",\"suffix\":\"y\"}").status()).isEqualTo(400);
    }

    /** The engine may stream a stop string's first characters before it sees the rest; serve holds them back. */
    @Test
    void stopStringsAreCutFromStreamsAsFromWholeAnswers() {
        String plain = chat("stop here", 80, 7, "");
        String text = http.post("/chat/completions", plain).body().at("/choices/0/message/reasoning_content").asText();
        assertThat(text.length()).isGreaterThan(40);
        String stop = text.substring(30, 36);
        String expected = text.substring(0, text.indexOf(stop));
        String withStop = chat("stop here", 80, 7, ",\"stop\":[" + Http.JSON.valueToTree(stop) + "]");
        JsonNode whole = http.post("/chat/completions", withStop).body();
        assertThat(whole.at("/choices/0/message/reasoning_content").asText("")).isEqualTo(expected);
        assertThat(whole.at("/choices/0/finish_reason").asText()).isEqualTo("stop");
        StringBuilder streamed = new StringBuilder();
        for (String e : http.stream("/chat/completions", withStop.replace("}", ",\"stream\":true}").replaceFirst(",\"stream\":true}$", ",\"stream\":true}"))) {
            if (!e.equals("[DONE]")) streamed.append(Http.parse(e).at("/choices/0/delta/reasoning_content").asText(""));
        }
        assertThat(streamed.toString()).isEqualTo(expected).doesNotContain(stop);
    }

    @Test
    void badRequestsGetTheOpenAiErrorShape() {
        assertError(http.post("/chat/completions", chat("x", 5, 1, ",\"temperature\":5")), 400, "temperature");
        assertError(http.post("/chat/completions", "{\"model\":\"tiny\"}"), 400, "messages");
        assertError(http.post("/chat/completions", chat("x", 5, 1, ",\"n\":2")), 400, "n");
        assertError(http.post("/chat/completions", chat("x", 5000, 1, "")), 400, "max_tokens");
        assertError(http.post("/chat/completions", "{\"messages\": [oops"), 400, null);
        assertError(http.post("/chat/completions", "{\"messages\":[{\"role\":\"tool\",\"content\":\"x\"}]}"), 400, "messages[0].role");
        Http.Reply wrongModel = http.post("/chat/completions", "{\"model\":\"gpt-4\",\"messages\":[{\"role\":\"user\",\"content\":\"x\"}]}");
        assertError(wrongModel, 404, null);
        assertThat(wrongModel.body().at("/error/code").asText()).isEqualTo("model_not_found");
        assertError(http.get(http.base + "/embeddings"), 404, null);
    }

    @Test
    void modelsHealthAndMetrics() {
        Http.Reply models = http.get(http.base + "/models");
        assertThat(models.body().at("/data/0/id").asText()).isEqualTo("tiny");
        String root = http.base.substring(0, http.base.length() - 3);
        assertThat(http.get(root + "/health").status()).isEqualTo(200);
        http.post("/chat/completions", chat("count me", 3, 1, ""));
        String metrics = http.get(root + "/metrics").raw().body();
        assertThat(metrics).contains("r1stream_num_requests_running ", "r1stream_kv_cache_usage_ratio ",
                "r1stream_time_to_first_token_seconds_bucket{le=\"+Inf\"}", "r1stream_prefix_cache_hits_total{tier=\"engine\"}",
                "r1stream_http_responses_total{code=\"200\"}");
        assertThat(metrics).containsPattern("r1stream_e2e_request_latency_seconds_count [1-9]");
    }

    @Test
    void concurrentRequestsShareTheBatch() throws Exception {
        EngineMetrics m = server.engine().engine().metrics();
        List<CompletableFuture<HttpResponse<String>>> fs = new ArrayList<>();
        for (int i = 0; i < 4; i++) {
            fs.add(http.client.sendAsync(HttpRequest.newBuilder(URI.create(http.base + "/chat/completions"))
                    .POST(HttpRequest.BodyPublishers.ofString(chat("together " + i, 300, 100 + i, ""))).build(), HttpResponse.BodyHandlers.ofString()));
        }
        long most = 0;
        while (!fs.stream().allMatch(CompletableFuture::isDone)) {
            most = Math.max(most, m.running.get());
            Thread.sleep(1);
        }
        for (CompletableFuture<HttpResponse<String>> f : fs) assertThat(f.get().statusCode()).isEqualTo(200);
        assertThat(most).isGreaterThan(1);
    }

    /** A client that goes away mid-stream cancels its request: the batch slot and the queue place are freed. */
    @Test
    void aDisconnectedStreamFreesItsSlot() throws Exception {
        long seed = -1;
        for (long s = 1; s <= 20 && seed < 0; s++) { // a seed that runs to max_tokens (no early EOS)
            if (http.post("/chat/completions", chat("long", 1500, s, "")).body().at("/choices/0/finish_reason").asText().equals("length")) seed = s;
        }
        assertThat(seed).isPositive();
        EngineMetrics m = server.engine().engine().metrics();
        long tokensBefore = m.generationTokens.sum();
        HttpResponse<InputStream> resp = http.client.send(HttpRequest.newBuilder(URI.create(http.base + "/chat/completions"))
                .POST(HttpRequest.BodyPublishers.ofString(chat("long", 1500, seed, ",\"stream\":true"))).build(), HttpResponse.BodyHandlers.ofInputStream());
        BufferedReader reader = new BufferedReader(new InputStreamReader(resp.body(), StandardCharsets.UTF_8));
        int events = 0;
        while (events < 5) if (reader.readLine().startsWith("data: ")) events++;
        reader.close(); // the client goes away
        long deadline = System.currentTimeMillis() + 10_000;
        while ((server.server().inFlight() > 0 || m.running.get() > 0) && System.currentTimeMillis() < deadline) Thread.sleep(5);
        assertThat(server.server().inFlight()).isZero();
        assertThat(m.running.get()).isZero();
        assertThat(m.generationTokens.sum() - tokensBefore).isLessThan(1500);
        String root = http.base.substring(0, http.base.length() - 3);
        assertThat(http.get(root + "/metrics").raw().body()).containsPattern("r1stream_requests_cancelled_total [1-9]");
    }

    static void assertError(Http.Reply r, int status, String param) {
        assertThat(r.status()).isEqualTo(status);
        JsonNode e = r.body().get("error");
        assertThat(e.get("message").asText()).isNotEmpty();
        assertThat(e.get("type").asText()).isNotEmpty();
        assertThat(e.has("code")).isTrue();
        if (param == null) assertThat(e.get("param").isNull()).isTrue();
        else assertThat(e.get("param").asText()).isEqualTo(param);
    }
}
