-- Model registry: models, numbered versions, aliases, and an append-only alias history that answers
-- "which version was in production when, moved by whom, and why".

CREATE TABLE registered_models (
  name        text PRIMARY KEY CHECK (name ~ '^[a-z0-9][a-z0-9_.-]{0,62}$'),
  description text NOT NULL DEFAULT '',
  created_at  timestamptz NOT NULL DEFAULT now()
);

CREATE TABLE model_versions (
  model        text NOT NULL REFERENCES registered_models (name),
  version      integer NOT NULL CHECK (version >= 1),
  artifact_id  bigint NOT NULL REFERENCES artifacts (id),
  signature    jsonb NOT NULL DEFAULT '{}',
  metrics      jsonb NOT NULL DEFAULT '{}',
  properties   jsonb NOT NULL DEFAULT '{}',
  -- The registering run's idempotency key: a retried registration returns the version it made.
  run_key      text NOT NULL,
  created_at   timestamptz NOT NULL DEFAULT now(),
  PRIMARY KEY (model, version),
  UNIQUE (model, run_key)
);

CREATE TABLE model_aliases (
  model       text NOT NULL REFERENCES registered_models (name),
  alias       text NOT NULL CHECK (alias ~ '^[a-z][a-z0-9_-]{0,62}$'),
  version     integer NOT NULL,
  updated_at  timestamptz NOT NULL DEFAULT now(),
  PRIMARY KEY (model, alias),
  FOREIGN KEY (model, version) REFERENCES model_versions (model, version)
);

CREATE TABLE alias_history (
  id            bigserial PRIMARY KEY,
  model         text NOT NULL REFERENCES registered_models (name),
  alias         text NOT NULL,
  from_version  integer,
  to_version    integer,
  actor         text NOT NULL,
  reason        text NOT NULL,
  details       jsonb NOT NULL DEFAULT '{}',
  at            timestamptz NOT NULL DEFAULT clock_timestamp()
);
CREATE INDEX alias_history_model ON alias_history (model, alias, id);

CREATE FUNCTION alias_history_append_only() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
  RAISE EXCEPTION 'alias_history is append-only';
END $$;
CREATE TRIGGER alias_history_no_change BEFORE UPDATE OR DELETE ON alias_history
  FOR EACH ROW EXECUTE FUNCTION alias_history_append_only();

-- Every alias move is announced on channel mlops_alias (delivered on commit); the model server listens.
CREATE FUNCTION alias_history_notify() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
  PERFORM pg_notify('mlops_alias', json_build_object(
    'schema', TG_TABLE_SCHEMA, 'model', NEW.model, 'alias', NEW.alias,
    'from', NEW.from_version, 'to', NEW.to_version)::text);
  RETURN NEW;
END $$;
CREATE TRIGGER alias_history_notify AFTER INSERT ON alias_history
  FOR EACH ROW EXECUTE FUNCTION alias_history_notify();
