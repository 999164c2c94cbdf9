# PyTorch peer of the ctx.nn rows of `npm run kernels:bench`, one thread: steps/s of the grokking
# transformer of examples/grokking (the same layers, full batch, AdamW) at the sizes asked, and
# samples/s of the 2-64-64-3 spirals MLP (Adam, batch 32) per activation, in this process's CPU
# time (as the discalc side: other processes' turns on a shared core are not counted). Prints
# one JSON line.
import json, statistics, sys, time
import torch
import torch.nn as nn
import torch.nn.functional as F

torch.set_num_threads(1)
torch.manual_seed(0)
args = json.loads(sys.argv[1])


def median_round(step, warm, rounds, per_round):
    """CPU seconds per call: the median of `rounds` rounds of `per_round` calls, after `warm` calls."""
    for _ in range(warm):
        step()
    times = []
    for _ in range(rounds):
        start = time.process_time()
        for _ in range(per_round):
            step()
        times.append((time.process_time() - start) / per_round)
    return statistics.median(times)


class Grokking(nn.Module):
    def __init__(self, p, d, heads, d_mlp):
        super().__init__()
        self.embed, self.position = nn.Embedding(p + 1, d), nn.Embedding(3, d)
        self.attention = nn.MultiheadAttention(d, heads, batch_first=True)
        self.up, self.down = nn.Linear(d, d_mlp), nn.Linear(d_mlp, d)
        self.unembed = nn.Linear(d, p, bias=False)

    def forward(self, tokens):
        x0 = self.embed(tokens) + self.position(torch.arange(3))
        x1 = x0 + self.attention(x0, x0, x0, need_weights=False)[0]
        x2 = x1 + self.down(F.relu(self.up(x1)))
        return self.unembed(x2[:, 2, :])


def grokking(c):
    p = c["p"]
    pairs = torch.randperm(p * p)[: round(c["trainFraction"] * p * p)]
    a, b = pairs // p, pairs % p
    tokens = torch.stack([a, b, torch.full_like(a, p)], 1)
    labels = (a + b) % p
    model = Grokking(p, c["dModel"], c["heads"], c["dMlp"])
    opt = torch.optim.AdamW(model.parameters(), lr=1e-3, betas=(0.9, 0.98), weight_decay=1.0)

    def step():
        opt.zero_grad()
        F.cross_entropy(model(tokens), labels).backward()
        opt.step()

    return 1 / median_round(step, c["warm"], c["rounds"], c["perRound"])


def mlp(c, activation):
    act = nn.Tanh() if activation == "tanh" else nn.ReLU()
    model = nn.Sequential(nn.Linear(2, 64), act, nn.Linear(64, 64), act, nn.Linear(64, 3))
    n, batch = c["samples"], c["batch"]
    x, y = torch.rand(n, 2) * 2 - 1, torch.randint(0, 3, (n,))
    opt = torch.optim.Adam(model.parameters(), lr=0.01)

    def epoch():
        order = torch.randperm(n)
        for i in range(0, n, batch):
            rows = order[i : i + batch]
            opt.zero_grad()
            F.cross_entropy(model(x[rows]), y[rows]).backward()
            opt.step()

    return n / median_round(epoch, 1, c["rounds"], c["epochsPerRound"])


print(json.dumps({
    "grokking": {g["label"]: grokking(g) for g in args["grokking"]},
    "mlp": {a: mlp(args["mlp"], a) for a in args["mlp"]["activations"]},
    "torch": torch.__version__,
}))
