#!/usr/bin/env python3
"""Checks that two training runs agree: every tensor of their model (or checkpoint) files,
and every training loss, gradient norm and validation loss of their JSONL metrics, within a
tolerance. The data-parallel tests use it to compare `mpirun -np N train-model` with one
process, where only the order of float additions differs.

    compare_runs.py [--tolerance T] A.safetensors B.safetensors [A.jsonl B.jsonl]

A tensor agrees when max|a - b| <= T * max(max|a|, 1e-3); a figure when
|a - b| <= T * max(|a|, 1e-3). Prints the worst of each kind; exits 1 on any disagreement."""
import argparse
import json
import struct
import sys

import numpy


def read_tensors(path):
    with open(path, "rb") as f:
        data = f.read()
    (length,) = struct.unpack("<Q", data[:8])
    header = json.loads(data[8:8 + length])
    header.pop("__metadata__", None)
    body = memoryview(data)[8 + length:]
    tensors = {}
    for name, entry in header.items():
        begin, end = entry["data_offsets"]
        tensors[name] = numpy.frombuffer(body[begin:end], dtype=numpy.float32)
    return tensors


def read_metrics(path):
    with open(path) as f:
        return [json.loads(line) for line in f if line.strip()]


def main():
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--tolerance", type=float, default=1e-4)
    parser.add_argument("files", nargs="+")
    args = parser.parse_args()
    if len(args.files) not in (2, 4):
        parser.error("give two model files, then optionally two metrics files")
    failures = []

    a, b = read_tensors(args.files[0]), read_tensors(args.files[1])
    if sorted(a) != sorted(b):
        failures.append(f"the files hold different tensors: {sorted(set(a) ^ set(b))}")
    worst_tensor = (0.0, "")
    for name in sorted(set(a) & set(b)):
        if a[name].shape != b[name].shape:
            failures.append(f"{name}: shapes {a[name].shape} and {b[name].shape}")
            continue
        scale = max(float(numpy.abs(a[name]).max(initial=0.0)), 1e-3)
        error = float(numpy.abs(a[name] - b[name]).max(initial=0.0)) / scale
        worst_tensor = max(worst_tensor, (error, name))
        if error > args.tolerance:
            failures.append(f"{name}: relative difference {error:.3g} > {args.tolerance:g}")
    print(f"tensors: {len(a)} compared, worst relative difference {worst_tensor[0]:.3g} ({worst_tensor[1]})")

    if len(args.files) == 4:
        ma, mb = read_metrics(args.files[2]), read_metrics(args.files[3])
        fields = {"train": ("train_loss", "grad_norm"), "eval": ("val_loss",)}
        records_a = [(r["type"], r["iteration"]) for r in ma if r.get("type") in fields]
        records_b = [(r["type"], r["iteration"]) for r in mb if r.get("type") in fields]
        if records_a != records_b:
            failures.append("the metrics hold different records (iterations or evaluations)")
        worst_figure = (0.0, "")
        for ra, rb in zip(ma, mb):
            for field in fields.get(ra.get("type"), ()):
                x, y = ra[field], rb[field]
                error = abs(x - y) / max(abs(x), 1e-3)
                label = f"{ra['type']} {field} at iteration {ra['iteration']}"
                worst_figure = max(worst_figure, (error, label))
                if error > args.tolerance:
                    failures.append(f"{label}: {x} and {y}, relative difference {error:.3g}")
        print(f"metrics: {len(records_a)} records compared, worst relative difference "
              f"{worst_figure[0]:.3g} ({worst_figure[1]})")

    for failure in failures:
        print("DIFFERS: " + failure, file=sys.stderr)
    return 1 if failures else 0


if __name__ == "__main__":
    sys.exit(main())
