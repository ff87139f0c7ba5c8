-- Lineage in the ML-Metadata model: artifacts, executions, events between them, and contexts that
-- group them (a pipeline run, an experiment, a model). Natural keys make every write idempotent.

CREATE TABLE contexts (
  id          bigserial PRIMARY KEY,
  type        text NOT NULL CHECK (type IN ('pipeline_run', 'experiment', 'model')),
  name        text NOT NULL,
  properties  jsonb NOT NULL DEFAULT '{}',
  created_at  timestamptz NOT NULL DEFAULT now(),
  UNIQUE (type, name)
);

CREATE TABLE artifacts (
  id          bigserial PRIMARY KEY,
  uri         text NOT NULL UNIQUE,
  sha256      text NOT NULL CHECK (sha256 ~ '^[0-9a-f]{64}$'),
  type        text NOT NULL,
  properties  jsonb NOT NULL DEFAULT '{}',
  created_at  timestamptz NOT NULL DEFAULT now()
);
CREATE INDEX artifacts_sha256 ON artifacts (sha256);

-- One row per stage run. `key` is the caller's idempotency key (workflow id, run id, stage), so a
-- stage retried by Temporal finds its own row instead of adding one.
CREATE TABLE executions (
  id            bigserial PRIMARY KEY,
  key           text NOT NULL UNIQUE,
  stage         text NOT NULL,
  status        text NOT NULL CHECK (status IN ('running', 'complete', 'failed')),
  params        jsonb NOT NULL DEFAULT '{}',
  code_version  text NOT NULL,
  error         text,
  started_at    timestamptz NOT NULL DEFAULT now(),
  ended_at      timestamptz
);

CREATE TABLE events (
  execution_id  bigint NOT NULL REFERENCES executions (id),
  artifact_id   bigint NOT NULL REFERENCES artifacts (id),
  type          text NOT NULL CHECK (type IN ('input', 'output')),
  created_at    timestamptz NOT NULL DEFAULT now(),
  PRIMARY KEY (execution_id, artifact_id, type)
);
CREATE INDEX events_artifact ON events (artifact_id);

CREATE TABLE attributions (
  context_id   bigint NOT NULL REFERENCES contexts (id),
  artifact_id  bigint NOT NULL REFERENCES artifacts (id),
  PRIMARY KEY (context_id, artifact_id)
);

CREATE TABLE associations (
  context_id    bigint NOT NULL REFERENCES contexts (id),
  execution_id  bigint NOT NULL REFERENCES executions (id),
  PRIMARY KEY (context_id, execution_id)
);
CREATE INDEX associations_execution ON associations (execution_id);
