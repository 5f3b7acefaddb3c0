#!/usr/bin/env python3
"""Random spans of words from the texts of a labeled TSV, one per line, for a teacher to label.

    word_spans.py LABELED.tsv [PER_TEXT] [SEED] > spans.txt

Each text of at least six words gives PER_TEXT (default 3) spans of a quarter to three
quarters of its words, drawn with SEED (default 7), so the output is the same on every run.
A span's sentiment may differ from its sentence's, so the spans carry no label: a teacher
model scores them, and a student learns from those scores, much as SST's phrase labels
taught its models about parts of sentences.
"""
import random
import sys


def spans(words, count, draw):
    for _ in range(count):
        length = draw.randint(max(3, len(words) // 4), max(3, 3 * len(words) // 4))
        start = draw.randint(0, len(words) - length)
        yield " ".join(words[start:start + length])


def main():
    if not 2 <= len(sys.argv) <= 4:
        sys.exit("usage: word_spans.py LABELED.tsv [PER_TEXT] [SEED]")
    per_text = int(sys.argv[2]) if len(sys.argv) > 2 else 3
    draw = random.Random(int(sys.argv[3]) if len(sys.argv) > 3 else 7)
    with open(sys.argv[1], encoding="utf-8") as source:
        for number, line in enumerate(source, 1):
            fields = line.rstrip("\n").split("\t", 1)
            if len(fields) != 2:
                sys.exit(f"{sys.argv[1]}:{number}: expected LABEL<TAB>TEXT")
            words = fields[1].split()
            if len(words) >= 6:
                for span in spans(words, per_text, draw):
                    print(span)


if __name__ == "__main__":
    main()
