"""charloom.train against train-model: the same tensors, callbacks, stops and errors."""
import json
import os
import signal
import struct
import threading

import pytest

import charloom
from conftest import run_app

FLAGS = dict(layers=1, hidden=32, embedding_size=16, batch_size=8, seq_length=20, max_iters=12, eval_every=6,
             seed=3, threads=1, dropout=0.1)


def command_flags(**flags):
    words = []
    for key, value in flags.items():
        words += ["--" + key.replace("_", "-"), str(value)]
    return words


def tensors(path):
    """Every tensor's bytes, by name: what two runs that trained alike share."""
    data = open(path, "rb").read()
    size = struct.unpack("<Q", data[:8])[0]
    header = json.loads(data[8:8 + size])
    return {name: data[8 + size + e["data_offsets"][0]:8 + size + e["data_offsets"][1]]
            for name, e in header.items() if name != "__metadata__"}


def test_train_gives_train_models_tensors_and_reports_every_record(corpus, tmp_path):
    records = []
    summary = charloom.train(corpus=corpus, output=str(tmp_path / "py.safetensors"), callback=records.append, **FLAGS)
    run_app("train-model", "--corpus", corpus, "--output", str(tmp_path / "app.safetensors"), "--quiet",
            *command_flags(**FLAGS))
    assert tensors(tmp_path / "py.safetensors") == tensors(tmp_path / "app.safetensors")
    assert summary["iterations"] == 12 and summary["stopped_by"] == "max-iters"
    assert [r["iteration"] for r in records if r["kind"] == "step"] == list(range(1, 13))
    evaluations = [r for r in records if r["kind"] == "evaluation"]
    assert [r["iteration"] for r in evaluations] == [6, 12]
    assert summary["val_loss"] == pytest.approx(min(r["val_loss"] for r in evaluations))
    model = charloom.load(str(tmp_path / "py.safetensors"))
    assert "train-model --corpus" in json.loads(model.training)["invocation"]


def test_a_callback_that_returns_false_stops_the_run_with_a_checkpoint(corpus, tmp_path):
    output = tmp_path / "m.safetensors"
    summary = charloom.train(corpus=corpus, output=str(output),
                             callback=lambda r: not (r["kind"] == "step" and r["iteration"] == 5), **FLAGS)
    assert summary["stopped_by"] == "stop-request" and summary["iterations"] == 5
    assert os.path.exists(summary["last_checkpoint"]) and not output.exists()
    resumed = charloom.train(corpus=corpus, output=str(output), resume=summary["last_checkpoint"], **FLAGS)
    assert resumed["iterations"] == 12
    run_app("train-model", "--corpus", corpus, "--output", str(tmp_path / "app.safetensors"), "--quiet",
            *command_flags(**FLAGS))
    assert tensors(output) == tensors(tmp_path / "app.safetensors")  # the resumed run is the whole run


def test_ctrl_c_stops_at_a_step_writes_a_checkpoint_and_raises(corpus, tmp_path):
    steps = []
    timer = threading.Timer(0.5, lambda: os.kill(os.getpid(), signal.SIGINT))
    flags = {**FLAGS, "max_iters": 100000}
    timer.start()
    with pytest.raises(KeyboardInterrupt):
        charloom.train(corpus=corpus, output=str(tmp_path / "m.safetensors"), callback=steps.append, **flags)
    timer.join()
    newest = max(int(name[5:14]) for name in os.listdir(tmp_path / "m.safetensors.checkpoints")
                 if name.startswith("step-"))
    heard = max(r["iteration"] for r in steps if r["kind"] == "step")
    assert heard <= newest <= heard + 2  # the step in progress when the interrupt came, at most
    assert newest < 100000


def test_an_exception_in_the_callback_stops_the_run_and_is_raised(corpus, tmp_path):
    def fail(record):
        if record["kind"] == "step" and record["iteration"] == 2:
            raise RuntimeError("callback failed")
    with pytest.raises(RuntimeError, match="callback failed"):
        charloom.train(corpus=corpus, output=str(tmp_path / "m.safetensors"), callback=fail, **FLAGS)
    assert "step-000000002.safetensors" in os.listdir(tmp_path / "m.safetensors.checkpoints")


def test_the_sentiment_task_trains_as_train_model_does(tmp_path):
    rows = ["1\tgood fun %d\n" % i if i % 2 == 0 else "0\tbad dull %d\n" % i for i in range(80)]
    (tmp_path / "train.tsv").write_text("".join(rows))
    (tmp_path / "dev.tsv").write_text("".join(rows[:20]))
    flags = dict(hidden=16, embedding_size=8, max_epochs=2, seed=2, threads=1)
    epochs = []
    summary = charloom.train(task="sentiment", train=str(tmp_path / "train.tsv"), dev=str(tmp_path / "dev.tsv"),
                             output=str(tmp_path / "py.safetensors"), callback=epochs.append, **flags)
    run_app("train-model", "--task", "sentiment", "--train", str(tmp_path / "train.tsv"), "--dev",
            str(tmp_path / "dev.tsv"), "--output", str(tmp_path / "app.safetensors"), "--quiet",
            *command_flags(**flags))
    assert tensors(tmp_path / "py.safetensors") == tensors(tmp_path / "app.safetensors")
    assert [r["epoch"] for r in epochs if r["kind"] == "epoch"] == [1, 2]
    assert summary["dev_accuracy"] == max(r["dev_accuracy"] for r in epochs if r["kind"] == "epoch")
    assert isinstance(charloom.load(str(tmp_path / "py.safetensors")), charloom.SentimentModel)


def test_a_diverging_run_raises_training_diverged(tmp_path):
    words = "the film was quite plot and story very".split()
    rows = []
    for i in range(240):
        text = " ".join((words[i % 8], words[i * 3 % 8], words[(i * 5 + 1) % 8]))
        rows.append("1\t%s good\n" % text if i % 2 == 0 else "0\tbad %s\n" % text)
    (tmp_path / "train.tsv").write_text("".join(rows))
    (tmp_path / "dev.tsv").write_text("".join(rows[:60]))
    # A relu RNN under a huge step overflows, as in the app's own test.
    with pytest.raises(charloom.TrainingDiverged, match="stopped being finite"):
        charloom.train(task="sentiment", train=str(tmp_path / "train.tsv"), dev=str(tmp_path / "dev.tsv"),
                       output=str(tmp_path / "nan.safetensors"), cell="rnn", activation="relu", hidden=16,
                       embedding_size=8, learning_rate=90, grad_clip=0, max_epochs=4)
    assert issubclass(charloom.TrainingDiverged, ArithmeticError)
    assert not (tmp_path / "nan.safetensors").exists()


def test_bad_options_raise_with_train_models_messages(corpus, tmp_path):
    output = str(tmp_path / "m.safetensors")
    with pytest.raises(ValueError, match="--hidden"):
        charloom.train(corpus=corpus, output=output, hidden=0)
    with pytest.raises(ValueError, match="bogus"):
        charloom.train(corpus=corpus, output=output, bogus=1)
    with pytest.raises(ValueError, match="no output given"):
        charloom.train(corpus=corpus)
    with pytest.raises(ValueError, match="--task lm"):
        charloom.train(corpus=corpus, output=output, pool="max")
    with pytest.raises(FileNotFoundError, match="nowhere.txt"):
        charloom.train(corpus=str(tmp_path / "nowhere.txt"), output=output)
    with pytest.raises(OSError, match="no-such-dir"):
        charloom.train(corpus=corpus, output=str(tmp_path / "no-such-dir" / "m.safetensors"), **FLAGS)
