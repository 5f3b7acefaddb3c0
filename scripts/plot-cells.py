#!/usr/bin/env python3
"""The worked example of docs/python.md, as a script that redraws docs/images/python-cells.png:

1. the shipped shakespeare model: generate, then find the cell whose state follows the
   position in the line, and colour a passage by it;
2. a small model trained here on Python's own standard library (tinyshakespeare has no
   quotation marks): find the cell that tracks whether a string's quote is open.

    /usr/bin/python3 scripts/plot-cells.py [--build build] [--out docs/images/python-cells.png] [--seconds 240]
"""
import argparse
import glob
import io
import os
import sys
import tempfile
import tokenize

import matplotlib

matplotlib.use("Agg")
import matplotlib.pyplot as plt  # noqa: E402
import numpy as np  # noqa: E402

here = os.path.dirname(os.path.abspath(__file__))


def best_cell(cells, target):
    """The cell (layer, index) whose state correlates most with `target` (NaN: not counted),
    and that correlation."""
    units, layers, hidden = cells.shape
    kept = ~np.isnan(target)
    flat, target, units = cells.reshape(units, layers * hidden)[kept], target[kept], int(kept.sum())
    flat = (flat - flat.mean(0)) / (flat.std(0) + 1e-9)
    goal = (target - target.mean()) / (target.std() + 1e-9)
    correlation = flat.T @ goal / units
    best = int(np.argmax(np.abs(correlation)))
    return divmod(best, hidden), float(correlation[best])


def string_states(source):
    """Per character: 1 inside a one-line string literal (its quotes included), 0 outside any
    string, NaN inside a string that spans lines (a docstring), which is left out."""
    line_starts = np.cumsum([0] + [len(line) for line in source.splitlines(keepends=True)])
    state = np.zeros(len(source))
    for token in tokenize.generate_tokens(io.StringIO(source).readline):
        if token.type == tokenize.STRING:
            begin = line_starts[token.start[0] - 1] + token.start[1]
            end = line_starts[token.end[0] - 1] + token.end[1]
            state[begin:end] = 1 if token.start[0] == token.end[0] else np.nan
    return state


def draw(ax, text, values, title):
    """Each character of `text` on a cell coloured by its value (red high, blue low); a line's
    newline is the cell after its last character."""
    lines = text.split("\n")
    grid = np.full((len(lines), max(len(line) for line in lines) + 1), np.nan)
    at = 0
    for row, line in enumerate(lines):
        cells = values[at:at + len(line) + 1]
        grid[row, :len(cells)] = cells
        for column, char in enumerate(line):
            ax.text(column, row, char, ha="center", va="center", fontsize=7, family="monospace")
        at += len(line) + 1
    limit = np.nanmax(np.abs(grid))
    ax.imshow(grid, cmap="coolwarm", vmin=-limit, vmax=limit, aspect="auto", interpolation="nearest")
    ax.set_title(title, fontsize=9, loc="left")
    ax.set_xticks([])
    ax.set_yticks([])


def line_position_cell(charloom, ax):
    model = charloom.load("shakespeare")
    print(model.generate("ROMEO:\n", length=200, seed=7, temperature=0.8))
    passage = model.generate("KING HENRY:\n", length=1500, seed=3, temperature=0.8)
    states = model.states(passage)
    position = np.zeros(len(states["units"]))
    for i in range(1, len(position)):
        position[i] = 0 if states["units"][i - 1] == "\n" else position[i - 1] + 1
    (layer, cell), r = best_cell(states["cell"], position)
    shown = passage[:420]
    draw(ax, shown, states["cell"][:len(shown), layer, cell],
         f"shakespeare: cell {cell} of layer {layer + 1} follows the position in the line (r = {r:+.2f})")


def quote_cell(charloom, ax, seconds, work):
    files = sorted(glob.glob("/usr/lib/python3.11/*.py"))
    corpus = os.path.join(work, "stdlib.py.txt")
    with open(corpus, "w", encoding="utf-8") as out:
        for path in files[:-10]:
            out.write(open(path, encoding="utf-8").read())
    model_path = os.path.join(work, "python-code.safetensors")
    charloom.train(corpus=corpus, output=model_path, layers=1, hidden=256, time_limit=seconds, seed=1,
                   callback=lambda r: print("train: val %.3f nats/char at step %d" % (r["val_loss"], r["iteration"]))
                   if r["kind"] == "evaluation" else None)
    model = charloom.load(model_path)
    held_out = "".join(open(path, encoding="utf-8").read() for path in files[-10:])
    sample = held_out[:6000]
    sample = sample[:sample.rfind("\n") + 1]
    states = model.states(sample, unknown="skip")
    target = string_states(sample)[:len(states["units"])]
    (layer, cell), r = best_cell(states["cell"], target)
    # Show the 12 lines with the most one-line strings.
    starts = [0] + [i + 1 for i, c in enumerate(sample) if c == "\n"]
    counts = [np.nansum(target[starts[i]:starts[min(i + 12, len(starts) - 1)]]) for i in range(len(starts))]
    start = starts[int(np.argmax(counts))]
    shown = "\n".join(sample[start:].split("\n")[:12])
    values = states["cell"][start:start + len(shown), layer, cell]
    draw(ax, shown, values,
         f"a 1x256 model of Python's library: cell {cell} is high inside strings (r = {r:+.2f} with 'a quote is open')")


def main():
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--build", default=os.path.join(here, "..", "build"))
    parser.add_argument("--out", default=os.path.join(here, "..", "docs", "images", "python-cells.png"))
    parser.add_argument("--seconds", type=float, default=240, help="training time of the Python-code model")
    args = parser.parse_args()
    sys.path.insert(0, os.path.join(args.build, "python"))
    import charloom

    figure, axes = plt.subplots(2, 1, figsize=(11, 8.5))
    line_position_cell(charloom, axes[0])
    with tempfile.TemporaryDirectory() as work:
        quote_cell(charloom, axes[1], args.seconds, work)
    figure.tight_layout()
    figure.savefig(args.out, dpi=110)
    print("wrote", args.out)


if __name__ == "__main__":
    main()
