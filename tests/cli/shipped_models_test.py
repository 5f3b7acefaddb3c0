#!/usr/bin/env python3
"""The shipped models against their record in models/models.json.

  shipped_models_test.py record  APPS_DIR SOURCE_DIR   every file's size and sha256, every field
  shipped_models_test.py figures APPS_DIR SOURCE_DIR   evaluate-model and score-sentiment give the
                                                        recorded figures (skipped, exit 77, where
                                                        the data is absent)
"""
import json
import os
import subprocess
import sys

# The record's own checksum function, so that the test computes exactly what was recorded.
sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "..", "scripts"))
from record_model import sha256_of  # noqa: E402

SKIPPED = 77
FIELDS = ("kind", "file", "bytes", "sha256", "data", "commands", "commit", "trained", "cpu", "training_seconds",
          "figures")


def check_record(name, record, models_dir, failures):
    missing = [field for field in FIELDS if field not in record]
    if missing:
        failures.append(f"{name}: the record lacks {', '.join(missing)}")
        return
    path = os.path.join(models_dir, record["file"])
    if not os.path.exists(path):
        failures.append(f"{name}: {path} is missing")
        return
    if os.path.getsize(path) != record["bytes"]:
        failures.append(f"{name}: {os.path.getsize(path)} bytes, recorded {record['bytes']}")
    if sha256_of(path) != record["sha256"]:
        failures.append(f"{name}: its sha256 is not the recorded one; retrain with scripts/train-default-models.sh")


def app_json(apps_dir, app, *args):
    result = subprocess.run([os.path.join(apps_dir, app), *args], capture_output=True, text=True)
    if result.returncode != 0:
        raise RuntimeError(f"{app} {' '.join(args)}: exit {result.returncode}: {result.stderr.strip()}")
    return json.loads(result.stdout)


def check_figures(name, record, models_dir, apps_dir, source_dir, failures):
    """Returns False where the record's data is not here."""
    data = [os.path.normpath(os.path.join(source_dir, item["path"])) for item in record["data"]]
    if not all(os.path.exists(path) for path in data[:2]):
        print(f"{name}: skipped: {data[0]} is absent")
        return False
    for item, path in zip(record["data"], data):
        if os.path.exists(path) and sha256_of(path) != item["sha256"]:
            failures.append(f"{name}: {path} is not the data the model was trained on (sha256 differs)")
    model = os.path.join(models_dir, record["file"])
    figures = record["figures"]
    if record["kind"] == "language-model":
        out = app_json(apps_dir, "evaluate-model", "--model", model, "--split", "val", data[0])
        if abs(out["nats_per_char"] - figures["val_nats_per_char"]) > 1e-4:
            failures.append(f"{name}: {out['nats_per_char']:.6f} nats/char, recorded {figures['val_nats_per_char']:.6f}")
        if out["characters"] != figures["val_characters"]:
            failures.append(f"{name}: scored {out['characters']} characters, recorded {figures['val_characters']}")
        print(f"{name}: {out['nats_per_char']:.6f} nats/char on the validation split, recorded "
              f"{figures['val_nats_per_char']:.6f}")
    else:
        dev = next(path for path in data if path.endswith("sst2-dev.tsv"))
        out = app_json(apps_dir, "score-sentiment", "--model", model, "--eval", dev)
        if out["accuracy"] != figures["dev_accuracy"] or out["texts"] != figures["dev_texts"]:
            failures.append(f"{name}: dev accuracy {out['accuracy']} of {out['texts']} texts, recorded "
                            f"{figures['dev_accuracy']} of {figures['dev_texts']}")
        print(f"{name}: dev accuracy {out['accuracy']:.6f}, recorded {figures['dev_accuracy']:.6f}")
    return True


def main():
    mode, apps_dir, source_dir = sys.argv[1:4]
    models_dir = os.path.join(source_dir, "models")
    if not os.path.exists(os.path.join(models_dir, "models.json")):
        print(f"skipped: {models_dir}/models.json is absent")
        return SKIPPED
    with open(os.path.join(models_dir, "models.json")) as file:
        records = json.load(file)["models"]
    failures, measured = [], 0
    for name, record in sorted(records.items()):
        if mode == "record":
            check_record(name, record, models_dir, failures)
        elif check_figures(name, record, models_dir, apps_dir, source_dir, failures):
            measured += 1
    for failure in failures:
        print("FAIL: " + failure, file=sys.stderr)
    print(f"{len(records)} models, {len(failures)} failures")
    if failures:
        return 1
    return SKIPPED if mode == "figures" and measured == 0 else 0


if __name__ == "__main__":
    sys.exit(main())
