#!/usr/bin/env python3
"""Draws the training and validation loss of a train-model run against iterations and
against wall-clock time.

    plot-training.py [--ylim LOW,HIGH] METRICS.jsonl [MORE.jsonl ...] OUT.png

Each METRICS file is what `train-model --metrics` wrote; several runs share the axes.
--ylim zooms in on the loss axis, where runs a few hundredths apart would look the same."""
import json
import sys

import matplotlib

matplotlib.use("Agg")
import matplotlib.pyplot as plt  # noqa: E402


def read_metrics(path):
    train, evals = [], []
    with open(path, encoding="utf-8") as f:
        for number, line in enumerate(f, 1):
            line = line.strip()
            if not line:
                continue
            try:
                record = json.loads(line)
            except json.JSONDecodeError as error:
                sys.exit(f"plot-training: error: {path}:{number}: not JSON ({error})")
            (train if record.get("type") == "train" else evals).append(record)
    if not train and not evals:
        sys.exit(f"plot-training: error: {path} has no metrics; pass the file written by train-model --metrics")
    return train, evals


def main():
    arguments = sys.argv[1:]
    limits = None
    if arguments[:1] == ["--ylim"] and len(arguments) > 1:
        try:
            limits = tuple(float(value) for value in arguments[1].split(","))
        except ValueError:
            limits = ()
        if len(limits) != 2:
            sys.exit(f"plot-training: error: --ylim takes LOW,HIGH, such as 1.3,2.0; got {arguments[1]}")
        arguments = arguments[2:]
    if len(arguments) < 2:
        sys.exit(__doc__)
    *inputs, output = arguments
    figure, (by_iteration, by_time) = plt.subplots(1, 2, figsize=(12, 4.5))
    for path in inputs:
        train, evals = read_metrics(path)
        label = path.rsplit("/", 1)[-1].removesuffix(".jsonl")
        for axis, key in ((by_iteration, "iteration"), (by_time, "seconds")):
            scale = 60.0 if key == "seconds" else 1.0
            line, = axis.plot([r[key] / scale for r in train], [r["train_loss"] for r in train],
                              alpha=0.5, label=f"{label} train")
            axis.plot([r[key] / scale for r in evals], [r["val_loss"] for r in evals], "o-",
                      color=line.get_color(), label=f"{label} validation")
    by_iteration.set_xlabel("iteration")
    by_time.set_xlabel("wall-clock minutes")
    for axis in (by_iteration, by_time):
        axis.set_ylabel("loss (nats per character)")
        axis.grid(alpha=0.3)
        if limits:
            axis.set_ylim(*limits)
        axis.legend()
    figure.tight_layout()
    figure.savefig(output, dpi=110)
    print(f"plot-training: wrote {output}")


if __name__ == "__main__":
    main()
