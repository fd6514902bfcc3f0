"""The gradstream bench's CNN update in PyTorch CPU, for case 5 of `npm run bench` (bench/cases/kernels.ts).

The CLI's CNN (lib/models/mnistCnn.ts): conv 3x3x8 valid + ReLU, 2x2 max pool, conv 3x3x16 valid + ReLU,
2x2 max pool, flatten, dense 400 -> 10; channels-last input 28x28x1 (PyTorch runs NCHW, its native layout).
One update = 8 micro-batches of 32: per micro-batch the summed softmax cross-entropy, backward (the gradients
accumulate in .grad, as gradstream sums them), then the mean gradient and one Adam step (lr 1e-3, eps 1e-7).
Inputs are random: the work does not depend on the values.

Serves the bench: after 5 warm-up updates it prints "ready", then for each line n read from stdin runs n
updates and prints "done <ms>" (their time, measured here); so the bench can alternate PyTorch with the
wasm contenders in the same rounds. Ends at end of input.
"""
import argparse
import sys
import time

import torch
from torch import nn

parser = argparse.ArgumentParser()
parser.add_argument("--threads", type=int, default=1)
args = parser.parse_args()
torch.set_num_threads(args.threads)
torch.manual_seed(42)

model = nn.Sequential(
    nn.Conv2d(1, 8, 3), nn.ReLU(), nn.MaxPool2d(2),
    nn.Conv2d(8, 16, 3), nn.ReLU(), nn.MaxPool2d(2),
    nn.Flatten(), nn.Linear(400, 10),
)
opt = torch.optim.Adam(model.parameters(), lr=1e-3, eps=1e-7)
loss_fn = nn.CrossEntropyLoss(reduction="sum")
micro, n = 32, 8
xs = [torch.randn(micro, 1, 28, 28) for _ in range(n)]
ys = [torch.randint(0, 10, (micro,)) for _ in range(n)]


def update():
    opt.zero_grad(set_to_none=True)
    for x, y in zip(xs, ys):
        loss = loss_fn(model(x), y)
        loss.backward()
        float(loss)  # read each micro-batch's loss, as gradstream does
    for p in model.parameters():
        p.grad /= micro * n
    opt.step()


for _ in range(5):
    update()
print("ready", torch.__version__, flush=True)
for line in sys.stdin:
    start = time.perf_counter()
    for _ in range(int(line)):
        update()
    print("done", (time.perf_counter() - start) * 1000, flush=True)
