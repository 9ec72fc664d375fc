#!/usr/bin/env python3
"""Exports the LPIPS v0.1 AlexNet weights to the safetensors file the Java LPIPS reads.

The weights (torchvision's ImageNet AlexNet and the lpips package's linear heads) cannot be
shipped with this project. On a machine with internet access and PyTorch:

    pip install lpips torchvision        # lpips >= 0.1.4
    python3 tools/export_lpips_weights.py --out lpips_alex_v0.1.safetensors

then give the file to maesil with `--lpips-weights FILE` or MAESIL_LPIPS_WEIGHTS=FILE.

The file holds exactly these float32 tensors (names follow torchvision's alexnet().features):
    features.{0,3,6,8,10}.weight  [64,3,11,11] [192,64,5,5] [384,192,3,3] [256,384,3,3] [256,256,3,3]
    features.{0,3,6,8,10}.bias    [64] [192] [384] [256] [256]
    lin{0..4}.weight              [1,64,1,1] [1,192,1,1] [1,384,1,1] [1,256,1,1] [1,256,1,1]
and metadata: the package versions, the SHA-256 of the lpips package's alex.pth, and
selfcheck.lpips, the official lpips.LPIPS distance of two fixed images (see
tools/fixtures/make_lpips_fixtures.py: selfcheck_images). The Java loader recomputes that
distance and refuses a file whose value it does not reproduce.

Before writing, the script checks that the plain-torch re-implementation that the Java code
mirrors (tools/fixtures/make_lpips_fixtures.py) gives the official package's value on the
exported tensors, so a wrong name mapping cannot go unnoticed.
"""
import argparse
import hashlib
import os
import sys

import torch

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, os.path.join(HERE, "fixtures"))
import make_lpips_fixtures as ref  # noqa: E402  (numpy + torch only)
import safetensors_lite  # noqa: E402

# lpips.LPIPS(net='alex') keeps torchvision's features in five slices; the convolutions are
# features[0] in slice1, [3] in slice2, [6] in slice3, [8] in slice4, [10] in slice5.
SLICE_OF = {0: 1, 3: 2, 6: 3, 8: 4, 10: 5}
SHAPES = {
    "features.0.weight": (64, 3, 11, 11), "features.0.bias": (64,),
    "features.3.weight": (192, 64, 5, 5), "features.3.bias": (192,),
    "features.6.weight": (384, 192, 3, 3), "features.6.bias": (384,),
    "features.8.weight": (256, 384, 3, 3), "features.8.bias": (256,),
    "features.10.weight": (256, 256, 3, 3), "features.10.bias": (256,),
    "lin0.weight": (1, 64, 1, 1), "lin1.weight": (1, 192, 1, 1), "lin2.weight": (1, 384, 1, 1),
    "lin3.weight": (1, 256, 1, 1), "lin4.weight": (1, 256, 1, 1),
}


def lin_key(sd, k):
    """lin{k}.model.1.weight with dropout (the default), lin{k}.model.0.weight without."""
    for cand in (f"lin{k}.model.1.weight", f"lin{k}.model.0.weight"):
        if cand in sd:
            return cand
    raise SystemExit(f"error: lpips state dict has no linear head {k} (keys: {sorted(sd)[:8]}...)")


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--out", required=True, help="output .safetensors file")
    args = ap.parse_args()

    import lpips  # imported here so --help works without it
    import torchvision

    model = lpips.LPIPS(net="alex", version="0.1", pretrained=True, verbose=False).eval()
    sd = model.state_dict()
    out = {}
    for idx, sl in SLICE_OF.items():
        for part in ("weight", "bias"):
            key = f"net.slice{sl}.{idx}.{part}"
            if key not in sd:
                raise SystemExit(f"error: lpips state dict has no '{key}'")
            out[f"features.{idx}.{part}"] = sd[key].detach().float().cpu()
    for k in range(5):
        out[f"lin{k}.weight"] = sd[lin_key(sd, k)].detach().float().cpu()
    for name, shape in SHAPES.items():
        if tuple(out[name].shape) != shape:
            raise SystemExit(f"error: {name} has shape {tuple(out[name].shape)}, expected {shape}")

    # The official value on the fixed self-check images ...
    g0, g1 = ref.selfcheck_images()
    with torch.no_grad():
        official = float(model(g0.repeat(1, 3, 1, 1), g1.repeat(1, 3, 1, 1), normalize=True).flatten()[0])
    # ... must equal the re-implementation the Java code mirrors, on the exported tensors.
    mine = ref.selfcheck_value(out)
    if abs(official - mine) > 1e-5:
        raise SystemExit(f"error: re-implementation gives {mine}, lpips package {official}: name mapping is wrong")

    alex_pth = os.path.join(os.path.dirname(lpips.__file__), "weights", "v0.1", "alex.pth")
    sha = hashlib.sha256(open(alex_pth, "rb").read()).hexdigest() if os.path.exists(alex_pth) else "unknown"
    meta = {
        "generator": "tools/export_lpips_weights.py",
        "lpips_version": getattr(lpips, "__version__", "unknown"),
        "torch_version": torch.__version__,
        "torchvision_version": torchvision.__version__,
        "lpips_alex_pth_sha256": sha,
        "selfcheck.lpips": repr(official),
    }
    tmp = args.out + ".tmp"
    safetensors_lite.save(tmp, out, meta)
    os.replace(tmp, args.out)
    print(f"wrote {args.out}: {len(out)} tensors, self-check LPIPS {official:.6f} (re-implementation {mine:.6f})")


if __name__ == "__main__":
    main()
