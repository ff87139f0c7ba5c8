-- The domain-classifier (multivariate) drift check of a drift check (null: not run, e.g. too few rows).
ALTER TABLE drift_reports ADD COLUMN domain jsonb;

-- Confidence-based performance estimates (CBPE) of a deployed classifier per monitor window, and, once
-- feedback labels arrive for the window's predictions, the realised values and the estimate's error.
CREATE TABLE performance_estimates (
  id            bigserial PRIMARY KEY,
  model         text NOT NULL,
  version       integer NOT NULL,
  at            timestamptz NOT NULL DEFAULT now(),
  window_start  timestamptz NOT NULL,
  window_end    timestamptz NOT NULL,
  rows          integer NOT NULL,
  estimated     jsonb NOT NULL,
  reference     jsonb NOT NULL,
  realised      jsonb,
  error         jsonb,
  labels        integer,
  realised_at   timestamptz
);
CREATE INDEX performance_estimates_model_at ON performance_estimates (model, at);
