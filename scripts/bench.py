#!/usr/bin/env python3
"""Runs charloom's benchmark matrix beside the PyTorch peer and prints one Markdown table of
figures and ratios, writing the same figures as JSON. scripts/bench.sh builds and calls it.

    bench.py BUILD_DIR [--threads 2] [--rounds 3] [--runs 5] [--hidden 128,512]
             [--cells lstm,gru] [--json OUT.json]

Each invocation of a tool times --runs runs after a warm-up and reports their median. The
tools run alternately (charloom, PyTorch, charloom, PyTorch, ...) for --rounds rounds, and
each figure is the median over the rounds. Peak RSS comes from /usr/bin/time."""
import argparse
import json
import os
import platform
import statistics
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent


def run_tool(command, threads):
    """Runs one benchmark invocation; returns its JSON records, each with peak_rss_bytes."""
    env = dict(os.environ, OMP_NUM_THREADS=str(threads), OPENBLAS_NUM_THREADS=str(threads))
    completed = subprocess.run(["/usr/bin/time", "-f", "maxrss_kb=%M", *command], env=env, text=True,
                               capture_output=True, check=False)
    if completed.returncode != 0:
        sys.exit(f"bench.py: error: {' '.join(command)} failed:\n{completed.stderr}")
    rss = next(int(line.split("=")[1]) * 1024 for line in completed.stderr.splitlines() if line.startswith("maxrss_kb="))
    records = [json.loads(line) for line in completed.stdout.splitlines() if line.startswith("{")]
    for record in records:
        record["peak_rss_bytes"] = rss
    return records


def median_of(rounds, key):
    values = [r[key] for r in rounds if key in r]
    return statistics.median(values) if values else None


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("build_dir")
    parser.add_argument("--threads", type=int, default=os.cpu_count())
    parser.add_argument("--rounds", type=int, default=3)
    parser.add_argument("--runs", type=int, default=5)
    parser.add_argument("--hidden", default="128,512")
    parser.add_argument("--cells", default="lstm,gru")
    parser.add_argument("--json", default=None, help="where to write the figures (default BUILD_DIR/bench/results.json)")
    args = parser.parse_args()
    tools = Path(args.build_dir) / "tests" / "tools"
    out = Path(args.json) if args.json else Path(args.build_dir) / "bench" / "results.json"
    runs, threads = str(args.runs), args.threads
    torch_script = [sys.executable, str(ROOT / "scripts" / "bench_torch.py"), "--json", "--threads", str(threads),
                    "--runs", runs]

    results = []
    for cell in args.cells.split(","):
        for hidden in [int(h) for h in args.hidden.split(",")]:
            shape = ["--cell", cell, "--hidden", str(hidden), "--layers", "2"]
            precisions = ["f32", "bf16"] + (["int8"] if cell == "lstm" else [])
            samples = {key: [] for key in ["train", "torch_train", "torch_eval", "torch_sample"]}
            samples.update({f"generate_{p}": [] for p in precisions})
            samples.update({f"train_{p}": [] for p in ["f32", "bf16"]})
            for round_index in range(args.rounds):
                print(f"{cell} 2x{hidden}: round {round_index + 1} of {args.rounds}", file=sys.stderr, flush=True)
                for precision in ["f32", "bf16"]:
                    samples[f"train_{precision}"] += run_tool(
                        [str(tools / "bench-train-step"), *shape, "--precision", precision, "--runs", runs, "--json"], threads)
                samples["torch_train"] += run_tool([*torch_script, "--mode", "train", *shape], threads)
                for precision in precisions:
                    samples[f"generate_{precision}"] += run_tool(
                        [str(tools / "bench-generate"), *shape, "--precision", precision, "--runs", runs,
                         "--length", "1000", "--score-units", "25600", "--json"], threads)
                samples["torch_eval"] += run_tool([*torch_script, "--mode", "eval", *shape], threads)
                samples["torch_sample"] += run_tool([*torch_script, "--mode", "sample", "--length", "300", *shape], threads)
            # What --precision auto picks for this shape here, and why, in the tool's own words.
            auto = run_tool([str(tools / "bench-train-step"), *shape, "--precision", "auto", "--runs", "1", "--json"],
                            threads)[0]
            entry = {"cell": cell, "layers": 2, "hidden": hidden, "rounds": args.rounds, "runs_per_round": args.runs,
                     "auto": {"precision": auto["precision"], "reason": auto["precision_reason"]},
                     "pytorch": {
                         "train_chars_per_second": median_of(samples["torch_train"], "chars_per_second"),
                         "train_peak_rss_bytes": median_of(samples["torch_train"], "peak_rss_bytes"),
                         "eval_chars_per_second": median_of(samples["torch_eval"], "chars_per_second"),
                         "sample_us_per_char": median_of(samples["torch_sample"], "us_per_char"),
                     }, "charloom": {}}
            for precision in precisions:
                figures = {
                    "eval_chars_per_second": median_of(samples[f"generate_{precision}"], "eval_batch_64_chars_per_second"),
                    "sample_us_per_char": median_of(samples[f"generate_{precision}"], "us_per_char"),
                    "samples_64_chars_per_second": median_of(samples[f"generate_{precision}"], "samples_64_chars_per_second"),
                    "inference_peak_rss_bytes": median_of(samples[f"generate_{precision}"], "peak_rss_bytes"),
                }
                if precision in ("f32", "bf16"):
                    train = samples[f"train_{precision}"]
                    figures.update({
                        "train_chars_per_second": median_of(train, "train_chars_per_second"),
                        "train_gflops": median_of(train, "train_gflops"),
                        "sgemm_gflops": median_of(train, "sgemm_gflops"),
                        "train_peak_rss_bytes": median_of(train, "peak_rss_bytes"),
                    })
                    figures["train_fraction_of_sgemm"] = figures["train_gflops"] / figures["sgemm_gflops"]
                entry["charloom"][precision] = figures
            results.append(entry)

    torch_config = subprocess.run([sys.executable, "-c", "import torch; print(torch.__config__.show())"],
                                  capture_output=True, text=True, check=False).stdout
    cpu = next((line.split(":", 1)[1].strip() for line in open("/proc/cpuinfo") if line.startswith("model name")), "?")
    flags = next((line.split(":", 1)[1].split() for line in open("/proc/cpuinfo") if line.startswith("flags")), [])
    machine = {"cpu": cpu, "cores": os.cpu_count(), "threads": threads, "kernel": platform.release(),
               "avx512_bf16": "avx512_bf16" in flags, "avx512_vnni": "avx512_vnni" in flags,
               "amx": sorted(f for f in flags if f.startswith("amx")),
               "flags": sorted(f for f in flags if f.startswith(("avx", "amx", "fma")))}
    out.parent.mkdir(parents=True, exist_ok=True)
    temporary = out.with_suffix(".tmp")
    temporary.write_text(json.dumps({"machine": machine, "pytorch_config": torch_config, "results": results}, indent=2))
    temporary.replace(out)
    print(table(results, machine))
    print(f"\nfigures written to {out}")


def table(results, machine):
    def rate(value):
        return "-" if value is None else f"{value:,.0f}"

    def ratio(ours, theirs, lower_is_better=False):
        if ours is None or theirs is None:
            return "-"
        return f"{(theirs / ours if lower_is_better else ours / theirs):.1f}x"

    lines = [f"Machine: {machine['cpu']}, {machine['cores']} cores, {machine['threads']} threads; "
             f"AVX512-BF16: {'yes' if machine['avx512_bf16'] else 'no (bf16 is emulated)'}; "
             f"VNNI: {'yes' if machine['avx512_vnni'] else 'no'}; AMX: {', '.join(machine['amx']) or 'no'}.",
             "CPU flags: " + " ".join(machine["flags"]) + ".", "",
             *[f"--precision auto for {e['cell'].upper()} 2x{e['hidden']}: {e['auto']['precision']} "
               f"({e['auto']['reason']})." for e in results], "",
             "| model | figure | charloom f32 | charloom bf16 | charloom int8 | PyTorch f32 | f32 / PyTorch | best / PyTorch |",
             "| --- | --- | --- | --- | --- | --- | --- | --- |"]
    for entry in results:
        name = f"{entry['cell'].upper()} 2x{entry['hidden']}"
        ours, theirs = entry["charloom"], entry["pytorch"]
        get = lambda precision, key: ours.get(precision, {}).get(key)  # noqa: E731
        train = [get(p, "train_chars_per_second") for p in ("f32", "bf16")]
        lines.append(f"| {name} | training, chars/s | {rate(train[0])} ({get('f32', 'train_fraction_of_sgemm'):.0%} of sgemm) | "
                     f"{rate(train[1])} | - | {rate(theirs['train_chars_per_second'])} | "
                     f"{ratio(train[0], theirs['train_chars_per_second'])} | "
                     f"{ratio(max(t for t in train if t), theirs['train_chars_per_second'])} |")
        evals = [get(p, "eval_chars_per_second") for p in ("f32", "bf16", "int8")]
        lines.append(f"| {name} | batched evaluation, chars/s | {' | '.join(rate(v) for v in evals)} | "
                     f"{rate(theirs['eval_chars_per_second'])} | {ratio(evals[0], theirs['eval_chars_per_second'])} | "
                     f"{ratio(max(v for v in evals if v), theirs['eval_chars_per_second'])} |")
        sampling = [get(p, "sample_us_per_char") for p in ("f32", "bf16", "int8")]
        cells = " | ".join("-" if v is None else f"{v:,.1f}" for v in sampling)
        lines.append(f"| {name} | batch-1 sampling, µs/char | {cells} | {theirs['sample_us_per_char']:,.1f} | "
                     f"{ratio(sampling[0], theirs['sample_us_per_char'], True)} | "
                     f"{ratio(min(v for v in sampling if v), theirs['sample_us_per_char'], True)} |")
        many = [get(p, "samples_64_chars_per_second") for p in ("f32", "bf16", "int8")]
        lines.append(f"| {name} | batch-64 sampling, chars/s | {' | '.join(rate(v) for v in many)} | - | - | - |")
        memory = [get(p, "train_peak_rss_bytes") for p in ("f32", "bf16")]
        lines.append(f"| {name} | training peak RSS, MiB | {' | '.join(rate(v / 2**20) for v in memory)} | - | "
                     f"{rate(theirs['train_peak_rss_bytes'] / 2**20)} | - | - |")
    return "\n".join(lines)


if __name__ == "__main__":
    main()
