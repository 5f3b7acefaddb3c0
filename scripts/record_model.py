#!/usr/bin/env python3
"""Records a shipped model in models/models.json: its kind, size and sha256, the data it was
trained on (path and sha256), the commands and commit that trained it, how long it took, and
its figures. Other models' records are kept; the file is replaced atomically.

  scripts/record_model.py --name NAME --kind KIND --file MODEL --data FILE... \
      --command CMD... --seconds S --figures JSON [--note TEXT] [--commit SHA]
"""
import argparse
import datetime
import hashlib
import json
import os
import subprocess
import sys


def sha256_of(path):
    digest = hashlib.sha256()
    with open(path, "rb") as file:
        for block in iter(lambda: file.read(1 << 20), b""):
            digest.update(block)
    return digest.hexdigest()


def cpu_model():
    with open("/proc/cpuinfo") as cpuinfo:
        for line in cpuinfo:
            if line.startswith("model name"):
                return line.split(":", 1)[1].strip()
    return "unknown"


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--models-json", default=None, help="default: models/models.json beside this script")
    parser.add_argument("--name", required=True)
    parser.add_argument("--kind", required=True)
    parser.add_argument("--file", required=True, help="the shipped model file")
    parser.add_argument("--data", nargs="+", required=True, help="the files it was trained on")
    parser.add_argument("--command", nargs="+", required=True, help="the commands that made it, in order")
    parser.add_argument("--seconds", type=float, required=True, help="how long training took")
    parser.add_argument("--figures", required=True, help="a JSON object")
    parser.add_argument("--note", default="")
    parser.add_argument("--commit", default=None, help="the commit whose build trained it (default: HEAD)")
    args = parser.parse_args()

    root = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
    path = args.models_json or os.path.join(root, "models", "models.json")
    records = {"models": {}}
    if os.path.exists(path):
        with open(path) as file:
            records = json.load(file)
    commit = args.commit or subprocess.run(["git", "-C", root, "rev-parse", "HEAD"], capture_output=True,
                                           text=True).stdout.strip()
    record = {
        "kind": args.kind,
        "file": os.path.basename(args.file),
        "bytes": os.path.getsize(args.file),
        "sha256": sha256_of(args.file),
        "data": [{"path": os.path.relpath(os.path.abspath(d), root), "sha256": sha256_of(d)} for d in args.data],
        "commands": args.command,
        "commit": commit,
        "trained": datetime.date.today().isoformat(),
        "cpu": cpu_model(),
        "training_seconds": round(args.seconds),
        "figures": json.loads(args.figures),
    }
    if args.note:
        record["note"] = args.note
    records["models"][args.name] = record
    records["models"] = dict(sorted(records["models"].items()))
    temporary = path + ".tmp"
    with open(temporary, "w") as file:
        json.dump(records, file, indent=2, ensure_ascii=False)
        file.write("\n")
    os.replace(temporary, path)
    print(f"record_model: recorded {args.name} in {path}", file=sys.stderr)


if __name__ == "__main__":
    main()
