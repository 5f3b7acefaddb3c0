#!/usr/bin/env python3
"""The bag-of-words baseline for the sentiment recipe: TF-IDF over word 1- and 2-grams and
logistic regression (Debian's python3-sklearn), with C chosen on dev.

    sentiment_baseline.py TRAIN.tsv DEV.tsv

Both files hold LABEL<TAB>TEXT lines. Prints the dev accuracy as JSON."""
import json
import sys

from sklearn.feature_extraction.text import TfidfVectorizer
from sklearn.linear_model import LogisticRegression


def read(path):
    labels, texts = [], []
    with open(path, encoding="utf-8") as f:
        for line in f:
            if line.strip():
                label, text = line.rstrip("\n").split("\t", 1)
                labels.append(int(label))
                texts.append(text)
    return texts, labels


def main():
    if len(sys.argv) != 3:
        sys.exit(__doc__)
    train_texts, train_labels = read(sys.argv[1])
    dev_texts, dev_labels = read(sys.argv[2])
    vectorizer = TfidfVectorizer(ngram_range=(1, 2), min_df=1, sublinear_tf=True)
    train = vectorizer.fit_transform(train_texts)
    dev = vectorizer.transform(dev_texts)
    best = None
    for c in (0.25, 0.5, 1.0, 2.0, 4.0, 8.0, 16.0):
        model = LogisticRegression(C=c, max_iter=2000).fit(train, train_labels)
        accuracy = model.score(dev, dev_labels)
        if best is None or accuracy > best[1]:
            best = (c, accuracy)
    print(json.dumps({"baseline": "tfidf word 1-2-gram logistic regression", "C": best[0], "dev_accuracy": best[1]}))


if __name__ == "__main__":
    main()
