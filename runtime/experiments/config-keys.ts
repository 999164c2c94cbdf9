// The keys of a sweep config that are discalc's own, for every experiment: those it reads itself,
// and those of the trial config it acts on. An experiment's own keys are those of its defaults.

/** discalc's keys in a sweep config: everything else is the experiment's trial config. */
export const SWEEP_KEYS: readonly string[] = ["name", "experiment", "metric", "search", "early_stopping", "checkpoint", "keep", "maxAttempts", "leaseSeconds", "relays"];

/** Trial config keys discalc reads for any experiment: the seed, and the datasets it packs and serves. */
export const TRIAL_KEYS: readonly string[] = ["seed", "dataset", "datasets"];
