#!/usr/bin/python3
"""Java and PyTorch rows measured in alternation, several rounds, on the same machine.

    /usr/bin/python3 tools/bench/interleave.py --rounds 5 --rows matmul1024,patch-embed,conv-stack

One back-to-back pair of full runs (`bench --json --quick`, then `torch_anchor.py --quick`) puts the
two frameworks minutes apart, and on a shared host the speed of the machine moves by up to 40%
within minutes: the ratio of one pair then says as much about the host as about the code. Here each
round runs only the chosen rows, Java then PyTorch or PyTorch then Java (the order alternates), a
minute or less apart; the table gives every round's ratio and their median.

The PyTorch side is torch_anchor.py itself (its benchmark functions, imported from
../shared/bench, called with its --quick repetition counts); the Java side is `maesil.jar bench
--json --quick --only ROWS`. Rows and their PyTorch counterparts are those of compare_with_torch.py.
"""
import argparse
import json
import os
import statistics
import subprocess
import sys
import tempfile

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from compare_with_torch import PAIRS, parse_torch  # noqa: E402

HERE = os.path.dirname(os.path.abspath(__file__))
ROOT = os.path.dirname(os.path.dirname(HERE))
ANCHOR_DIR = os.path.join(os.path.dirname(ROOT), "shared", "bench")

# bench row id -> the torch_anchor.py call that times its PyTorch counterpart (reps = 3, as --quick)
TORCH_CALLS = {
    "matmul512": "bench_gemm(2, 3)", "matmul1024": "bench_gemm(2, 3)", "matmul2048": "bench_gemm(2, 3)",
    "patch-embed": "bench_conv(3)", "conv-stack": "bench_conv(3)",
    "attn1024": "bench_attention(3, False)", "attn4096": "bench_attention(3, True)",
    "mae-small": 'bench_mae("MAE 64^3/p8 E192 d6 h3 | dec 128 d2", dict(vol=64, patch=8, dim=192, depth=6, '
                 'heads=3, ddim=128, ddepth=2, dheads=4, mask=0.75), B=2, reps=10, warmup=3)',
}


def run(cmd, **kw):
    """stdout of cmd; on failure one line naming the command and its last line of stderr, exit 1."""
    p = subprocess.run(cmd, capture_output=True, text=True, **kw)
    if p.returncode != 0:
        last = (p.stderr.strip().splitlines() or ["(no output)"])[-1]
        sys.exit(f"interleave.py: {' '.join(cmd[:3])} ... failed (exit {p.returncode}): {last}")
    return p.stdout


def run_java(jar, rows):
    out = run(["java", "-jar", jar, "bench", "--json", "--quick", "--only", ",".join(rows)])
    return {r["id"]: r["median_ms"] for r in json.loads(out)["rows"]}


def run_torch(rows):
    calls = []
    for r in rows:
        if TORCH_CALLS[r] not in calls:
            calls.append(TORCH_CALLS[r])
    # a script file, not `python3 -c`: importing torch_anchor re-executes the script once with its
    # tuned environment (OpenMP OpenBLAS, huge-page malloc), as when it runs on its own
    script = (f"import sys\nsys.path.insert(0, {ANCHOR_DIR!r})\nimport torch, torch_anchor as t\n"
              "torch.set_num_threads(2)\n" + "".join(f"t.{c}\n" for c in calls))
    with tempfile.NamedTemporaryFile("w", suffix=".py", delete=False) as f:
        f.write(script)
    try:
        out = run(["/usr/bin/python3", f.name], cwd=ANCHOR_DIR)
    finally:
        os.unlink(f.name)
    torch = parse_torch(out.splitlines())
    result = {}
    for r in rows:
        names = [n for n in PAIRS[r] if n in torch]
        if not names:
            sys.exit(f"interleave.py: torch_anchor.py printed no row for {r} (looked for {PAIRS[r]})")
        result[r] = torch[names[0]][0]
    return result


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--rounds", type=int, default=5)
    ap.add_argument("--rows", default="matmul1024,patch-embed,conv-stack")
    ap.add_argument("--jar", default=os.path.join(ROOT, "harness", "target", "maesil.jar"))
    args = ap.parse_args()
    if not os.path.isfile(args.jar):
        sys.exit(f"interleave.py: --jar: no such file {args.jar} (build it: mvn -B -ntp package -DskipTests)")
    if not os.path.isfile(os.path.join(ANCHOR_DIR, "torch_anchor.py")):
        sys.exit(f"interleave.py: no torch_anchor.py in {ANCHOR_DIR}")
    if args.rounds < 1:
        sys.exit("interleave.py: --rounds: at least 1")
    rows = args.rows.split(",")
    unknown = [r for r in rows if r not in TORCH_CALLS]
    if unknown:
        sys.exit(f"interleave.py: --rows: no PyTorch counterpart for {unknown} (known: {', '.join(TORCH_CALLS)})")
    java, torch = [], []
    for i in range(args.rounds):
        if i % 2 == 0:
            java.append(run_java(args.jar, rows))
            torch.append(run_torch(rows))
        else:
            torch.append(run_torch(rows))
            java.append(run_java(args.jar, rows))
        print(f"round {i + 1}/{args.rounds} ({'Java' if i % 2 == 0 else 'PyTorch'} first): "
              + ", ".join(f"{r} {java[-1][r]:.1f} / {torch[-1][r]:.1f} ms" for r in rows), file=sys.stderr)
    print(f"{args.rounds} rounds, Java and PyTorch alternating (odd rounds Java first); "
          "cells: Java ms / PyTorch ms, ratio = PyTorch / Java (>= 1: Java as fast or faster)")
    print()
    print("| work | " + " | ".join(f"round {i + 1}" for i in range(args.rounds)) + " | median ratio |")
    print("|---|" + "---|" * args.rounds + "---:|")
    for r in rows:
        ratios = [torch[i][r] / java[i][r] for i in range(args.rounds)]
        cells = [f"{java[i][r]:.1f} / {torch[i][r]:.1f}, {ratios[i]:.2f}" for i in range(args.rounds)]
        print(f"| {r} | " + " | ".join(cells) + f" | {statistics.median(ratios):.2f} |")


if __name__ == "__main__":
    main()
