#!/usr/bin/env python3
"""What crossing into Python costs: generate(length=1) per call from Python against the same
call from C++ (bench-call), and score() throughput from Python against evaluate-model's, on the
shipped shakespeare model, medians of --runs runs alternating between the two sides.

    /usr/bin/python3 scripts/bench-python.py [--build build] [--threads 2] [--runs 5]
"""
import argparse
import json
import os
import statistics
import subprocess
import sys
import tempfile
import time

here = os.path.dirname(os.path.abspath(__file__))


def main():
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--build", default=os.path.join(here, "..", "build"))
    parser.add_argument("--threads", type=int, default=2)
    parser.add_argument("--runs", type=int, default=5)
    parser.add_argument("--calls", type=int, default=300)
    args = parser.parse_args()
    sys.path.insert(0, os.path.join(args.build, "python"))
    import charloom

    charloom.set_threads(args.threads)
    model = charloom.load("shakespeare")
    env = {**os.environ, "OMP_NUM_THREADS": str(args.threads)}
    text = model.generate("KING:", length=20000, seed=1) * 5
    with tempfile.NamedTemporaryFile("w", suffix=".txt", delete=False) as file:
        file.write(text)
    cpp_call, py_call, cpp_score, py_score = [], [], [], []
    for _ in range(args.runs):
        out = subprocess.run([os.path.join(args.build, "tests", "tools", "bench-call"), "--calls", str(args.calls),
                              "--runs", "1"], env=env, check=True, capture_output=True, text=True).stdout
        cpp_call.append(json.loads(out)["us_per_generate_call"])
        model.generate("ROMEO:", length=1, seed=0)
        started = time.perf_counter()
        for call in range(args.calls):
            model.generate("ROMEO:", length=1, seed=call)
        py_call.append((time.perf_counter() - started) / args.calls * 1e6)
        out = subprocess.run([os.path.join(args.build, "apps", "evaluate-model"), "--threads", str(args.threads),
                              file.name], check=True, capture_output=True, text=True).stdout
        cpp_score.append(json.loads(out)["chars_per_second"])
        started = time.perf_counter()
        figures = model.score(text)
        py_score.append(figures["units_scored"] / (time.perf_counter() - started))
    os.unlink(file.name)
    report = {
        "threads": args.threads, "runs": args.runs,
        "generate(length=1), us per call": {"c++": round(statistics.median(cpp_call), 1),
                                            "python": round(statistics.median(py_call), 1)},
        "score, units/s": {"evaluate-model": round(statistics.median(cpp_score)),
                           "python": round(statistics.median(py_score))},
    }
    calls = report["generate(length=1), us per call"]
    report["python's cost per call, us"] = round(calls["python"] - calls["c++"], 1)
    report["python / evaluate-model, score"] = round(
        report["score, units/s"]["python"] / report["score, units/s"]["evaluate-model"], 3)
    print(json.dumps(report, indent=2))


if __name__ == "__main__":
    main()
