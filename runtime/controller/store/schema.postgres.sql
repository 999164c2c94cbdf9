-- discalc controller store on PostgreSQL: the tables of schema.sql (SQLite) with PostgreSQL's
-- types (BIGINT for ids and ms timestamps), and the blobs' bytes in the store itself, so the
-- controller's --data folder holds nothing essential.
CREATE TABLE IF NOT EXISTS meta (key TEXT PRIMARY KEY, value TEXT NOT NULL);

CREATE TABLE IF NOT EXISTS sweeps (
  id BIGSERIAL PRIMARY KEY,
  name TEXT NOT NULL,
  config_hash TEXT NOT NULL,
  config TEXT NOT NULL,
  state TEXT NOT NULL DEFAULT 'running',
  lease_ms BIGINT NOT NULL,
  max_attempts INTEGER NOT NULL,
  fanout INTEGER NOT NULL,
  created_at BIGINT NOT NULL,
  finished_at BIGINT,
  extension TEXT
);
CREATE INDEX IF NOT EXISTS sweeps_name ON sweeps(name);

CREATE TABLE IF NOT EXISTS trials (
  id BIGSERIAL PRIMARY KEY,
  sweep_id BIGINT NOT NULL REFERENCES sweeps(id),
  idx INTEGER NOT NULL,
  point INTEGER NOT NULL,
  repeat INTEGER NOT NULL,
  params TEXT NOT NULL,
  seed BIGINT NOT NULL,
  config TEXT NOT NULL,
  state TEXT NOT NULL DEFAULT 'queued',
  attempts INTEGER NOT NULL DEFAULT 0,
  lease_relay TEXT,
  lease_deadline BIGINT,
  last_error TEXT,
  finished_at BIGINT,
  UNIQUE (sweep_id, idx)
);
CREATE INDEX IF NOT EXISTS trials_state ON trials(state, id);
CREATE INDEX IF NOT EXISTS trials_sweep ON trials(sweep_id, id);
CREATE INDEX IF NOT EXISTS trials_sweep_state ON trials(sweep_id, state);

CREATE TABLE IF NOT EXISTS trial_lineage (
  trial_id BIGINT PRIMARY KEY REFERENCES trials(id),
  sweep_id BIGINT NOT NULL,
  generation INTEGER NOT NULL,
  slot INTEGER NOT NULL,
  parent_point INTEGER,
  exploited INTEGER NOT NULL,
  start_step INTEGER NOT NULL,
  stop_step INTEGER NOT NULL
);
CREATE INDEX IF NOT EXISTS trial_lineage_sweep ON trial_lineage(sweep_id, generation, slot);

CREATE TABLE IF NOT EXISTS attempts (
  trial_id BIGINT NOT NULL REFERENCES trials(id),
  attempt INTEGER NOT NULL,
  relay_id TEXT NOT NULL,
  worker_id TEXT,
  leased_at BIGINT NOT NULL,
  ended_at BIGINT,
  outcome TEXT,
  error TEXT,
  PRIMARY KEY (trial_id, attempt)
);

CREATE TABLE IF NOT EXISTS results (
  trial_id BIGINT PRIMARY KEY REFERENCES trials(id),
  attempt INTEGER NOT NULL,
  relay_id TEXT NOT NULL,
  worker_id TEXT NOT NULL,
  result_sha TEXT NOT NULL,
  metrics TEXT NOT NULL,
  objective DOUBLE PRECISION,
  outcome TEXT NOT NULL,
  stored_at BIGINT NOT NULL
);

CREATE TABLE IF NOT EXISTS reports (
  trial_id BIGINT NOT NULL,
  attempt INTEGER NOT NULL,
  step INTEGER NOT NULL,
  metrics TEXT NOT NULL,
  PRIMARY KEY (trial_id, attempt, step)
);

CREATE TABLE IF NOT EXISTS nodes (
  id TEXT PRIMARY KEY,
  role TEXT NOT NULL,
  host TEXT NOT NULL,
  threads INTEGER NOT NULL,
  url TEXT,
  relay_id TEXT,
  joined_at BIGINT NOT NULL,
  last_seen BIGINT NOT NULL,
  state TEXT NOT NULL DEFAULT 'alive',
  bundle_sha TEXT,
  stats TEXT,
  proven_at BIGINT
);
-- Version 4: a store of version 3 gets the column here (idempotent, as the whole file is).
ALTER TABLE nodes ADD COLUMN IF NOT EXISTS proven_at BIGINT;
CREATE INDEX IF NOT EXISTS nodes_role ON nodes(role, relay_id, last_seen);

CREATE TABLE IF NOT EXISTS commands (
  seq BIGSERIAL PRIMARY KEY,
  kind TEXT NOT NULL,
  sweep_id BIGINT,
  trial_id BIGINT,
  bundle_sha TEXT,
  at BIGINT NOT NULL
);

CREATE TABLE IF NOT EXISTS blobs (
  sha TEXT PRIMARY KEY,
  kind TEXT NOT NULL,
  name TEXT NOT NULL,
  bytes BIGINT NOT NULL,
  label TEXT,
  created_at BIGINT NOT NULL
);
CREATE TABLE IF NOT EXISTS blob_data (sha TEXT PRIMARY KEY, data BYTEA NOT NULL);

-- Version 5: a trial's stored states (its latest checkpoint; its final state while `keep` keeps it).
CREATE TABLE IF NOT EXISTS trial_states (
  trial_id BIGINT NOT NULL REFERENCES trials(id),
  kind TEXT NOT NULL,
  attempt INTEGER NOT NULL,
  step BIGINT NOT NULL,
  sha256 TEXT NOT NULL,
  raw_bytes BIGINT NOT NULL,
  stored_bytes BIGINT NOT NULL,
  data BYTEA NOT NULL,
  created_at BIGINT NOT NULL,
  PRIMARY KEY (trial_id, kind)
);
