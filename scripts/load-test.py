#!/usr/bin/env python3
"""Drives serve-model with concurrent streaming clients and reports throughput and latency.

    scripts/load-test.py [--serve-model BIN | --url URL --pid PID] [--clients N] [--requests M]
                         [--max-tokens K] [--disconnects D] [--model NAME] [--check]

Each of N clients sends streaming completions one after another until M requests have been
sent in all; D of them (spread evenly) close the connection halfway. It prints JSON:
aggregate units/s, units per SSE chunk, time to first unit and time per unit (p50/p95/p99, milliseconds), errors,
and the server's RSS before, after the first 100 requests (or the first tenth) and after the
last. With --serve-model it starts its own server on a free port (--server-threads, default 2) and stops it.
Every loop is bounded in count and time; --check exits 1 when a request failed other than by
a planned disconnect, or the final RSS is more than 10% above the early one.
Standard library only.
"""
import argparse
import http.client
import json
import os
import re
import signal
import socket
import subprocess
import sys
import threading
import time
from urllib.parse import urlparse


def percentile(values, fraction):
    if not values:
        return None
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(round(fraction * (len(ordered) - 1))))]


def rss_bytes(pid):
    with open("/proc/%d/status" % pid) as status:
        for line in status:
            if line.startswith("VmRSS:"):
                return int(line.split()[1]) * 1024
    return None


class Load:
    def __init__(self, host, port, args):
        self.host, self.port, self.args = host, port, args
        self.lock = threading.Lock()
        self.next_request = 0
        self.done = 0
        self.units = 0
        self.chunks = 0
        self.first_unit, self.unit_gaps, self.errors = [], [], []
        self.disconnected = 0
        self.early_rss = None

    def take_request(self):
        with self.lock:
            if self.next_request >= self.args.requests:
                return None
            self.next_request += 1
            return self.next_request - 1

    def planned_disconnect(self, index):
        d = self.args.disconnects
        return d > 0 and index * d // self.args.requests != (index + 1) * d // self.args.requests

    def one(self, index, deadline):
        body = {"prompt": "ROMEO:", "max_tokens": self.args.max_tokens, "stream": not self.args.no_stream, "seed": index,
                "temperature": 0.8}
        if self.args.model:
            body["model"] = self.args.model
        disconnect = self.planned_disconnect(index)
        connection = http.client.HTTPConnection(self.host, self.port, timeout=max(1.0, deadline - time.time()))
        started = time.perf_counter()
        first, last, units, chunks = None, None, 0, 0
        try:
            connection.request("POST", "/v1/completions", json.dumps(body), {"Content-Type": "application/json"})
            response = connection.getresponse()
            if response.status != 200:
                raise RuntimeError("HTTP %d: %s" % (response.status, response.read()[:200]))
            if self.args.no_stream:  # the whole text at once: its wait counts as the first unit's
                units = len(json.loads(response.read())["choices"][0]["text"])
                with self.lock:
                    self.first_unit.append(time.perf_counter() - started)
            for line in [] if self.args.no_stream else response.fp:
                if time.time() > deadline:
                    raise RuntimeError("timed out")
                if not line.startswith(b"data: "):
                    continue
                payload = line[6:].strip()
                if payload == b"[DONE]":
                    break
                chunk = json.loads(payload)
                if "error" in chunk:
                    raise RuntimeError(chunk["error"]["message"])
                got = len(chunk["choices"][0]["text"])
                if got == 0:
                    continue
                now = time.perf_counter()
                if first is None:
                    first = now
                    with self.lock:
                        self.first_unit.append(now - started)
                else:
                    # A chunk that carries several units spreads its wait over them.
                    with self.lock:
                        self.unit_gaps.extend([(now - last) / got] * got)
                last = now
                units += got
                chunks += 1
                if disconnect and units >= self.args.max_tokens // 2:
                    connection.sock.shutdown(socket.SHUT_RDWR)
                    with self.lock:
                        self.disconnected += 1
                    break
        except Exception as error:  # every failure is counted, none stops the run
            with self.lock:
                self.errors.append("request %d: %s" % (index, error))
        finally:
            connection.close()
        with self.lock:
            self.units += units
            self.chunks += chunks
            self.done += 1
            if self.early_rss is None and self.done >= self.early_mark and self.args.pid:
                self.early_rss = rss_bytes(self.args.pid)

    def client(self, deadline):
        while time.time() < deadline:
            index = self.take_request()
            if index is None:
                return
            self.one(index, deadline)

    def run(self):
        self.early_mark = self.args.early or min(100, max(1, self.args.requests // 10))
        before = rss_bytes(self.args.pid) if self.args.pid else None
        deadline = time.time() + self.args.seconds
        threads = [threading.Thread(target=self.client, args=(deadline,)) for _ in range(self.args.clients)]
        started = time.perf_counter()
        for thread in threads:
            thread.start()
        for thread in threads:
            thread.join()
        seconds = time.perf_counter() - started
        after = rss_bytes(self.args.pid) if self.args.pid else None
        ms = lambda values, fraction: None if not values else round(1000 * percentile(values, fraction), 2)
        return {
            "clients": self.args.clients, "requests": self.done, "max_tokens": self.args.max_tokens,
            "seconds": round(seconds, 3), "units": self.units, "units_per_second": round(self.units / seconds, 1),
            "units_per_chunk": round(self.units / self.chunks, 3) if self.chunks else None,
            "time_to_first_unit_ms": {p: ms(self.first_unit, f) for p, f in (("p50", .5), ("p95", .95), ("p99", .99))},
            "time_per_unit_ms": {p: ms(self.unit_gaps, f) for p, f in (("p50", .5), ("p95", .95), ("p99", .99))},
            "disconnects": self.disconnected, "errors": len(self.errors), "error_examples": self.errors[:5],
            "rss_bytes": {"before": before, "after_early": self.early_rss, "early_mark": self.early_mark,
                          "after": after},
        }


def start_server(binary, threads, extra):
    process = subprocess.Popen([binary, "--port", "0", "--threads", str(threads), *extra], stdout=subprocess.PIPE, text=True)
    line = process.stdout.readline()
    match = re.search(r"listening on http://([\d.]+):(\d+)", line)
    if not match:
        process.kill()
        sys.exit("load-test: serve-model did not start: " + line)
    return process, match.group(1), int(match.group(2))


def main():
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--serve-model", help="start this serve-model binary on a free port")
    parser.add_argument("--server-threads", type=int, default=2, help="the started server's --threads")
    parser.add_argument("--server-flag", action="append", default=[], help="an extra flag for the started server")
    parser.add_argument("--early", type=int, help="measure RSS after this many requests (default: 100, or a tenth)")
    parser.add_argument("--url", default="http://127.0.0.1:8080")
    parser.add_argument("--pid", type=int, help="the server's process id, to read its RSS")
    parser.add_argument("--clients", type=int, default=16)
    parser.add_argument("--requests", type=int, default=64)
    parser.add_argument("--max-tokens", type=int, default=200)
    parser.add_argument("--disconnects", type=int, default=0)
    parser.add_argument("--model")
    parser.add_argument("--seconds", type=float, default=600, help="stop sending after this long")
    parser.add_argument("--no-stream", action="store_true",
                        help="ask for whole completions instead of events, to measure what streaming costs")
    parser.add_argument("--check", action="store_true")
    parser.add_argument("--ignore-rss", action="store_true",
                        help="with --check, leave RSS out (a sanitizer's quarantine keeps freed memory)")
    args = parser.parse_args()
    if args.no_stream and args.disconnects:
        parser.error("--disconnects needs streaming")
    if args.clients < 1 or args.requests < 1 or args.max_tokens < 1 or not 0 <= args.disconnects <= args.requests:
        parser.error("--clients, --requests and --max-tokens must be positive, --disconnects at most --requests")
    process = None
    if args.serve_model:
        process, host, port = start_server(args.serve_model, args.server_threads, args.server_flag)
        args.pid = process.pid
    else:
        url = urlparse(args.url)
        host, port = url.hostname, url.port or 80
    try:
        report = Load(host, port, args).run()
    finally:
        if process:
            process.send_signal(signal.SIGTERM)
            process.wait(timeout=10)
    print(json.dumps(report, indent=2))
    if args.check:
        rss = report["rss_bytes"]
        grown = not args.ignore_rss and rss["after_early"] and rss["after"] > 1.10 * rss["after_early"]
        if report["errors"] or grown or report["requests"] != args.requests:
            sys.exit("load-test: %d errors, %d of %d requests, RSS %s after the first %d and %s at the end" % (
                report["errors"], report["requests"], args.requests, rss["after_early"], rss["early_mark"],
                rss["after"]))


if __name__ == "__main__":
    main()
