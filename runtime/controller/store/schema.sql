-- discalc controller store. Everything a restart needs; the rest is soft state.
CREATE TABLE IF NOT EXISTS meta (key TEXT PRIMARY KEY, value TEXT NOT NULL);

CREATE TABLE IF NOT EXISTS sweeps (
  id INTEGER PRIMARY KEY,
  name TEXT NOT NULL,
  config_hash TEXT NOT NULL,
  config TEXT NOT NULL,
  state TEXT NOT NULL DEFAULT 'running',      -- running | paused | done | cancelled
  lease_ms INTEGER NOT NULL,
  max_attempts INTEGER NOT NULL,
  fanout INTEGER NOT NULL,
  created_at INTEGER NOT NULL,
  finished_at INTEGER,
  extension TEXT                               -- discalc sweep extend: JSON { samples?, repeats? } beyond the config's
);
CREATE INDEX IF NOT EXISTS sweeps_name ON sweeps(name);

CREATE TABLE IF NOT EXISTS trials (
  id INTEGER PRIMARY KEY,
  sweep_id INTEGER NOT NULL REFERENCES sweeps(id),
  idx INTEGER NOT NULL,
  point INTEGER NOT NULL,
  repeat INTEGER NOT NULL,
  params TEXT NOT NULL,
  seed INTEGER NOT NULL,
  config TEXT NOT NULL,
  state TEXT NOT NULL DEFAULT 'queued',        -- queued | leased | done | pruned | diverged | failed | cancelled
  attempts INTEGER NOT NULL DEFAULT 0,
  lease_relay TEXT,
  lease_deadline INTEGER,
  last_error TEXT,
  finished_at INTEGER,
  UNIQUE (sweep_id, idx)
);
CREATE INDEX IF NOT EXISTS trials_state ON trials(state, id);
CREATE INDEX IF NOT EXISTS trials_sweep ON trials(sweep_id, id);
CREATE INDEX IF NOT EXISTS trials_sweep_state ON trials(sweep_id, state);

-- Trials that continue one another (population-based training): where each starts and stops.
CREATE TABLE IF NOT EXISTS trial_lineage (
  trial_id INTEGER PRIMARY KEY REFERENCES trials(id),
  sweep_id INTEGER NOT NULL,
  generation INTEGER NOT NULL,
  slot INTEGER NOT NULL,
  parent_point INTEGER,                        -- the point whose state it starts from; NULL: from scratch
  exploited INTEGER NOT NULL,                  -- 1: took another slot's state and perturbed its hyperparameters
  start_step INTEGER NOT NULL,
  stop_step INTEGER NOT NULL
);
CREATE INDEX IF NOT EXISTS trial_lineage_sweep ON trial_lineage(sweep_id, generation, slot);

CREATE TABLE IF NOT EXISTS attempts (
  trial_id INTEGER NOT NULL REFERENCES trials(id),
  attempt INTEGER NOT NULL,
  relay_id TEXT NOT NULL,
  worker_id TEXT,
  leased_at INTEGER NOT NULL,
  ended_at INTEGER,
  outcome TEXT,                                -- done | failed | diverged | expired | released | cancelled | pruned | superseded
  error TEXT,
  PRIMARY KEY (trial_id, attempt)
);

-- One row per trial: exactly-once storage is this primary key.
CREATE TABLE IF NOT EXISTS results (
  trial_id INTEGER PRIMARY KEY REFERENCES trials(id),
  attempt INTEGER NOT NULL,
  relay_id TEXT NOT NULL,
  worker_id TEXT NOT NULL,
  result_sha TEXT NOT NULL,                    -- SHA-256 of the state the experiment returned
  metrics TEXT NOT NULL,                       -- final metrics, JSON {name: number}
  objective REAL,                              -- the sweep's metric for this trial, for ranking
  outcome TEXT NOT NULL,                       -- info and run time, JSON
  stored_at INTEGER NOT NULL
);

-- Each report of an attempt (a step or an epoch): any metric names, no fixed columns.
CREATE TABLE IF NOT EXISTS reports (
  trial_id INTEGER NOT NULL,
  attempt INTEGER NOT NULL,
  step INTEGER NOT NULL,
  metrics TEXT NOT NULL,                       -- JSON {name: number}
  PRIMARY KEY (trial_id, attempt, step)
);

CREATE TABLE IF NOT EXISTS nodes (
  id TEXT PRIMARY KEY,
  role TEXT NOT NULL,
  host TEXT NOT NULL,
  threads INTEGER NOT NULL,
  url TEXT,
  relay_id TEXT,
  joined_at INTEGER NOT NULL,
  last_seen INTEGER NOT NULL,
  state TEXT NOT NULL DEFAULT 'alive',         -- alive | silent | gone
  bundle_sha TEXT,                             -- the bundle named at its last join
  stats TEXT,
  proven_at INTEGER                            -- first result of this worker the controller stored (the relay policy counts only these)
);

CREATE INDEX IF NOT EXISTS nodes_role ON nodes(role, relay_id, last_seen);

CREATE TABLE IF NOT EXISTS commands (
  seq INTEGER PRIMARY KEY AUTOINCREMENT,
  kind TEXT NOT NULL,
  sweep_id INTEGER,
  trial_id INTEGER,
  bundle_sha TEXT,
  at INTEGER NOT NULL
);

CREATE TABLE IF NOT EXISTS blobs (
  sha TEXT PRIMARY KEY,
  kind TEXT NOT NULL,                          -- bundle | dataset | experiment
  name TEXT NOT NULL,
  bytes INTEGER NOT NULL,
  label TEXT,
  created_at INTEGER NOT NULL
);

-- A trial's stored states (version 5): its latest checkpoint, and its final state while `keep`
-- keeps it. One row per (trial, kind): a newer checkpoint replaces the older. `data` is the
-- state deflated; sha256 is of the raw bytes.
CREATE TABLE IF NOT EXISTS trial_states (
  trial_id INTEGER NOT NULL REFERENCES trials(id),
  kind TEXT NOT NULL,                          -- checkpoint | final
  attempt INTEGER NOT NULL,
  step INTEGER NOT NULL,
  sha256 TEXT NOT NULL,
  raw_bytes INTEGER NOT NULL,
  stored_bytes INTEGER NOT NULL,
  data BLOB NOT NULL,
  created_at INTEGER NOT NULL,
  PRIMARY KEY (trial_id, kind)
);
