#!/usr/bin/env python3
"""Compares training runs by validation loss against wall-clock time, for bench.sh --quality.

    quality_report.py PEER.jsonl RUN.jsonl [RUN.jsonl ...]

Each file is train-model's --metrics JSONL (or bench_torch_quality.py's, the same format).
For every loss level the peer reached at one of its validations, it finds when each run first
got at least as low, and prints the ratio of the times: a run that is 5x faster reaches each
of the peer's levels in a fifth of the peer's time. Prints a Markdown table."""
import json
import sys
from pathlib import Path


def evaluations(path):
    records = [json.loads(line) for line in open(path, encoding="utf-8") if line.strip()]
    points = [(r["seconds"], r["val_loss"]) for r in records if r.get("type") == "eval"]
    if not points:
        sys.exit(f"quality_report: error: {path} has no validation records; pass a --metrics file")
    return points


def first_time_at_or_below(points, level):
    return next((seconds for seconds, loss in points if loss <= level), None)


def main():
    if len(sys.argv) < 3:
        sys.exit(__doc__)
    peer_path, *run_paths = sys.argv[1:]
    peer = evaluations(peer_path)
    names = [Path(p).stem for p in run_paths]
    runs = [evaluations(p) for p in run_paths]
    print(f"| peer ({Path(peer_path).stem}) reached | at | " + " | ".join(f"{n}: time (peer's time / it)" for n in names) + " |")
    print("| --- | --- | " + " | ".join("---" for _ in names) + " |")
    worst = {n: None for n in names}
    for seconds, level in peer:
        cells = []
        for name, points in zip(names, runs):
            reached = first_time_at_or_below(points, level)
            if reached is None:
                cells.append("not reached")
                worst[name] = 0.0
            else:
                ratio = seconds / reached
                cells.append(f"{reached:.0f} s ({ratio:.1f}x)")
                if worst[name] != 0.0:
                    worst[name] = ratio if worst[name] is None else min(worst[name], ratio)
        print(f"| {level:.4f} | {seconds:.0f} s | " + " | ".join(cells) + " |")
    print()
    print("| run | final validation loss | best validation loss | smallest speed-up over the peer's levels |")
    print("| --- | --- | --- | --- |")
    for name, points in [(Path(peer_path).stem, peer)] + list(zip(names, runs)):
        ratio = worst.get(name)
        text = "-" if name not in worst else ("a level was never reached" if ratio == 0.0 else f"{ratio:.1f}x")
        print(f"| {name} | {points[-1][1]:.4f} | {min(loss for _, loss in points):.4f} | {text} |")


if __name__ == "__main__":
    main()
