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

--isa avx2 holds both sides to 256-bit AVX2 on a machine with AVX-512, as on the Zen 3 machines
that issue 8's targets name: Java with -XX:UseAVX=2 (the Vector API's preferred species becomes
256 bits, the engine's AVX2 tiles run), PyTorch with OpenBLAS's Haswell kernels
(OPENBLAS_CORETYPE, which torch_anchor.py clears at import: torch is imported first here) and
oneDNN and ATen capped at AVX2 (DNNL_MAX_CPU_ISA, ATEN_CPU_CAPABILITY). It is a proxy for such a
machine, not one: the core's 256-bit throughput and caches are still this machine's.
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


# What --isa avx2 sets: the JVM flag, and the environment of the PyTorch process (torch_anchor.py's
# tuned configuration, which it would otherwise set up by re-executing itself, plus the ISA caps)
AVX2_JAVA = ["-XX:UseAVX=2"]
AVX2_TORCH_ENV = {
    "ANCHOR_REEXEC": "1", "GLIBC_TUNABLES": "glibc.malloc.hugetlb=1",
    "LD_LIBRARY_PATH": "/usr/lib/x86_64-linux-gnu/openblas-openmp",
    "OPENBLAS_CORETYPE": "Haswell", "DNNL_MAX_CPU_ISA": "AVX2", "ONEDNN_MAX_CPU_ISA": "AVX2",
    "ATEN_CPU_CAPABILITY": "avx2",
}


def run_java(jar, rows, isa):
    flags = AVX2_JAVA if isa == "avx2" else []
    out = run(["java", *flags, "-jar", jar, "bench", "--json", "--quick", "--only", ",".join(rows)])
    return {r["id"]: r["median_ms"] for r in json.loads(out)["rows"]}


def run_torch(rows, isa):
    calls = []
    for r in rows:
        if TORCH_CALLS[r] not in calls:
            calls.append(TORCH_CALLS[r])
    # a script file, not `python3 -c`: importing torch_anchor re-executes the script once with its
    # tuned environment (OpenMP OpenBLAS, huge-page malloc), as when it runs on its own; with
    # --isa avx2 that environment is given here and torch (OpenBLAS) is loaded before the import
    script = (f"import sys\nsys.path.insert(0, {ANCHOR_DIR!r})\nimport torch\nimport torch_anchor as t\n"
              "torch.set_num_threads(2)\n" + "".join(f"t.{c}\n" for c in calls))
    env = dict(os.environ, **AVX2_TORCH_ENV) if isa == "avx2" else None
    with tempfile.NamedTemporaryFile("w", suffix=".py", delete=False) as f:
        f.write(script)
    try:
        out = run(["/usr/bin/python3", f.name], cwd=ANCHOR_DIR, env=env)
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
    ap.add_argument("--isa", choices=["native", "avx2"], default="native",
                    help="avx2: both sides held to 256-bit AVX2 (see above)")
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
            java.append(run_java(args.jar, rows, args.isa))
            torch.append(run_torch(rows, args.isa))
        else:
            torch.append(run_torch(rows, args.isa))
            java.append(run_java(args.jar, rows, args.isa))
        print(f"round {i + 1}/{args.rounds} ({'Java' if i % 2 == 0 else 'PyTorch'} first): "
              + ", ".join(f"{r} {java[-1][r]:.1f} / {torch[-1][r]:.1f} ms" for r in rows), file=sys.stderr)
    if args.isa == "avx2":
        print("ISA held to AVX2 on both sides (Java -XX:UseAVX=2; PyTorch: " +
              ", ".join(f"{k}={v}" for k, v in AVX2_TORCH_ENV.items() if k not in ("ANCHOR_REEXEC", "GLIBC_TUNABLES", "LD_LIBRARY_PATH")) + ")")
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
