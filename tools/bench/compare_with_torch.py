#!/usr/bin/python3
"""Side-by-side table of `maesil.jar bench --json` and torch_anchor.py, run on the same machine.

    env -u OPENBLAS_CORETYPE -u OPENBLAS_L2_SIZE /usr/bin/python3 ../shared/bench/torch_anchor.py --quick > torch.txt
    java -Xmx16g -jar harness/target/maesil.jar bench --json --quick > java.json
    /usr/bin/python3 tools/bench/compare_with_torch.py torch.txt java.json

Prints a markdown table: work, Java median ms, PyTorch median ms, speed ratio = PyTorch ms / Java ms
(>= 1.0: Java at least as fast), the background load of both runs (bg% over very short timed
windows, e.g. matmul 512, is coarse: /proc/stat counts in 10 ms ticks), and Java's memory figures.
"""
import json
import re
import sys

# bench row id -> torch_anchor.py benchmark names (the first one found is compared)
PAIRS = {
    "matmul512": ["torch.mm 512^3  threads=2"],
    "matmul1024": ["torch.mm 1024^3  threads=2"],
    "matmul2048": ["torch.mm 2048^3  threads=2"],
    "patch-embed": ["patch-embed as Linear fwd+bwd (dW, db)", "patch-embed k8s8 1->768 [2,1,128^3] fwd+bwd"],
    "conv-stack": ["AE stack 1->32->64 k3s2p1 [2,1,64^3] fwd+bwd"],
    "attn1024": ["attn L=1024 fwd+bwd"],
    "attn4096": ["attn L=4096 fwd+bwd"],
    "mae-small": ["MAE 64^3/p8 E192 d6 h3 | dec 128 d2 train step B=2"],
    "mae-big": ["MAE 128^3/p8 E768 d12 h12 | dec 128 d2 train step B=2"],
}
LINE = re.compile(r"^  (.+?)\s+(\d+\.\d+)\s+(\d+\.\d+)\s+(\S+)\s+(\S+)\s+(\d+)\s*(.*)$")


def parse_torch(lines):
    """{benchmark name: (median ms, min ms, bg%)} from torch_anchor.py's printed rows."""
    rows = {}
    for line in lines:
        if line.startswith("== summary"):
            break
        m = LINE.match(line.rstrip("\n"))
        if m:
            rows[m.group(1).strip()] = (float(m.group(2)), float(m.group(3)), int(m.group(6)))
    return rows


def read_torch(path):
    with open(path) as f:
        return parse_torch(f)


def cell(text):
    """Markdown table cell: escape the pipes some benchmark names contain."""
    return text.replace("|", "\\|")


def main():
    if len(sys.argv) != 3:
        sys.exit("usage: compare_with_torch.py TORCH_OUTPUT.txt JAVA_BENCH.json")
    torch = read_torch(sys.argv[1])
    with open(sys.argv[2]) as f:
        java = json.load(f)
    print(f"Java: {java['backend']}, {java['jvm']}, {java['machine']}, {java['date']}")
    print()
    print("| work | Java median ms (min) | PyTorch median ms (min) | PyTorch row | speed ratio | bg% Java / PyTorch | Java live heap MiB | Java RSS peak MiB |")
    print("|---|---:|---:|---|---:|---:|---:|---:|")
    for r in java["rows"]:
        names = [n for n in PAIRS.get(r["id"], []) if n in torch]
        if names:
            tm, tn, bg = torch[names[0]]
            ratio = f"{tm / r['median_ms']:.2f}"
            tcell = f"{tm:.1f} ({tn:.1f})"
            tname = names[0]
        else:
            ratio, tcell, tname, bg = "-", "not run", "-", "-"
        print(f"| {cell(r['work'])} | {r['median_ms']:.1f} ({r['min_ms']:.1f}) | {tcell} | {cell(tname)} | {ratio} | "
              f"{r['background_percent']:.0f} / {bg} | {r['live_heap_mib']:.0f} | {r['rss_peak_so_far_mib']:.0f} |")
        # the patch embedding is also shown against PyTorch's conv3d form
        if r["id"] == "patch-embed" and len(PAIRS["patch-embed"]) > 1 and PAIRS["patch-embed"][1] in torch:
            tm, tn, bg2 = torch[PAIRS["patch-embed"][1]]
            print(f"| (same, vs PyTorch's Conv3d) | {r['median_ms']:.1f} ({r['min_ms']:.1f}) | {tm:.1f} ({tn:.1f}) | "
                  f"{PAIRS['patch-embed'][1]} | {tm / r['median_ms']:.2f} | {r['background_percent']:.0f} / {bg2} | | |")


if __name__ == "__main__":
    main()
