-- Deployment targets of a model version beyond the server (edge, browser bundles) and the server itself: the
-- bundle written, its costs measured at deploy or export, and whether the version is blessed for the target
-- (its gates.maxBundleBytes / gates.maxEdgeP99Ms). One row per (model, version, target); a new measurement replaces it.
CREATE TABLE model_targets (
  model         text NOT NULL,
  version       integer NOT NULL,
  target        text NOT NULL CHECK (target IN ('server', 'edge', 'browser')),
  bundle_uri    text,
  bundle_sha256 text,
  costs         jsonb NOT NULL,
  blessed       boolean NOT NULL,
  reasons       jsonb NOT NULL DEFAULT '[]',
  measured_at   timestamptz NOT NULL DEFAULT now(),
  PRIMARY KEY (model, version, target),
  FOREIGN KEY (model, version) REFERENCES model_versions (model, version)
);
