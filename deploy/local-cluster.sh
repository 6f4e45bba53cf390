#!/usr/bin/env bash
# A real standalone Flink cluster on this machine, from the project's own dependencies (no Flink tarball):
# a JobManager (StandaloneSessionClusterEntrypoint) and two TaskManagers (TaskManagerRunner) as separate JVMs,
# with flink-conf/config.yaml (+ local overrides) and DJL on the TaskManagers' class path as the image's lib/
# holds it; a KRaft broker and a generated tiny model; the shaded job jar submitted through the REST API
# (/jars/upload, /jars/:id/run). Logs and state under jobs/target/local-cluster/.
#
#   deploy/local-cluster.sh run     # start it, answer 4 prompts, print the web UI (http://localhost:8081) and
#                                   # the Prometheus ports (9249 JobManager, 9250-9251 TaskManagers); Enter stops
#   deploy/local-cluster.sh check   # + kill -9 a TaskManager mid-batch, start it again, check read_committed
#                                   # output: every answer exactly once (also LocalClusterAfterPackageTest)
set -euo pipefail
root="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
mode="${1:-run}"
cd "$root"
if [[ ! -f jobs/target/r1stream-job.jar || ! -f jobs/target/flink-dist.classpath || -n "$(find engine connectors operators jobs -path '*/target' -prune -o -name '*.java' -newer jobs/target/r1stream-job.jar -print -quit)" ]]; then
  echo "local-cluster: building the job jar (mvn package) ..." >&2
  mvn -B -q -o -pl jobs -am package -DskipTests >&2
fi
mvn -B -q -o -pl jobs test-compile dependency:build-classpath -Dmdep.outputFile=target/test.classpath -Dmdep.includeScope=test >&2
exec java --add-modules=jdk.incubator.vector -Dai.djl.offline=true -DDJL_CACHE_DIR="${DJL_CACHE_DIR:-$HOME/.djl.ai}" \
  -Dr1stream.repoRoot="$root" -Dlog4j2.configurationFile="$root/jobs/src/test/resources/log4j2-test.properties" \
  -cp "jobs/target/test-classes:jobs/target/classes:$(cat jobs/target/test.classpath)" io.r1stream.jobs.LocalClusterRun "$mode"
