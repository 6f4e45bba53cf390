package io.r1stream.jobs;

import io.r1stream.operators.SharedEngineFactory;
import io.r1stream.operators.remote.RemoteEngineFactory;
import org.junit.jupiter.api.Test;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

/** {@code --backend local|openai} and its flags, as {@code flink run} / {@code bin/r1stream chat-job} pass them. */
class ChatJobBackendOptionsTest {

    @Test
    void openaiTakesRepeatedEndpointsAModelAndAKeyVariable() {
        ChatJobOptions o = ChatJobOptions.fromArgs(new String[] {"--model", "/models/r1", "--backend", "openai",
                "--endpoint", "http://10.0.0.5:8000/v1", "--endpoint=http://10.0.0.6:8000/v1", "--endpoint-model", "deepseek-r1",
                "--api-key-env", "VLLM_KEY", "--endpoint-max-in-flight", "8"});
        assertThat(o.remoteBackend().endpoints()).containsExactly("http://10.0.0.5:8000/v1", "http://10.0.0.6:8000/v1");
        assertThat(o.remoteBackend().model()).isEqualTo("deepseek-r1");
        assertThat(o.remoteBackend().apiKeyEnv()).isEqualTo("VLLM_KEY");
        assertThat(o.remoteBackend().maxInFlightPerEndpoint()).isEqualTo(8);
        assertThat(o.engineFactory()).isInstanceOf(RemoteEngineFactory.class);
        assertThat(ChatJobOptions.fromArgs(new String[] {"--model", "/models/r1"}).engineFactory()).isInstanceOf(SharedEngineFactory.class);
    }

    @Test
    void mixedUpFlagsSayWhatToFix() {
        assertThatThrownBy(() -> ChatJobOptions.fromArgs(new String[] {"--model", "m", "--backend", "openai", "--endpoint-model", "x"}))
                .hasMessageContaining("--endpoint");
        assertThatThrownBy(() -> ChatJobOptions.fromArgs(new String[] {"--model", "m", "--backend", "openai", "--endpoint", "http://a:1/v1"}))
                .hasMessageContaining("--endpoint-model");
        assertThatThrownBy(() -> ChatJobOptions.fromArgs(new String[] {"--model", "m", "--endpoint", "http://a:1/v1"}))
                .hasMessageContaining("--backend openai");
        assertThatThrownBy(() -> ChatJobOptions.fromArgs(new String[] {"--model", "m", "--backend", "vllm"}))
                .hasMessageContaining("local or openai");
        assertThatThrownBy(() -> ChatJobOptions.fromArgs(new String[] {"--model", "m", "--backend", "openai", "--endpoint", "http://a:1/v1",
                "--endpoint-model", "x", "--kv-state-tier", "every-turn"})).hasMessageContaining("server owns its KV cache");
    }
}
