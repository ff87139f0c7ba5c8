-- Alert webhooks: every delivery attempt (one row per webhook per attempt), for `mlops alerts log`.
CREATE TABLE alert_deliveries (
  id           bigserial PRIMARY KEY,
  alert_id     text NOT NULL,
  event        text NOT NULL,
  model        text NOT NULL,
  version      integer,
  workflow_id  text NOT NULL,
  url          text NOT NULL,
  -- SHA-256 of the full URL: which webhook took the alert (url above is shown without its query string)
  target       text NOT NULL,
  attempt      integer NOT NULL,
  ok           boolean NOT NULL,
  status_code  integer,
  error        text,
  -- true on the attempt after which no more are made (delivered, refused, or given up)
  final        boolean NOT NULL,
  duration_ms  integer NOT NULL,
  at           timestamptz NOT NULL DEFAULT now()
);
CREATE INDEX alert_deliveries_model ON alert_deliveries (model, at DESC);
CREATE INDEX alert_deliveries_alert ON alert_deliveries (alert_id, target);

-- Bearer tokens of the model server: only the SHA-256 of a token is stored; revoked tokens stay listed.
CREATE TABLE serving_tokens (
  name        text PRIMARY KEY,
  scope       text NOT NULL CHECK (scope IN ('predict', 'feedback', 'admin')),
  sha256      text NOT NULL UNIQUE,
  created_by  text NOT NULL,
  created_at  timestamptz NOT NULL DEFAULT now(),
  revoked_at  timestamptz
);
