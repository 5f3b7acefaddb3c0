#!/usr/bin/env python3
"""The PyTorch peer for charloom's benchmarks: a character language model written as a
competent PyTorch user would write it (nn.Embedding, nn.LSTM or nn.GRU, nn.Linear, Adam,
cross-entropy; eval mode and no_grad for inference, the state carried, multinomial draws).

    bench_torch.py --mode train|sample|eval [--cell lstm] [--layers 2] [--hidden 512]
                   [--runs 5] [--threads 2] [--length 1000] [--json]

train: full training steps (batch 64, seq 100, vocabulary 65: forward, loss, backward,
clipping, Adam) in characters per second. sample: batch-1 sampling in microseconds per
character. eval: batched forward and loss (batch 64, seq 100) in characters per second.
Each figure is the median of --runs timed runs after a warm-up."""
import argparse
import json
import resource
import statistics
import time

import torch

VOCABULARY, EMBEDDING, BATCH, STEPS = 65, 128, 64, 100


class CharModel(torch.nn.Module):
    def __init__(self, cell, hidden, layers):
        super().__init__()
        self.embedding = torch.nn.Embedding(VOCABULARY, EMBEDDING)
        recurrent = torch.nn.LSTM if cell == "lstm" else torch.nn.GRU
        self.rnn = recurrent(EMBEDDING, hidden, layers)
        self.head = torch.nn.Linear(hidden, VOCABULARY)

    def forward(self, units, state=None):  # units (T, B)
        output, state = self.rnn(self.embedding(units), state)
        return self.head(output), state


def detach(state):
    return tuple(s.detach() for s in state) if isinstance(state, tuple) else state.detach()


def timed(runs, body):
    body()  # warm-up
    times = []
    for _ in range(runs):
        start = time.perf_counter()
        body()
        times.append(time.perf_counter() - start)
    return statistics.median(times)


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("--mode", choices=["train", "sample", "eval"], required=True)
    parser.add_argument("--cell", choices=["lstm", "gru"], default="lstm")
    parser.add_argument("--layers", type=int, default=2)
    parser.add_argument("--hidden", type=int, default=512)
    parser.add_argument("--length", type=int, default=1000, help="sample: characters per run")
    parser.add_argument("--runs", type=int, default=5)
    parser.add_argument("--threads", type=int, default=2)
    parser.add_argument("--json", action="store_true", help="print one JSON object")
    args = parser.parse_args()
    torch.set_num_threads(args.threads)
    torch.manual_seed(0)
    model = CharModel(args.cell, args.hidden, args.layers)
    units = torch.randint(0, VOCABULARY, (STEPS, BATCH))
    targets = torch.randint(0, VOCABULARY, (STEPS, BATCH))
    result = {"tool": "pytorch", "version": torch.__version__, "mode": args.mode, "cell": args.cell,
              "layers": args.layers, "hidden": args.hidden, "threads": args.threads, "runs": args.runs}

    if args.mode == "train":
        optimizer = torch.optim.Adam(model.parameters(), lr=2e-3)
        state = [None]

        def step():
            logits, next_state = model(units, state[0])
            loss = torch.nn.functional.cross_entropy(logits.reshape(-1, VOCABULARY), targets.reshape(-1))
            optimizer.zero_grad()
            loss.backward()
            torch.nn.utils.clip_grad_norm_(model.parameters(), 5.0)
            optimizer.step()
            state[0] = detach(next_state)

        result["chars_per_second"] = STEPS * BATCH / timed(args.runs, step)
    elif args.mode == "eval":
        model.eval()

        def score():
            with torch.no_grad():
                logits, _ = model(units)
                torch.nn.functional.cross_entropy(logits.reshape(-1, VOCABULARY), targets.reshape(-1))

        result["chars_per_second"] = STEPS * BATCH / timed(args.runs, score)
    else:
        model.eval()

        def sample():
            unit, state = torch.tensor([[1]]), None
            with torch.no_grad():
                for _ in range(args.length):
                    logits, state = model(unit, state)
                    unit = torch.multinomial(torch.softmax(logits[0, 0], dim=-1), 1).reshape(1, 1)

        result["us_per_char"] = timed(args.runs, sample) / args.length * 1e6
    result["peak_rss_bytes"] = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss * 1024
    if args.json:
        print(json.dumps(result))
    else:
        figure = (f"{result['us_per_char']:.1f} us per char" if args.mode == "sample"
                  else f"{result['chars_per_second']:.0f} chars/s")
        print(f"pytorch {torch.__version__} {args.layers}x{args.hidden} {args.cell} {args.mode}: {figure} "
              f"(median of {args.runs} runs)")


if __name__ == "__main__":
    main()
