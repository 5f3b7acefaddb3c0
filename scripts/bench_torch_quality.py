#!/usr/bin/env python3
"""The PyTorch peer for `bench.sh --quality`: trains charloom's default language model (2x512
LSTM, embedding 128, dropout 0.25 on the embedding output and between layers, Adam 2e-3,
gradient norm clipped at 5, batch 32, sequence 100) on the same 90/10 split of a corpus for a
fixed wall time, validating on the whole validation split every --eval-every iterations
exactly as train-model does. It writes train-model's --metrics JSONL, so plot-training.py
draws both runs on the same axes.

    bench_torch_quality.py CORPUS METRICS.jsonl [--seconds 600] [--threads 2] [--seed 1]"""
import argparse
import json
import time
import unicodedata

import torch

BATCH, STEPS, HIDDEN, LAYERS, EMBEDDING, DROPOUT, RATE, CLIP = 32, 100, 512, 2, 128, 0.25, 2e-3, 5.0


class CharModel(torch.nn.Module):
    def __init__(self, vocabulary):
        super().__init__()
        self.embedding = torch.nn.Embedding(vocabulary, EMBEDDING)
        self.dropout = torch.nn.Dropout(DROPOUT)
        self.rnn = torch.nn.LSTM(EMBEDDING, HIDDEN, LAYERS, dropout=DROPOUT)
        self.head = torch.nn.Linear(HIDDEN, vocabulary)

    def forward(self, units, state=None):
        output, state = self.rnn(self.dropout(self.embedding(units)), state)
        return self.head(output), state


def streams(ids, count):
    """`count` contiguous streams, as rows of a (count, length) tensor."""
    length = len(ids) // count
    return ids[: length * count].reshape(count, length)


def validate(model, val_ids):
    """train-model's validation: BATCH streams from the zero state, STEPS units per call,
    every unit but a stream's first predicted; nats per predicted unit."""
    model.eval()
    rows = streams(val_ids, BATCH)
    total, count, state = 0.0, 0, None
    with torch.no_grad():
        for start in range(0, rows.shape[1] - 1, STEPS):
            end = min(start + STEPS, rows.shape[1] - 1)
            inputs, targets = rows[:, start:end].t(), rows[:, start + 1:end + 1].t()
            logits, state = model(inputs, state)
            total += torch.nn.functional.cross_entropy(logits.reshape(-1, logits.shape[-1]), targets.reshape(-1),
                                                       reduction="sum").item()
            count += targets.numel()
    model.train()
    return total / count


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("corpus")
    parser.add_argument("metrics")
    parser.add_argument("--seconds", type=float, default=600)
    parser.add_argument("--threads", type=int, default=2)
    parser.add_argument("--eval-every", type=int, default=200)
    parser.add_argument("--seed", type=int, default=1)
    args = parser.parse_args()
    torch.set_num_threads(args.threads)
    torch.manual_seed(args.seed)
    text = unicodedata.normalize("NFC", open(args.corpus, encoding="utf-8").read())
    vocabulary = sorted(set(text))
    index = {unit: i for i, unit in enumerate(vocabulary)}
    ids = torch.tensor([index[unit] for unit in text])
    split = len(ids) - int(len(ids) * 0.1)
    train_rows, val_ids = streams(ids[:split], BATCH), ids[split:]
    model = CharModel(len(vocabulary))
    optimizer = torch.optim.Adam(model.parameters(), lr=RATE)
    batches_per_epoch = (train_rows.shape[1] - 1) // STEPS
    started, iteration, state = time.perf_counter(), 0, None
    with open(args.metrics, "w", encoding="utf-8") as metrics:
        def write(record):
            metrics.write(json.dumps(record) + "\n")
            metrics.flush()

        while time.perf_counter() - started < args.seconds:
            position = iteration % batches_per_epoch
            if position == 0:
                state = None  # a new epoch starts every stream again
            start = position * STEPS
            inputs = train_rows[:, start:start + STEPS].t()
            targets = train_rows[:, start + 1:start + STEPS + 1].t()
            logits, state = model(inputs, state)
            state = tuple(s.detach() for s in state)
            loss = torch.nn.functional.cross_entropy(logits.reshape(-1, logits.shape[-1]), targets.reshape(-1))
            optimizer.zero_grad()
            loss.backward()
            torch.nn.utils.clip_grad_norm_(model.parameters(), CLIP)
            optimizer.step()
            iteration += 1
            seconds = time.perf_counter() - started
            if iteration % 10 == 0:
                write({"type": "train", "iteration": iteration, "seconds": seconds, "train_loss": loss.item(),
                       "epoch": iteration / batches_per_epoch})
            if iteration % args.eval_every == 0:
                val_loss = validate(model, val_ids)
                write({"type": "eval", "iteration": iteration, "seconds": time.perf_counter() - started,
                       "val_loss": val_loss, "val_bpc": val_loss / 0.6931471805599453})
        val_loss = validate(model, val_ids)
        write({"type": "eval", "iteration": iteration, "seconds": time.perf_counter() - started, "val_loss": val_loss,
               "val_bpc": val_loss / 0.6931471805599453, "final": True})
    print(json.dumps({"tool": "pytorch", "iterations": iteration, "val_loss": val_loss}))


if __name__ == "__main__":
    main()
