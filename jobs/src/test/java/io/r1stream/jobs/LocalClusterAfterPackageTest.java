package io.r1stream.jobs;

import org.junit.jupiter.api.Test;

import java.nio.file.Files;
import java.nio.file.Path;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * The shaded job jar on a real standalone Flink cluster of separate processes (JobManager + two TaskManagers,
 * {@link LocalClusterRun#failoverCheck}): answers through Kafka, a TaskManager killed with SIGKILL mid-batch and
 * started again, and read_committed output with every answer exactly once; metrics on the Prometheus ports; a
 * second job on the same TaskManagers (DJL parent-first). Runs in verify, after `package` built the jar.
 */
class LocalClusterAfterPackageTest {
    @Test
    void theChatJobSurvivesKillNineOfATaskManagerWithoutLossOrDuplicates() throws Exception {
        Path repo = Path.of(System.getProperty("r1stream.repoRoot")).toAbsolutePath().normalize();
        Path work = Files.createDirectories(repo.resolve("jobs/target/local-cluster-test"));
        LocalClusterRun.Outcome o = LocalClusterRun.failoverCheck(repo, work);
        System.out.println(o);
        assertThat(o.missing()).as(o.toString()).isEmpty();
        assertThat(o.duplicated()).as(o.toString()).isEmpty();
        assertThat(o.answers()).as(o.toString()).isEqualTo(o.prompts());
        assertThat(o.restarts()).as("the job failed over: " + o).isPositive();
        assertThat(o.ok()).as(o.toString()).isTrue();
    }
}
