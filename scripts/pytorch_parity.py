#!/usr/bin/env python3
"""Checks a charloom model against PyTorch: load it into torch.nn modules, run the same
batch, and compare logits, loss, every gradient and a few Adam steps of losses.

    pytorch_parity.py MODEL DUMP
    pytorch_parity.py --per-line MODEL TEXT SCORES

MODEL is a charloom model file; DUMP is what tests/tools/parity-dump wrote for it. With
--per-line, SCORES is what `evaluate-model --per-line` wrote for TEXT: every line's
units_scored and nats must match PyTorch's (code point and byte models). Exits 1 and says
which figure differs when any comparison fails."""
import json
import struct
import sys
import unicodedata

import torch


def read_safetensors(path):
    """Returns (tensors as float32 torch tensors, metadata) from a safetensors file."""
    with open(path, "rb") as f:
        data = f.read()
    (length,) = struct.unpack("<Q", data[:8])
    header = json.loads(data[8:8 + length])
    metadata = header.pop("__metadata__", {})
    body = data[8 + length:]
    tensors = {}
    for name, entry in header.items():
        assert entry["dtype"] == "F32", name
        begin, end = entry["data_offsets"]
        values = torch.frombuffer(bytearray(body[begin:end]), dtype=torch.float32)
        tensors[name] = values.reshape(entry["shape"]) if entry["shape"] else values
    return tensors, metadata


class CharModel(torch.nn.Module):
    """The charloom language model, written as a PyTorch user would."""

    def __init__(self, config):
        super().__init__()
        vocabulary, hidden, layers = config["vocabulary_size"], config["hidden"], config["layers"]
        self.embedding = torch.nn.Embedding(vocabulary, config["embedding_size"])
        cell = config["cell"]
        if cell == "lstm":
            self.rnn = torch.nn.LSTM(config["embedding_size"], hidden, layers)
        elif cell == "gru":
            self.rnn = torch.nn.GRU(config["embedding_size"], hidden, layers)
        else:
            self.rnn = torch.nn.RNN(config["embedding_size"], hidden, layers,
                                    nonlinearity="relu" if cell == "rnn_relu" else "tanh")
        self.head = torch.nn.Linear(hidden, vocabulary)

    def forward(self, inputs):  # inputs (T, B) -> logits (T*B, V)
        output, _ = self.rnn(self.embedding(inputs))
        return self.head(output).reshape(-1, self.head.out_features)


def batch(ids, k, steps, streams):
    """Batch k as charloom's parity dump lays it out: stream b reads ids[(k*B+b)*T ...]."""
    starts = [(k * streams + b) * steps for b in range(streams)]
    inputs = torch.stack([ids[s:s + steps] for s in starts], dim=1)
    targets = torch.stack([ids[s + 1:s + steps + 1] for s in starts], dim=1)
    return inputs, targets.reshape(-1)


def relative_error(ours, theirs):
    scale = theirs.abs().max().item()
    return (ours - theirs).abs().max().item() / max(scale, 1e-12)


def load_model(path):
    """The charloom model at path as a double-precision CharModel, with its metadata."""
    weights, metadata = read_safetensors(path)
    config = json.loads(metadata["charloom.config"])
    model = CharModel(config).double()
    state = {name: value.double() for name, value in weights.items()}
    model.load_state_dict(state)
    model.eval()
    return model, config, metadata


def line_ids(line, config, vocabulary):
    """A line's ids as charloom reads it: NFC or NFKC, then code points or bytes; 0 is <unk>."""
    if config["normalization"] != "none":
        line = unicodedata.normalize(config["normalization"].upper(), line)
    if config["unit"] == "byte":
        names = {b: (chr(b) if b < 0x80 else f"<0x{b:02X}>") for b in range(256)}
        units = [names[b] for b in line.encode("utf-8")]
    elif config["unit"] == "codepoint":
        units = list(line)
    else:
        sys.exit("pytorch_parity: --per-line supports code point and byte models")
    index = {name: i for i, name in enumerate(vocabulary)}
    return [index.get(unit, 0) for unit in units]


def per_line(model_path, text_path, scores_path):
    model, config, metadata = load_model(model_path)
    vocabulary = json.loads(metadata["charloom.vocabulary"])
    with open(text_path, encoding="utf-8") as f:
        lines = f.read().split("\n")
    if lines and lines[-1] == "":
        lines.pop()  # the newline that ends the last line starts no new one
    with open(scores_path, encoding="utf-8") as f:
        records = [json.loads(row) for row in f if row.strip()]
    if len(records) != len(lines):
        sys.exit(f"pytorch_parity: {len(records)} records for {len(lines)} lines")
    worst = 0.0
    for number, (line, record) in enumerate(zip(lines, records), start=1):
        ids = torch.tensor(line_ids(line, config, vocabulary), dtype=torch.long)
        scored = max(len(ids) - 1, 0)
        if record["units_scored"] != scored:
            sys.exit(f"pytorch_parity: line {number}: units_scored {record['units_scored']}, PyTorch {scored}")
        if scored == 0:
            continue
        with torch.no_grad():
            logits = model(ids[:-1].reshape(-1, 1))
            nats = torch.nn.functional.cross_entropy(logits, ids[1:], reduction="sum").item()
        worst = max(worst, abs(record["nats"] - nats) / max(abs(nats), 1e-12))
    print(f"per-line nats over {len(lines)} lines: worst relative error {worst:.2e} (tolerance 1e-04)")
    if not worst <= 1e-4:
        print("pytorch_parity: FAILED: per-line nats")
        sys.exit(1)
    print(f"pytorch_parity: evaluate-model --per-line matches PyTorch {torch.__version__}")


def main():
    if len(sys.argv) == 5 and sys.argv[1] == "--per-line":
        return per_line(*sys.argv[2:])
    if len(sys.argv) != 3:
        sys.exit(__doc__)
    weights, metadata = read_safetensors(sys.argv[1])
    dump, dump_meta = read_safetensors(sys.argv[2])
    config = json.loads(metadata["charloom.config"])
    steps, streams = int(dump_meta["steps"]), int(dump_meta["batch"])
    torch.manual_seed(0)
    model = CharModel(config).double()
    state = {name: value.double() for name, value in weights.items() if not name.startswith(("optimizer.", "train_state.", "best."))}
    model.load_state_dict(state)
    model.eval()  # no dropout: the dump was made without it
    ids = dump["ids"].long()

    failures = []

    def check(label, ours, theirs, tolerance):
        error = relative_error(ours.double(), theirs.double())
        print(f"{label:28s} relative error {error:.2e} (tolerance {tolerance:.0e})")
        if not error <= tolerance:
            failures.append(label)

    inputs, targets = batch(ids, 0, steps, streams)
    logits = model(inputs)
    loss = torch.nn.functional.cross_entropy(logits, targets)
    check("logits", dump["logits"], logits.detach(), 1e-4)
    check("loss", dump["loss"], loss.detach().reshape(1), 1e-4)
    loss.backward()
    for name, parameter in model.named_parameters():
        check("grad " + name, dump["grad." + name], parameter.grad, 1e-3)

    # A few Adam steps in float32, as charloom trains: their losses must agree.
    model = CharModel(config)
    model.load_state_dict({name: value.float() for name, value in state.items()})
    optimizer = torch.optim.Adam(model.parameters(), lr=1e-3)
    losses = []
    for k in range(len(dump["adam_losses"])):
        inputs, targets = batch(ids, k + 1, steps, streams)
        optimizer.zero_grad()
        step_loss = torch.nn.functional.cross_entropy(model(inputs), targets)
        step_loss.backward()
        optimizer.step()
        losses.append(step_loss.item())
    check("losses over Adam steps", dump["adam_losses"], torch.tensor(losses), 1e-4)

    if failures:
        print("pytorch_parity: FAILED: " + ", ".join(failures))
        sys.exit(1)
    print(f"pytorch_parity: {config['cell']} {config['layers']}x{config['hidden']} matches PyTorch {torch.__version__}")


if __name__ == "__main__":
    main()
