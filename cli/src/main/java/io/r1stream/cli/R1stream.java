package io.r1stream.cli;

import picocli.CommandLine;
import picocli.CommandLine.Command;

/** {@code bin/r1stream}: every command; each has --help. */
@Command(name = "r1stream", mixinStandardHelpOptions = true, version = "r1stream 0.1.0",
        description = "DeepSeek-R1-family LLM inference inside Apache Flink.",
        subcommands = {ModelCommand.class, GenerateCommand.class, LogitsCommand.class, BenchCommand.class, KafkaCommand.class, ChatJobCommand.class, DemoCommand.class, SummarizeCommand.class,
                ServeCommand.class,
                SqlCommand.class,
                CommandLine.HelpCommand.class})
public final class R1stream {

    public static void main(String[] args) {
        System.exit(commandLine().execute(args));
    }

    /** The command line with r1stream's error handling: bad arguments print what to fix, not a stack trace. */
    public static CommandLine commandLine() {
        CommandLine cl = new CommandLine(new R1stream());
        cl.setExecutionExceptionHandler((ex, cmd, parsed) -> {
            if (ex instanceof IllegalArgumentException || ex instanceof IllegalStateException
                    || ex instanceof io.r1stream.engine.model.ModelFormatException
                    || ex instanceof io.r1stream.engine.tokenizer.TokenizerFormatException
                    || ex instanceof java.io.UncheckedIOException) {
                cmd.getErr().println("error: " + ex.getMessage());
                return 2;
            }
            throw ex;
        });
        return cl;
    }
}
