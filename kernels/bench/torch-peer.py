# PyTorch peer for `npm run kernels:bench`: the same conv2d shapes, the LeNet-style CNN and the
# 2-64-64-3 MLP on this CPU, one thread. Prints one JSON line. Synthetic data of the same
# shapes: the figures are throughput, not accuracy.
import json, sys, time
import torch
import torch.nn as nn

torch.set_num_threads(1)
torch.manual_seed(0)
args = json.loads(sys.argv[1])
quick = args["quick"]

def timed(fn, budget):
    fn()
    n, start = 0, time.perf_counter()
    while True:
        fn(); n += 1
        elapsed = time.perf_counter() - start
        if elapsed >= budget and n >= 3:
            return elapsed / n

conv = {}
with torch.no_grad():
    for s in args["shapes"]:
        x = torch.rand(s["n"], s["c"], s["h"], s["w"]) * 2 - 1
        layer = nn.Conv2d(s["c"], s["f"], s["k"], padding=s["padding"], bias=False)
        sec = timed(lambda: layer(x), 0.05 if quick else 0.5)
        oh = s["h"] if s["padding"] == "same" else s["h"] - s["k"] + 1
        ow = s["w"] if s["padding"] == "same" else s["w"] - s["k"] + 1
        conv[s["label"]] = 2 * s["n"] * oh * ow * s["k"] * s["k"] * s["c"] * s["f"] / sec / 1e9

def train_rate(model, x, y, batch):
    opt = torch.optim.Adam(model.parameters(), lr=0.001)
    loss_fn = nn.CrossEntropyLoss()
    def epoch():
        for i in range(0, x.shape[0], batch):
            opt.zero_grad()
            loss_fn(model(x[i:i + batch]), y[i:i + batch]).backward()
            opt.step()
    epoch()
    start = time.perf_counter()
    epoch()
    return x.shape[0] / (time.perf_counter() - start)

n = 512 if quick else 4000
lenet = nn.Sequential(
    nn.Conv2d(1, 8, 5, padding="same"), nn.ReLU(), nn.MaxPool2d(2),
    nn.Conv2d(8, 16, 5), nn.ReLU(), nn.AvgPool2d(2), nn.Flatten(),
    nn.Linear(400, 64), nn.ReLU(), nn.Dropout(0.25), nn.Linear(64, 10))
lenet_rate = train_rate(lenet, torch.rand(n, 1, 28, 28), torch.randint(0, 10, (n,)), 64)
m = 2000 if quick else 20000
mlp = nn.Sequential(nn.Linear(2, 64), nn.ReLU(), nn.Linear(64, 64), nn.ReLU(), nn.Linear(64, 3))
mlp_rate = train_rate(mlp, torch.rand(m, 2), torch.randint(0, 3, (m,)), 32)
print(json.dumps({"convGflops": conv, "lenetSamplesPerSec": lenet_rate, "smallMlpSamplesPerSec": mlp_rate, "torch": torch.__version__}))
