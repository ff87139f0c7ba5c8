-- The feature store: versioned feature-set definitions, the offline store's Parquet parts (one per
-- materialization, each with the event-time range it covers), the watermark per set version, and the
-- online store (the latest values per entity).

CREATE TABLE feature_sets (
  name        text NOT NULL CHECK (name ~ '^[a-z0-9][a-z0-9_-]{0,62}$'),
  version     integer NOT NULL CHECK (version >= 1),
  definition  jsonb NOT NULL,
  -- SHA-256 of the canonical definition JSON; `uri` is that JSON in the artifact store (a lineage artifact).
  sha256      text NOT NULL CHECK (sha256 ~ '^[0-9a-f]{64}$'),
  uri         text NOT NULL,
  created_at  timestamptz NOT NULL DEFAULT now(),
  PRIMARY KEY (name, version)
);

-- One row per materialized set version: the event time up to which rows are in the offline and online
-- stores, and the feature columns (name, kind) fixed by the first materialization.
CREATE TABLE feature_watermarks (
  set_name    text NOT NULL,
  version     integer NOT NULL,
  watermark   timestamptz NOT NULL,
  features    jsonb NOT NULL,
  updated_at  timestamptz NOT NULL DEFAULT now(),
  PRIMARY KEY (set_name, version),
  FOREIGN KEY (set_name, version) REFERENCES feature_sets (name, version)
);

-- The offline store: one content-addressed Parquet part per materialization that found new rows.
CREATE TABLE feature_materializations (
  id              bigserial PRIMARY KEY,
  set_name        text NOT NULL,
  version         integer NOT NULL,
  part_uri        text NOT NULL UNIQUE,
  sha256          text NOT NULL CHECK (sha256 ~ '^[0-9a-f]{64}$'),
  rows            bigint NOT NULL CHECK (rows > 0),
  entities        bigint NOT NULL,
  from_watermark  timestamptz,
  to_watermark    timestamptz NOT NULL,
  source_sha256   text NOT NULL,
  created_at      timestamptz NOT NULL DEFAULT now(),
  FOREIGN KEY (set_name, version) REFERENCES feature_sets (name, version)
);
CREATE INDEX feature_materializations_set ON feature_materializations (set_name, version, id);

-- The online store: the latest values per entity, read by the model server one request at a time.
-- Values are json (not jsonb): kept as written, in feature order, and several times cheaper to load.
CREATE TABLE online_features (
  set_name    text NOT NULL,
  version     integer NOT NULL,
  entity      text NOT NULL,
  event_time  timestamptz NOT NULL,
  feature_values json NOT NULL,
  updated_at  timestamptz NOT NULL DEFAULT now(),
  PRIMARY KEY (set_name, version, entity)
);
