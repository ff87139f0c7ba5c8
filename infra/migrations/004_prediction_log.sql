-- The model server's prediction log, partitioned by day (retention drops whole days), and the ground truth
-- that feedback joins to it by prediction id.
CREATE TABLE predictions (
  id             uuid NOT NULL,
  at             timestamptz NOT NULL DEFAULT now(),
  model          text NOT NULL,
  version        integer NOT NULL,
  features       jsonb NOT NULL,
  output         jsonb NOT NULL,
  PRIMARY KEY (id, at)
) PARTITION BY RANGE (at);
-- Rows for a day whose partition does not exist yet land here rather than fail.
CREATE TABLE predictions_default PARTITION OF predictions DEFAULT;
CREATE INDEX predictions_model_at ON predictions (model, at);
CREATE INDEX predictions_id ON predictions (id);

CREATE TABLE feedback (
  prediction_id  uuid PRIMARY KEY,
  label          text NOT NULL,
  at             timestamptz NOT NULL DEFAULT now()
);
