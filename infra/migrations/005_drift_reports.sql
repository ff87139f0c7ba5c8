-- Drift checks of deployed models: one row per check, with the per-column results and the report artifact.
CREATE TABLE drift_reports (
  id             bigserial PRIMARY KEY,
  model          text NOT NULL,
  version        integer NOT NULL,
  at             timestamptz NOT NULL DEFAULT now(),
  rows           integer NOT NULL,
  drifted_share  double precision NOT NULL,
  dataset_drift  boolean NOT NULL,
  columns        jsonb NOT NULL,
  report_uri     text NOT NULL
);
CREATE INDEX drift_reports_model_at ON drift_reports (model, at);
