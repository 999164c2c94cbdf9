# The Optuna column of the search benchmark (runtime/bench/search-bench.ts): the same test
# functions as objective/experiment.ts, minimised by Optuna's TPESampler(seed=s) and
# RandomSampler(seed=s) with their defaults, one study per function × sampler × seed.
#   python3 optuna-peer.py '{"functions": ["branin"], "seeds": [0, 1], "trials": 50}'
# Prints one JSON line: {"version": "3.1.0", "best": {fn: {"tpe": [best per seed], "random": [...]}}}.
import json
import math
import sys

import optuna

optuna.logging.set_verbosity(optuna.logging.WARNING)


def branin(x1, x2):
    b, c, t = 5.1 / (4 * math.pi ** 2), 5 / math.pi, 1 / (8 * math.pi)
    return (x2 - b * x1 * x1 + c * x1 - 6) ** 2 + 10 * (1 - t) * math.cos(x1) + 10


H_ALPHA = [1.0, 1.2, 3.0, 3.2]
H_A = [[10, 3, 17, 3.5, 1.7, 8], [0.05, 10, 17, 0.1, 8, 14], [3, 3.5, 1.7, 10, 17, 8], [17, 8, 0.05, 10, 0.1, 14]]
H_P = [[p * 1e-4 for p in row] for row in [[1312, 1696, 5569, 124, 8283, 5886], [2329, 4135, 8307, 3736, 1004, 9991],
                                           [2348, 1451, 3522, 2883, 3047, 6650], [4047, 8828, 8732, 5743, 1091, 381]]]


def hartmann6(x):
    return -sum(H_ALPHA[i] * math.exp(-sum(H_A[i][j] * (x[j] - H_P[i][j]) ** 2 for j in range(6))) for i in range(4))


# optimizer: (floor, curvature in decades of lr, best lr), as in objective/experiment.ts
OPTIMIZERS = {"sgd": (0.5, 1.0, 1e-1), "momentum": (0.2, 0.5, 1e-2), "adam": (0.0, 0.25, 1e-3), "rmsprop": (0.3, 0.75, 1e-4)}


def mixed(lr, optimizer, layers, dropout):
    floor, curv, best = OPTIMIZERS[optimizer]
    return floor + curv * (math.log10(lr) - math.log10(best)) ** 2 + 0.05 * (layers - 3) ** 2 + 2 * (dropout - 0.25) ** 2


OBJECTIVES = {
    "branin": lambda t: branin(t.suggest_float("x1", -5, 10), t.suggest_float("x2", 0, 15)),
    "hartmann6": lambda t: hartmann6([t.suggest_float(f"x{i}", 0, 1) for i in range(6)]),
    "mixed": lambda t: mixed(t.suggest_float("lr", 1e-5, 1, log=True), t.suggest_categorical("optimizer", list(OPTIMIZERS)),
                             t.suggest_int("layers", 1, 8), t.suggest_float("dropout", 0, 0.8)),
}
SAMPLERS = {"tpe": lambda s: optuna.samplers.TPESampler(seed=s), "random": lambda s: optuna.samplers.RandomSampler(seed=s)}


def main():
    args = json.loads(sys.argv[1])
    best = {}
    for fn in args["functions"]:
        best[fn] = {}
        for name, sampler in SAMPLERS.items():
            values = []
            for seed in args["seeds"]:
                study = optuna.create_study(direction="minimize", sampler=sampler(seed))
                study.optimize(OBJECTIVES[fn], n_trials=args["trials"])
                values.append(study.best_value)
            best[fn][name] = values
    print(json.dumps({"version": optuna.__version__, "best": best}))


if __name__ == "__main__":
    main()
