-- The model server's prediction log and the ground truth that feedback joins to it.
CREATE TABLE predictions (
  id             uuid PRIMARY KEY,
  at             timestamptz NOT NULL DEFAULT now(),
  model          text NOT NULL,
  version        integer NOT NULL,
  features       jsonb NOT NULL,
  output         jsonb NOT NULL
);
CREATE INDEX predictions_model_at ON predictions (model, at);

CREATE TABLE feedback (
  prediction_id  uuid PRIMARY KEY REFERENCES predictions (id) ON DELETE CASCADE,
  label          text NOT NULL,
  at             timestamptz NOT NULL DEFAULT now()
);
