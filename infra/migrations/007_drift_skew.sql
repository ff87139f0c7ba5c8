-- Training/serving skew found by a drift check (null when the spec has no data.keys or the log carries none).
ALTER TABLE drift_reports ADD COLUMN skew jsonb;
