# Optuna's column of runtime/search/tpe-quality.ts: the mean best of `trials` points found by
# Optuna's TPESampler(seed=s) with its defaults, for seeds 0..seeds-1, proposing `batch` points
# at a time by ask/tell (all of a batch asked before any is told; with batch > 1, once with
# constant_liar=False (Optuna's default) and once with constant_liar=True).
#   /usr/bin/python3 tpe-quality-optuna.py '{"functions": ["branin"], "seeds": 100, "trials": 50, "batch": 1}'
# Prints one JSON line: {"version": "3.1.0", "best": {fn: {"tpe": [best per seed], "tpe-liar": [...]}}}.
import json
import math
import os
import sys
import warnings

sys.path.insert(0, os.path.join(os.path.dirname(__file__), "..", "bench", "search"))
import optuna  # noqa: E402

from importlib import import_module  # noqa: E402

peer = import_module("optuna-peer")  # the same functions as the bench
optuna.logging.set_verbosity(optuna.logging.WARNING)
warnings.simplefilter("ignore")


def run(fn, seed, trials, batch, liar):
    sampler = optuna.samplers.TPESampler(seed=seed, constant_liar=liar)
    study = optuna.create_study(direction="minimize", sampler=sampler)
    best = math.inf
    done = 0
    while done < trials:
        asked = [study.ask() for _ in range(min(batch, trials - done))]
        values = [peer.OBJECTIVES[fn](t) for t in asked]
        for t, v in zip(asked, values):
            study.tell(t, v)
            best = min(best, v)
        done += len(asked)
    return best


def main():
    args = json.loads(sys.argv[1])
    batch = args.get("batch", 1)
    best = {}
    for fn in args["functions"]:
        best[fn] = {"tpe": [run(fn, s, args["trials"], batch, False) for s in range(args["seeds"])]}
        if batch > 1:
            best[fn]["tpe-liar"] = [run(fn, s, args["trials"], batch, True) for s in range(args["seeds"])]
    print(json.dumps({"version": optuna.__version__, "best": best}))


if __name__ == "__main__":
    main()
