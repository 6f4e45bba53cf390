package io.r1stream.serve;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.util.ArrayList;
import java.util.List;
import java.util.stream.Stream;

/** A JDK HttpClient talking to a server under test: JSON posts and SSE streams read event by event. */
final class Http {
    static final ObjectMapper JSON = new ObjectMapper();
    final HttpClient client = HttpClient.newBuilder().version(HttpClient.Version.HTTP_1_1).build();
    final String base; // http://127.0.0.1:port/v1

    Http(String base) { this.base = base; }

    record Reply(int status, JsonNode body, HttpResponse<String> raw) {}

    Reply post(String path, String json, String... headers) {
        HttpRequest.Builder b = HttpRequest.newBuilder(URI.create(base + path)).POST(HttpRequest.BodyPublishers.ofString(json))
                .header("Content-Type", "application/json");
        for (int i = 0; i < headers.length; i += 2) b.header(headers[i], headers[i + 1]);
        return send(b.build());
    }

    Reply get(String url) {
        return send(HttpRequest.newBuilder(URI.create(url)).GET().build());
    }

    private Reply send(HttpRequest r) {
        try {
            HttpResponse<String> resp = client.send(r, HttpResponse.BodyHandlers.ofString());
            JsonNode body = resp.body().startsWith("{") ? JSON.readTree(resp.body()) : null;
            return new Reply(resp.statusCode(), body, resp);
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        } catch (InterruptedException e) {
            throw new IllegalStateException(e);
        }
    }

    /** The data payloads of an SSE response, [DONE] included, in order. */
    List<String> stream(String path, String json) {
        try {
            HttpResponse<Stream<String>> resp = client.send(HttpRequest.newBuilder(URI.create(base + path))
                    .POST(HttpRequest.BodyPublishers.ofString(json)).header("Content-Type", "application/json").build(),
                    HttpResponse.BodyHandlers.ofLines());
            if (resp.statusCode() != 200) throw new AssertionError("status " + resp.statusCode());
            if (!resp.headers().firstValue("content-type").orElse("").startsWith("text/event-stream")) throw new AssertionError("not SSE");
            List<String> data = new ArrayList<>();
            try (Stream<String> lines = resp.body()) {
                lines.filter(l -> l.startsWith("data: ")).forEach(l -> data.add(l.substring(6)));
            }
            return data;
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        } catch (InterruptedException e) {
            throw new IllegalStateException(e);
        }
    }

    static JsonNode parse(String s) {
        try {
            return JSON.readTree(s);
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }
}
