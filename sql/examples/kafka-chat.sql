-- r1stream from Flink SQL: prompts from Kafka, answers back to Kafka.
--   bin/r1stream sql -f sql/examples/kafka-chat.sql -D bootstrap=localhost:9092 -D model=/tmp/m-tiny
-- Two pipelines in one job, sharing one engine per TaskManager:
--   questions -> ML_PREDICT (one-off answers, batched in the engine) -> answers
--   prompts   -> CONVERSATION VIEW (keyed multi-turn conversations, the chat job's operator) -> results

-- Rows waiting in the engine's batch: allow more than Flink's default 10 per subtask, and a long timeout.
SET 'table.exec.async-ml-predict.max-concurrent-operations' = '64';
SET 'table.exec.async-ml-predict.timeout' = '30 min';

CREATE TEMPORARY MODEL r1
  INPUT (prompt STRING)
  OUTPUT (content STRING, reasoning_content STRING, finish_reason STRING,
          prompt_tokens INT, completion_tokens INT, error STRING)
  WITH (
    'provider' = 'r1stream',
    'model-dir' = '${model}',
    'max-tokens' = '${max_tokens:-256}',
    'error-policy' = 'error-column'
  );

-- {"id":"q-1","prompt":"What is Flink?"}
CREATE TEMPORARY TABLE questions (
  id STRING,
  prompt STRING
) WITH (
  'connector' = 'kafka',
  'topic' = '${questions_topic:-questions}',
  'properties.bootstrap.servers' = '${bootstrap}',
  'properties.group.id' = '${group:-r1stream-sql}',
  'scan.startup.mode' = 'earliest-offset',
  'value.format' = 'json',
  'value.json.ignore-parse-errors' = 'true'
);

CREATE TEMPORARY TABLE answers (
  id STRING,
  content STRING,
  reasoning_content STRING,
  finish_reason STRING,
  prompt_tokens INT,
  completion_tokens INT,
  error STRING
) WITH (
  'connector' = 'kafka',
  'topic' = '${answers_topic:-answers}',
  'properties.bootstrap.servers' = '${bootstrap}',
  'key.format' = 'raw',
  'key.fields' = 'id',
  'value.format' = 'json'
);

INSERT INTO answers
SELECT id, content, reasoning_content, finish_reason, prompt_tokens, completion_tokens, error
FROM ML_PREDICT(TABLE questions, MODEL r1, DESCRIPTOR(prompt));

-- {"request_id":"r-1","conversation_id":"c-1","message":"Hi!","max_tokens":64}: the chat job's prompt records
CREATE TEMPORARY TABLE prompts (
  request_id STRING,
  conversation_id STRING,
  message STRING,
  max_tokens INT
) WITH (
  'connector' = 'kafka',
  'topic' = '${prompts_topic:-prompts}',
  'properties.bootstrap.servers' = '${bootstrap}',
  'properties.group.id' = '${group:-r1stream-sql}',
  'scan.startup.mode' = 'earliest-offset',
  'value.format' = 'json',
  'value.json.ignore-parse-errors' = 'true'
);

-- r1stream's one statement beyond Flink SQL: the prompts run through the keyed conversation operator
CREATE TEMPORARY CONVERSATION VIEW conversation_answers FROM prompts WITH ('model' = 'r1', 'max-in-flight' = '64');

CREATE TEMPORARY TABLE results (
  request_id STRING,
  conversation_id STRING,
  turn INT,
  content STRING,
  reasoning_content STRING,
  finish_reason STRING,
  prompt_tokens INT,
  completion_tokens INT,
  cached_tokens INT,
  ttft_ms DOUBLE,
  e2e_ms DOUBLE,
  kv_source STRING,
  error STRING
) WITH (
  'connector' = 'kafka',
  'topic' = '${results_topic:-results}',
  'properties.bootstrap.servers' = '${bootstrap}',
  'key.format' = 'raw',
  'key.fields' = 'conversation_id',
  'value.format' = 'json'
);

INSERT INTO results SELECT * FROM conversation_answers;
