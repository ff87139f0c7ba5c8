-- Level 2: versions of the pipeline code (git commits) with what their CI/CD run found, and the
-- append-only list of promotions (the latest is the current version; a rollback is a promotion too).
CREATE TABLE pipeline_versions (
  build_id        text PRIMARY KEY,
  ref             text NOT NULL,
  status          text NOT NULL CHECK (status IN ('testing', 'rejected', 'passed', 'promoted')),
  unit_passed     integer,
  unit_failed     integer,
  replay          jsonb,
  integration_run text,
  reasons         jsonb NOT NULL DEFAULT '[]',
  cicd_run        text NOT NULL,
  created_at      timestamptz NOT NULL DEFAULT now(),
  updated_at      timestamptz NOT NULL DEFAULT now()
);

CREATE TABLE pipeline_promotions (
  id        bigserial PRIMARY KEY,
  build_id  text NOT NULL REFERENCES pipeline_versions (build_id),
  previous  text,
  actor     text NOT NULL,
  reason    text NOT NULL,
  at        timestamptz NOT NULL DEFAULT now()
);
