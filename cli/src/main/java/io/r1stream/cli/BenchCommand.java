package io.r1stream.cli;

import picocli.CommandLine.Command;

/** {@code r1stream bench ...}: benchmarks that print figures and the machine they ran on. */
@Command(name = "bench", mixinStandardHelpOptions = true, description = "Benchmarks (print figures and the machine).",
        subcommands = {BenchEngine.class, BenchKernels.class, BenchBatching.class, BenchMultiturn.class, BenchPipeline.class, BenchSummarize.class, BenchSoak.class, BenchQuality.class,
                BenchServe.class, BenchSql.class})
public final class BenchCommand {}
