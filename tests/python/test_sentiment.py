"""SentimentModel from Python against score-sentiment."""
import json

import numpy as np
import pytest

import charloom
from conftest import run_app

TEXTS = ["a gorgeous, witty, seductive movie.", "the plot is nothing but boilerplate clichés", "it's fine."]


@pytest.fixture(scope="module")
def model():
    return charloom.load("sst2")


def test_score_is_score_sentiments(model):
    theirs = [json.loads(line)["score"] for line in run_app(
        "score-sentiment", "--threads", "1", "--format", "jsonl", input="\n".join(TEXTS) + "\n").splitlines()]
    ours = model.score(TEXTS)
    assert isinstance(ours, np.ndarray) and ours.dtype == np.float64
    np.testing.assert_allclose(ours, theirs, rtol=1e-6)
    assert model.score(TEXTS[0]) == pytest.approx(ours[0])


def test_trace_ends_at_the_score_and_has_a_value_per_unit(model):
    trace = model.trace(TEXTS[0])
    assert trace["units"] == list(TEXTS[0])
    assert trace["scores"].shape == (len(TEXTS[0]),)
    assert trace["scores"][-1] == pytest.approx(model.score(TEXTS[0]), rel=1e-5)
