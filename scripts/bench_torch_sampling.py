#!/usr/bin/env python3
"""The PyTorch peer for bench-generate: per-character sampling from an LSTM language model,
written as a competent PyTorch user would (eval mode, no_grad, state carried, multinomial).

    bench_torch_sampling.py [--layers 2] [--hidden 512] [--length 1000] [--runs 5] [--threads 2]

Prints the median microseconds per sampled character."""
import argparse
import statistics
import time

import torch


class CharModel(torch.nn.Module):
    def __init__(self, vocabulary, embedding, hidden, layers):
        super().__init__()
        self.embedding = torch.nn.Embedding(vocabulary, embedding)
        self.rnn = torch.nn.LSTM(embedding, hidden, layers)
        self.head = torch.nn.Linear(hidden, vocabulary)

    def step(self, unit, state):
        output, state = self.rnn(self.embedding(unit).reshape(1, 1, -1), state)
        return self.head(output.reshape(1, -1)), state


def sample(model, length):
    unit, state = torch.tensor([1]), None
    with torch.no_grad():
        for _ in range(length):
            logits, state = model.step(unit, state)
            unit = torch.multinomial(torch.softmax(logits[0], dim=-1), 1)


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("--layers", type=int, default=2)
    parser.add_argument("--hidden", type=int, default=512)
    parser.add_argument("--length", type=int, default=1000)
    parser.add_argument("--runs", type=int, default=5)
    parser.add_argument("--threads", type=int, default=2)
    args = parser.parse_args()
    torch.set_num_threads(args.threads)
    torch.manual_seed(0)
    model = CharModel(65, 128, args.hidden, args.layers).eval()
    sample(model, 50)  # warm-up
    times = []
    for _ in range(args.runs):
        start = time.perf_counter()
        sample(model, args.length)
        times.append(time.perf_counter() - start)
    print(f"pytorch {torch.__version__} {args.layers}x{args.hidden} lstm: "
          f"{statistics.median(times) / args.length * 1e6:.1f} us per unit (median of {args.runs} runs)")


if __name__ == "__main__":
    main()
