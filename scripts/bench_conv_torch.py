"""PyTorch side of the convolution benchmark (run by scripts/bench-conv): one Adam training step
of LeNet-5 (batch 64) and ResNet-20 (batch 64) on 3x32x32 inputs with cross-entropy, CPU, 2
threads, median of repeated steps, the same architectures as benches/conv.rs. Prints one JSON
line."""
import json
import statistics
import sys
import time

import torch
import torch.nn as nn
import torch.nn.functional as F

torch.set_num_threads(2)
torch.manual_seed(0)


class LeNet5(nn.Module):
    def __init__(self):
        super().__init__()
        self.c1 = nn.Conv2d(3, 6, 5)
        self.c2 = nn.Conv2d(6, 16, 5)
        self.f1 = nn.Linear(400, 120)
        self.f2 = nn.Linear(120, 84)
        self.f3 = nn.Linear(84, 10)

    def forward(self, x):
        x = F.max_pool2d(F.relu(self.c1(x)), 2)
        x = F.max_pool2d(F.relu(self.c2(x)), 2)
        x = x.flatten(1)
        return self.f3(F.relu(self.f2(F.relu(self.f1(x)))))


class Block(nn.Module):
    def __init__(self, cin, cout, stride):
        super().__init__()
        self.a = nn.Conv2d(cin, cout, 3, stride, 1, bias=False)
        self.bn1 = nn.BatchNorm2d(cout)
        self.b = nn.Conv2d(cout, cout, 3, 1, 1, bias=False)
        self.bn2 = nn.BatchNorm2d(cout)
        self.stride, self.pad = stride, cout - cin

    def forward(self, x):
        out = F.relu(self.bn1(self.a(x)))
        out = self.bn2(self.b(out))
        short = x
        if self.stride != 1 or self.pad:
            # Option A: subsample and zero-pad the channels.
            short = F.pad(x[:, :, ::2, ::2], (0, 0, 0, 0, 0, self.pad))
        return F.relu(out + short)


class ResNet20(nn.Module):
    def __init__(self):
        super().__init__()
        self.stem = nn.Conv2d(3, 16, 3, 1, 1, bias=False)
        self.bn = nn.BatchNorm2d(16)
        layers, cin = [], 16
        for cout, stride in [(16, 1), (32, 2), (64, 2)]:
            for i in range(3):
                layers.append(Block(cin, cout, stride if i == 0 else 1))
                cin = cout
        self.layers = nn.Sequential(*layers)
        self.fc = nn.Linear(64, 10)

    def forward(self, x):
        x = F.relu(self.bn(self.stem(x)))
        x = self.layers(x)
        return self.fc(x.mean((2, 3)))


def step_times(model, batch, reps):
    opt = torch.optim.Adam(model.parameters(), lr=1e-3)
    x = torch.randn(batch, 3, 32, 32)
    y = torch.randint(0, 10, (batch,))
    times = []
    for rep in range(reps + 2):
        t = time.perf_counter()
        opt.zero_grad()
        loss = F.cross_entropy(model(x), y)
        loss.backward()
        opt.step()
        if rep >= 2:
            times.append(time.perf_counter() - t)
    return statistics.median(times)


def main():
    reps = int(sys.argv[1]) if len(sys.argv) > 1 else 20
    lenet = step_times(LeNet5(), 64, reps)
    resnet = step_times(ResNet20(), 64, max(reps // 4, 3))
    print(json.dumps({
        "torch": torch.__version__, "threads": torch.get_num_threads(),
        "lenet5_batch64_step_ms": lenet * 1e3, "resnet20_batch64_step_ms": resnet * 1e3,
        "resnet20_params": sum(p.numel() for p in ResNet20().parameters()),
    }))


if __name__ == "__main__":
    main()
