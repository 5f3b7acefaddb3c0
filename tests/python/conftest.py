"""Fixtures of charloom's Python tests: the apps to compare with, and a small corpus."""
import json
import os
import subprocess

import pytest

BIN = os.environ.get("CHARLOOM_BIN", os.path.join(os.path.dirname(__file__), "..", "..", "build", "apps"))


def run_app(app, *args, **kwargs):
    """An app's standard output; the app must succeed."""
    return subprocess.run([os.path.join(BIN, app), *args], check=True, capture_output=True, text=True,
                          **kwargs).stdout


def app_json(app, *args):
    return json.loads(run_app(app, *args))


@pytest.fixture(scope="module")
def corpus(tmp_path_factory):
    """A small corpus a tiny model learns something from in a few steps."""
    path = tmp_path_factory.mktemp("corpus") / "corpus.txt"
    lines = ["the cat sat on the mat.", "a dog ran in the fog!", "to be, or not to be: that is all."]
    path.write_text("\n".join(lines[i % 3] + " " + str(i % 7) for i in range(300)) + "\n")
    return str(path)
