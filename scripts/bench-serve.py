#!/usr/bin/env python3
"""serve-model's serving figures: aggregate units/s of 16 streaming clients against one client
alone (the ratio is what continuous batching buys), beside the same ratio of generate-text's
batched sampling without HTTP (what batching can give on this CPU at all), what streaming
costs against whole responses (at the server's default --stream-interval and at one chunk per
unit), latency, and memory over 1,000 requests with 100 disconnects.

    scripts/bench-serve.py [--serve-model build/apps/serve-model] [--runs 3] [--threads 2]

Each figure is the median of --runs runs, the configurations alternating so that the
machine's noise falls on all of them. Every run starts its own server (scripts/load-test.py).
"""
import argparse
import json
import os
import statistics
import subprocess
import sys
import time

here = os.path.dirname(os.path.abspath(__file__))


def load(args, *flags):
    command = [sys.executable, os.path.join(here, "load-test.py"), "--serve-model", args.serve_model,
               "--server-threads", str(args.threads), "--max-tokens", str(args.max_tokens), *flags]
    return json.loads(subprocess.run(command, check=True, capture_output=True, text=True).stdout)


def engine_units_per_second(args, samples, length=3000):
    """generate-text's own batched sampling, without HTTP: what batching can give on this CPU."""
    binary = os.path.join(os.path.dirname(args.serve_model), "generate-text")
    started = time.perf_counter()
    subprocess.run([binary, "--length", str(length), "--samples", str(samples), "--seed", "1", "--threads",
                    str(args.threads)], check=True, stdout=subprocess.DEVNULL)
    return samples * length / (time.perf_counter() - started)


def main():
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--serve-model", default=os.path.join(here, "..", "build", "apps", "serve-model"))
    parser.add_argument("--runs", type=int, default=3)
    parser.add_argument("--threads", type=int, default=2)
    parser.add_argument("--max-tokens", type=int, default=400)
    args = parser.parse_args()
    runs = {"1 client": [], "16 clients": [], "16 clients, one chunk per unit": [], "16 clients, whole responses": []}
    engine = {1: [], 16: []}
    for _ in range(args.runs):
        for samples in engine:
            engine[samples].append(engine_units_per_second(args, samples))
        runs["1 client"].append(load(args, "--clients", "1", "--requests", "8"))
        runs["16 clients"].append(load(args, "--clients", "16", "--requests", "64"))
        runs["16 clients, one chunk per unit"].append(
            load(args, "--clients", "16", "--requests", "64", "--server-flag=--stream-interval=0"))
        runs["16 clients, whole responses"].append(load(args, "--clients", "16", "--requests", "64", "--no-stream"))
    median = lambda name, get: statistics.median(get(r) for r in runs[name])
    report = {}
    for name in runs:
        report[name] = {
            "units_per_second": median(name, lambda r: r["units_per_second"]),
            "units_per_chunk": median(name, lambda r: r["units_per_chunk"] or 0),
            "time_to_first_unit_ms_p99": median(name, lambda r: r["time_to_first_unit_ms"]["p99"]),
            "time_to_first_unit_ms_p50": median(name, lambda r: r["time_to_first_unit_ms"]["p50"]),
            "time_per_unit_ms_p50": median(name, lambda r: r["time_per_unit_ms"]["p50"] or 0),
            "time_per_unit_ms_p99": median(name, lambda r: r["time_per_unit_ms"]["p99"] or 0),
            "errors": sum(r["errors"] for r in runs[name]),
        }
    one, sixteen = report["1 client"]["units_per_second"], report["16 clients"]["units_per_second"]
    report["16 clients / 1 client"] = round(sixteen / one, 2)
    batch1, batch16 = statistics.median(engine[1]), statistics.median(engine[16])
    report["generate-text, units/s at --samples 1 and 16"] = [round(batch1), round(batch16)]
    report["generate-text, --samples 16 / --samples 1"] = round(batch16 / batch1, 2)
    whole = report["16 clients, whole responses"]["units_per_second"]
    report["streaming / whole responses"] = round(sixteen / whole, 3)
    report["one chunk per unit / whole responses"] = round(
        report["16 clients, one chunk per unit"]["units_per_second"] / whole, 3)
    churn = load(args, "--clients", "16", "--requests", "1000", "--max-tokens", "100", "--disconnects", "100")
    rss = churn["rss_bytes"]
    report["1000 requests, 100 disconnects"] = {
        "errors": churn["errors"], "disconnects": churn["disconnects"], "units_per_second": churn["units_per_second"],
        "rss_mb_after_100": round(rss["after_early"] / 2**20, 1), "rss_mb_at_end": round(rss["after"] / 2**20, 1),
        "rss_growth": round(rss["after"] / rss["after_early"] - 1, 4),
    }
    print(json.dumps(report, indent=2))


if __name__ == "__main__":
    main()
