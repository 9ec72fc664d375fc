#!/usr/bin/python3
"""The bench's conv stack (1 -> 32 -> 64, k3 s2 p1, [2,1,64^3]) pass by pass, Java and PyTorch in
alternation, several rounds: where the engine's time against oneDNN's is lost.

    javac -d /tmp/ab tools/bench/ab/*.java          # once (ConvAB times the Java passes)
    /usr/bin/python3 tools/bench/conv_passes.py --rounds 4

Passes (each side times the same work): fwd1, fwd2 (forward of each layer, bias included),
dW2 (weight and bias gradient of layer 2), dX2 (its input gradient), dW1 (weight and bias gradient
of layer 1), and the whole stack (with the ReLU and its mask between). Java: ConvAB with one copy
of tensor/target/classes (its buffers alone in the caches, as in the bench), the median of 15
rounds of 3 calls after 2 s of warm-up per pass (two copies side by side, as in an A/B, or 15
warm-up calls only, made the first layer's passes 1.5-2x slower). PyTorch: in torch_anchor.py's environment, after
its own conv rows (bench_conv), each pass with its timeit (3 warm-ups, median of 20), 2 threads,
from the layers' own autograd (`torch.autograd.grad` on a layer's output, the graph kept). The
order alternates by round; the table gives each pass's median over the rounds.
"""
import argparse
import os
import re
import statistics
import subprocess
import sys
import tempfile

HERE = os.path.dirname(os.path.abspath(__file__))
ROOT = os.path.dirname(os.path.dirname(HERE))
ANCHOR_DIR = os.path.join(os.path.dirname(ROOT), "shared", "bench")
PASSES = ["fwd1", "fwd2", "dW2", "dX2", "dW1", "stack"]

TORCH = r"""
import sys, time
sys.path.insert(0, ANCHOR_DIR)
import torch
import torch_anchor as t  # re-executes this script once in the anchor's tuned environment
import torch.nn as nn, torch.nn.functional as F
torch.set_num_threads(2)
t.bench_conv(3)  # the anchor's own conv rows first: its process state (allocator, oneDNN) as it has it
torch.manual_seed(0)
c1 = nn.Conv3d(1, 32, 3, 2, 1); c2 = nn.Conv3d(32, 64, 3, 2, 1)
x = torch.randn(2, 1, 64, 64, 64); gy = torch.randn(2, 64, 16, 16, 16)
def med(f):
    return t.timeit(f, 3, 20)[0] * 1e3
def stack():
    c1.zero_grad(set_to_none=True); c2.zero_grad(set_to_none=True)
    c2(F.relu(c1(x))).backward(gy)
hr = F.relu(c1(x)).detach().requires_grad_(True)
y2 = c2(hr); y1 = c1(x); g1 = torch.randn_like(y1)
out = {}
with torch.no_grad():
    out["fwd1"] = med(lambda: c1(x)); out["fwd2"] = med(lambda: c2(hr))
out["dW2"] = med(lambda: torch.autograd.grad(y2, [c2.weight, c2.bias], gy, retain_graph=True))
out["dX2"] = med(lambda: torch.autograd.grad(y2, [hr], gy, retain_graph=True))
out["dW1"] = med(lambda: torch.autograd.grad(y1, [c1.weight, c1.bias], g1, retain_graph=True))
out["stack"] = med(stack)
print("PASSES " + " ".join(f"{k}={v:.3f}" for k, v in out.items()))
"""


def run(cmd, cwd=ROOT):
    """stdout of cmd; on failure one line naming the command and its last line of stderr, exit 1."""
    p = subprocess.run(cmd, capture_output=True, text=True, cwd=cwd)
    if p.returncode != 0:
        last = (p.stderr.strip().splitlines() or ["(no output)"])[-1]
        sys.exit(f"conv_passes.py: {' '.join(cmd[:3])} ... failed (exit {p.returncode}): {last}")
    return p.stdout


def java_passes(ab_dir, classes):
    out = run(["java", "--add-modules", "jdk.incubator.vector", "-Xmx8g", "-cp", ab_dir,
               "-Dwork=" + ",".join(PASSES), "-Drounds=15", "-Dwarm=2000", "ConvAB", classes])
    ms = {m.group(1): float(m.group(2)) for m in re.finditer(r"^(\w+)\s+A ([0-9.]+) ms", out, re.M)}
    missing = [p for p in PASSES if p not in ms]
    if missing:
        sys.exit(f"conv_passes.py: ConvAB printed no time for {', '.join(missing)}")
    return ms


def torch_passes():
    # a script file, not `python3 -c`: importing torch_anchor re-executes it in the anchor's tuned
    # environment (OpenMP OpenBLAS, huge-page malloc). Without it, some PyTorch processes here ran
    # fwd1 and dX2 at 35-40 ms instead of 2 and 5; in a fresh process with it, the passes run
    # slower than after the anchor's other conv rows (stack 17 vs 13 ms): hence bench_conv first.
    with tempfile.NamedTemporaryFile("w", suffix=".py", delete=False) as f:
        f.write(f"ANCHOR_DIR = {ANCHOR_DIR!r}\n" + TORCH)
    try:
        out = run(["/usr/bin/python3", f.name], cwd=ANCHOR_DIR)
    finally:
        os.unlink(f.name)
    line = [l for l in out.splitlines() if l.startswith("PASSES ")]
    anchor = [l for l in out.splitlines() if "AE stack" in l and "fwd+bwd" in l]
    if not line or not anchor:
        sys.exit("conv_passes.py: the PyTorch script printed no pass times or no anchor stack row")
    ms = {k: float(v) for k, v in (kv.split("=") for kv in line[0].split()[1:])}
    ms["anchor stack"] = float(anchor[0].split("fwd+bwd")[1].split()[0])
    return ms


def main():
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--rounds", type=int, default=4)
    ap.add_argument("--ab", default="/tmp/ab", help="where ConvAB.class is (javac -d DIR tools/bench/ab/*.java)")
    ap.add_argument("--classes", default=os.path.join(ROOT, "tensor", "target", "classes"))
    a = ap.parse_args()
    if not os.path.isfile(os.path.join(a.ab, "ConvAB.class")):
        sys.exit(f"conv_passes.py: {a.ab}/ConvAB.class not found: javac -d {a.ab} tools/bench/ab/*.java")
    if not os.path.isdir(a.classes):
        sys.exit(f"conv_passes.py: {a.classes} not found: build the tensor module first")
    java, torch = [], []
    for r in range(a.rounds):
        order = [("java", java_passes), ("torch", torch_passes)]
        if r % 2:
            order.reverse()
        for name, f in order:
            (java if name == "java" else torch).append(f(a.ab, a.classes) if name == "java" else f())
        print(f"round {r + 1}/{a.rounds}: " + ", ".join(
            f"{p} {java[-1][p]:.2f} / {torch[-1][p]:.2f}" for p in PASSES), file=sys.stderr)
    print(f"{a.rounds} rounds, Java and PyTorch alternating; medians over the rounds (ms); "
          "ratio = PyTorch / Java (>= 1: Java as fast or faster)\n")
    print("| pass | Java ms | PyTorch ms | ratio | per round (Java / PyTorch) |")
    print("|---|---:|---:|---:|---|")
    for p in PASSES:
        jm = statistics.median(j[p] for j in java)
        tm = statistics.median(t[p] for t in torch)
        rounds = ", ".join(f"{j[p]:.2f} / {t[p]:.2f}" for j, t in zip(java, torch))
        print(f"| {p} | {jm:.2f} | {tm:.2f} | {tm / jm:.2f} | {rounds} |")
    anchor = [t["anchor stack"] for t in torch]
    print(f"\nPyTorch's own row in the same processes (torch_anchor.py's conv stack fwd+bwd, run first): "
          f"median {statistics.median(anchor):.2f} ms ({', '.join(f'{v:.2f}' for v in anchor)})")


if __name__ == "__main__":
    main()
