"""LanguageModel from Python against the apps: generate-text, evaluate-model and the sampler."""
import json
import struct
import threading
import time

import numpy as np
import pytest

import charloom
from conftest import app_json, run_app

PRIME = "ROMEO:\nWhat say"


@pytest.fixture(scope="module")
def model():
    charloom.set_threads(1)
    return charloom.load("shakespeare")


def test_load_gives_the_kind_of_model_the_file_holds(model):
    assert isinstance(model, charloom.LanguageModel)
    assert isinstance(charloom.load("sst2"), charloom.SentimentModel)
    assert model.vocabulary[0] == "<unk>" and "\n" in model.vocabulary
    assert json.loads(model.training)["corpus"]
    assert {"shakespeare", "sst2"} <= {m["name"] for m in charloom.models()}


@pytest.mark.parametrize("samples", [1, 3])
def test_generate_is_generate_texts_output(model, samples):
    flags = dict(length=150, temperature=0.7, top_k=30, top_p=0.9, seed=12)
    ours = model.generate(PRIME, samples=samples, stop=["\n\n"], **flags)
    theirs = [json.loads(line)["text"] for line in run_app(
        "generate-text", "--threads", "1", "--hide-prime", "--format", "jsonl", "--prime", PRIME, "--length", "150",
        "--temperature", "0.7", "--top-k", "30", "--top-p", "0.9", "--seed", "12", "--samples", str(samples),
        "--stop", "\n\n").splitlines()]
    assert ours == (theirs[0] if samples == 1 else theirs)


def test_stream_yields_generates_text_piece_by_piece(model):
    pieces = list(model.stream(PRIME, length=200, seed=4, temperature=0.9))
    assert len(pieces) > 50
    assert "".join(pieces) == model.generate(PRIME, length=200, seed=4, temperature=0.9)


def test_score_is_evaluate_models_figures(model, tmp_path):
    text = "KING HENRY:\nOnce more unto the breach, dear friends, once more;\n" * 30
    (tmp_path / "t.txt").write_text(text)
    theirs = app_json("evaluate-model", "--threads", "1", str(tmp_path / "t.txt"))
    ours = model.score(text)
    for key in ("units", "units_scored"):
        assert ours[key] == theirs[key]
    for key in ("nats", "nats_per_char", "bits_per_char", "perplexity"):
        assert ours[key] == pytest.approx(theirs[key], rel=1e-9)


def test_score_lines_is_evaluate_model_per_line(model, tmp_path):
    lines = ["To be, or not to be, that is the question:", "", "Whether 'tis nobler in the mind to suffer"]
    (tmp_path / "lines.txt").write_text("\n".join(lines) + "\n")
    theirs = [json.loads(l) for l in run_app("evaluate-model", "--threads", "1", "--per-line",
                                             str(tmp_path / "lines.txt")).splitlines()]
    ours = model.score_lines(lines)
    assert len(ours) == len(theirs) == 3
    for a, b in zip(ours, theirs):
        assert a["nats"] == pytest.approx(b["nats"], rel=1e-9)
        assert a["nats_per_char"] == (None if b["nats_per_char"] is None else pytest.approx(b["nats_per_char"]))


def heads_of(path):
    """Each mixture member's head (weight, bias, as float64) and depth, the file's own model first
    (one entry for a model that mixes nothing); BF16 and F32 storage both."""
    data = open(path, "rb").read()
    size = struct.unpack("<Q", data[:8])[0]
    header = json.loads(data[8:8 + size])
    metadata = header["__metadata__"]
    members = json.loads(metadata.get("charloom.mixture", '{"members": []}'))["members"]
    depths = [json.loads(metadata["charloom.config"])["layers"]] + [m["config"]["layers"] for m in members]

    def tensor(name):
        entry = header[name]
        begin, end = (8 + size + offset for offset in entry["data_offsets"])
        raw = np.frombuffer(data[begin:end], dtype=np.uint16 if entry["dtype"] == "BF16" else np.float32)
        values = (raw.astype(np.uint32) << 16).view(np.float32) if entry["dtype"] == "BF16" else raw
        return values.astype(np.float64).reshape(entry["shape"])

    prefixes = [""] + [f"member{k}." for k in range(2, len(depths) + 1)]
    return [(tensor(p + "head.weight"), tensor(p + "head.bias"), depth) for p, depth in zip(prefixes, depths)]


def test_the_last_state_is_the_one_sampling_draws_from(model):
    states = model.states(PRIME)
    heads = heads_of([m for m in charloom.models() if m["name"] == "shakespeare"][0]["path"])
    units, layers, hidden = states["hidden"].shape
    assert (units, layers, hidden) == (len(PRIME), sum(depth for _, _, depth in heads), 512)
    assert states["cell"].shape == states["hidden"].shape and states["units"] == list(PRIME)
    # Each member reads its own top layer; a mixture predicts the mean of their distributions.
    expected, top = 0.0, -1
    for weight, bias, depth in heads:
        top += depth
        logits = weight @ states["hidden"][-1, top].astype(np.float64) + bias
        member = np.exp(logits - logits.max())
        expected = expected + member / member.sum() / len(heads)
    probabilities, vocabulary = model.next_distribution(PRIME)
    assert vocabulary == model.vocabulary
    np.testing.assert_allclose(probabilities, expected, rtol=1e-4, atol=1e-7)
    # Greedy sampling draws the most likely unit of that distribution.
    assert model.generate(PRIME, length=1, temperature=0) == vocabulary[int(np.argmax(probabilities))]
    # A prefix's states are the longer text's first rows.
    np.testing.assert_array_equal(model.states(PRIME[:5])["hidden"], states["hidden"][:5])


def test_the_gil_is_released_while_cpp_computes(model):
    done = threading.Event()
    worker = threading.Thread(target=lambda: (model.generate(length=4000, seed=1), done.set()))
    counted = 0
    worker.start()
    started = time.monotonic()
    while not done.is_set() and time.monotonic() - started < 120:
        counted += 1  # runs only while the generating thread has let go of the GIL
    worker.join()
    assert done.is_set()
    assert counted > 10000


def test_errors_map_to_pythons_own(model, tmp_path):
    with pytest.raises(ValueError, match="temperature"):
        model.generate(temperature=-1)
    with pytest.raises(ValueError, match="never saw.*unknown=\"skip\""):
        model.generate("日本", length=5)
    assert isinstance(model.generate("日本", length=5, unknown="skip", seed=1), str)
    with pytest.raises(ValueError, match="unknown"):
        model.score("abc", unknown="maybe")
    with pytest.raises(ValueError, match="batch_size"):
        model.score("abc", batch_size=0)
    with pytest.raises(FileNotFoundError, match="no model named 'nosuch'"):
        charloom.load("nosuch")
    with pytest.raises(FileNotFoundError, match="missing.safetensors"):
        charloom.load(str(tmp_path / "missing.safetensors"))
    (tmp_path / "broken.safetensors").write_bytes(b"\x10\x00\x00\x00\x00\x00\x00\x00{}")
    with pytest.raises(ValueError, match="broken.safetensors"):
        charloom.load(str(tmp_path / "broken.safetensors"))
    with pytest.raises(ValueError, match="precision"):
        charloom.load("shakespeare", precision="f16")
