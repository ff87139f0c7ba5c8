-- Accepted dataset schemas per model, versioned: the newest is the baseline every new dataset is checked
-- against. The schema itself is a JSON artifact; this table says which one was accepted, when, by whom, why.
CREATE TABLE dataset_schemas (
  model        text NOT NULL CHECK (model ~ '^[a-z0-9][a-z0-9_.-]{0,62}$'),
  version      integer NOT NULL CHECK (version >= 1),
  artifact_id  bigint NOT NULL REFERENCES artifacts (id),
  accepted_by  text NOT NULL,
  reason       text NOT NULL,
  created_at   timestamptz NOT NULL DEFAULT now(),
  PRIMARY KEY (model, version)
);
