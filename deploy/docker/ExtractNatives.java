import ai.djl.engine.Engine;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.stream.Stream;

/**
 * Makes DJL extract its native libraries into DJL_CACHE_DIR now (image build time), offline, so a pod never
 * unpacks or downloads anything at its first start. Run with the jars of jobs/target/flink-lib on the class path:
 * <pre>java -Dai.djl.offline=true -DDJL_CACHE_DIR=/opt/djl-cache -cp "flink-lib/*" ExtractNatives.java tokenizers pytorch</pre>
 * Arguments: {@code tokenizers} (the HF tokenizers library), {@code pytorch} (libtorch from the pytorch-native-cpu
 * jar and DJL's JNI library). Prints every native library under the cache dir and fails when there is none.
 */
public class ExtractNatives {
    public static void main(String[] args) throws IOException {
        if (!"true".equals(System.getProperty("ai.djl.offline"))) {
            throw new IllegalStateException("run with -Dai.djl.offline=true: DJL must not reach the network at build time");
        }
        String cache = System.getProperty("DJL_CACHE_DIR", System.getenv("DJL_CACHE_DIR"));
        if (cache == null) throw new IllegalStateException("set DJL_CACHE_DIR (-DDJL_CACHE_DIR=DIR): where the libraries go");
        for (String what : args) {
            switch (what) {
                case "tokenizers" -> ai.djl.huggingface.tokenizers.jni.LibUtils.checkStatus();
                case "pytorch" -> System.out.println("PyTorch " + Engine.getEngine("PyTorch").getVersion()
                        + " from " + ai.djl.pytorch.jni.LibUtils.getLibtorchPath());
                default -> throw new IllegalArgumentException("unknown library '" + what + "': tokenizers or pytorch");
            }
        }
        try (Stream<Path> files = Files.walk(Path.of(cache))) {
            long n = files.filter(p -> p.getFileName().toString().contains(".so"))
                    .peek(p -> System.out.println("native: " + p)).count();
            if (n == 0) throw new IllegalStateException("no native library under " + cache);
        }
    }
}
