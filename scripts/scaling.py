#!/usr/bin/env python3
"""Projects data-parallel training of the 2x512 LSTM to N = 2..64 hosts at 10 and 100 Gb/s,
from what scripts/mpi-netns-test.sh measured on this machine. A projection, not a measurement:
this machine has 2 cores, so nothing beyond 2 ranks can be timed here.

    scaling.py [MEASUREMENTS_JSON] [--png OUT.png] [--markdown OUT.md]

The model, per training step (weak scaling: every host keeps a whole machine's batch of 64
streams, so the global batch is 64 N):
  compute    C = one host's measured step (this machine, both cores, batch 64 x 100), and
             C / 10 for a host ten times faster (a 20-core server, say), where communication
             starts to count;
  allreduce  A(N) = 2(N-1)/N x bytes / bandwidth + 2(N-1) x latency (the ring algorithm:
             reduce-scatter then all-gather, 2(N-1) messages per rank);
  no overlap T = C + A;
  overlap    T = C + max(0, A - h C), where h is the fraction of the step that follows the first
             gradient bucket (the head's) and can hide communication. h comes from the 2-host
             measurement: the allreduce time it hid (allreduce minus wait) over the step.
Efficiency is C / T: each host's throughput against a host training alone."""
import argparse
import json
import os
import sys

LINKS = {"10 Gb/s": (10e9, 20e-6), "100 Gb/s": (100e9, 5e-6)}  # bandwidth, per-message latency (assumed)
HOSTS = [2, 4, 8, 16, 32, 64]


def allreduce_seconds(n, size_bytes, bandwidth, latency):
    return 2 * (n - 1) / n * size_bytes * 8 / bandwidth + 2 * (n - 1) * latency


def main():
    root = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("measurements", nargs="?", default=os.path.join(root, "build/mpi/measurements.json"))
    parser.add_argument("--png", default=os.path.join(root, "build/mpi/scaling.png"))
    parser.add_argument("--markdown", default=os.path.join(root, "build/mpi/scaling.md"))
    args = parser.parse_args()
    with open(args.measurements) as f:
        m = json.load(f)
    size_bytes = m["allreduce_veth"]["bytes"]
    compute = m["compute_host_step_seconds"]
    overlap = m["two_hosts_overlap"]
    hidden_seconds = max(0.0, overlap["allreduce_seconds_per_step"] - overlap["allreduce_wait_seconds_per_step"])
    hideable = min(1.0, hidden_seconds / overlap["step_seconds"])
    chars_per_step = 64 * 100

    hosts_kinds = {"this machine": compute, "10x faster host": compute / 10}
    rows = []
    for kind, c in hosts_kinds.items():
        for link, (bandwidth, latency) in LINKS.items():
            for n in HOSTS:
                a = allreduce_seconds(n, size_bytes, bandwidth, latency)
                plain = c + a
                hidden = c + max(0.0, a - hideable * c)
                rows.append({"kind": kind, "link": link, "hosts": n, "allreduce_ms": 1e3 * a,
                             "step_ms": 1e3 * plain, "step_overlap_ms": 1e3 * hidden, "efficiency": c / plain,
                             "efficiency_overlap": c / hidden, "chars_per_second_overlap": n * chars_per_step / hidden})

    veth = m["allreduce_veth"]
    lines = [
        "Projection (not a measurement) from `scripts/scaling.py`, fed by `scripts/mpi-netns-test.sh`:",
        f"gradients {size_bytes / 1e6:.1f} MB; one host's step C = {1e3 * compute:.0f} ms (2x512 LSTM, batch 64 x 100,"
        " this 2-core machine); overlap hides up to h = "
        f"{hideable:.2f} of a step (measured at 2 hosts); link latency assumed 20 µs (10 Gb/s), 5 µs (100 Gb/s).",
        f"Measured here: allreduce over veth {1e3 * veth['median_seconds']:.1f} ms "
        f"({veth['bus_gigabits_per_second']:.1f} Gb/s bus), over loopback TCP "
        f"{1e3 * m['allreduce_loopback_tcp']['median_seconds']:.1f} ms, over shared memory "
        f"{1e3 * m['allreduce_shared_memory']['median_seconds']:.1f} ms.",
        "",
        "| host | link | hosts | allreduce (ms) | step, no overlap (ms) | step, overlap (ms) | efficiency | efficiency with overlap | chars/s with overlap |",
        "| --- | --- | --- | --- | --- | --- | --- | --- | --- |",
    ]
    for r in rows:
        if r["hosts"] not in (2, 8, 64):
            continue  # the plot has every N; the table keeps three
        lines.append(f"| {r['kind']} | {r['link']} | {r['hosts']} | {r['allreduce_ms']:.1f} | {r['step_ms']:.0f} | "
                     f"{r['step_overlap_ms']:.0f} | {100 * r['efficiency']:.0f}% | {100 * r['efficiency_overlap']:.0f}% | "
                     f"{r['chars_per_second_overlap']:,.0f} |")
    text = "\n".join(lines) + "\n"
    os.makedirs(os.path.dirname(os.path.abspath(args.markdown)), exist_ok=True)
    with open(args.markdown, "w") as f:
        f.write(text)
    print(text)

    import matplotlib
    matplotlib.use("Agg")
    import matplotlib.pyplot as plt
    figure, (left, right) = plt.subplots(1, 2, figsize=(11, 4.2))
    for kind, colour in zip(hosts_kinds, ("tab:blue", "tab:red")):
        for link, style in zip(LINKS, ("o-", "s--")):
            mine = [r for r in rows if r["link"] == link and r["kind"] == kind]
            label = f"{kind}, {link}"
            left.plot(HOSTS, [r["step_ms"] for r in mine], style, color=colour, label=f"{label}, no overlap")
            left.plot(HOSTS, [r["step_overlap_ms"] for r in mine], style, color=colour, fillstyle="none",
                      label=f"{label}, overlap")
            right.plot(HOSTS, [100 * r["efficiency"] for r in mine], style, color=colour, label=f"{label}, no overlap")
            right.plot(HOSTS, [100 * r["efficiency_overlap"] for r in mine], style, color=colour, fillstyle="none",
                       label=f"{label}, overlap")
    left.set_yscale("log")
    for axis in (left, right):
        axis.set_xscale("log", base=2)
        axis.set_xticks(HOSTS, [str(n) for n in HOSTS])
        axis.set_xlabel("hosts")
        axis.grid(alpha=0.3)
    left.set_ylabel("step time (ms)")
    right.set_ylabel("scaling efficiency (%)")
    right.set_ylim(0, 105)
    right.legend(fontsize=6, loc="lower left")
    figure.suptitle("PROJECTION: charloom data-parallel 2x512 LSTM, ring allreduce (from measurements on 2 cores)",
                    fontsize=10)
    figure.tight_layout()
    figure.savefig(args.png, dpi=110)
    print(f"wrote {args.png} and {args.markdown}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
