#!/usr/bin/env bash
# The topics of deploy/kafka-topics.yaml for a Kafka without Strimzi:
#   deploy/create-topics.sh BOOTSTRAP [REPLICAS]      (needs Kafka's bin/kafka-topics.sh on PATH)
set -euo pipefail
bootstrap=${1:?usage: create-topics.sh BOOTSTRAP_SERVERS [REPLICATION_FACTOR]}
rf=${2:-3}
topic() {  # name partitions retention-ms
  kafka-topics.sh --bootstrap-server "$bootstrap" --create --if-not-exists --topic "$1" --partitions "$2" \
    --replication-factor "$rf" --config retention.ms="$3" --config min.insync.replicas=$(( rf > 1 ? 2 : 1 ))
}
topic prompts 12 604800000
topic results 12 604800000
topic prompts.dlq 3 2592000000
topic metrics 1 604800000
