"""The corpus meets its data card: composition, validity, and no leakage between or within splits."""

import json
from collections import Counter

import numpy as np
import pytest

from stance import read_labeled
from tests.conftest import DATA


def rows(name):
    return [json.loads(line) for line in (DATA / name).read_text(encoding="utf-8").splitlines() if line]


@pytest.mark.parametrize("name", ["train.jsonl", "test.jsonl", "articles.jsonl"])
def test_every_file_validates_against_the_codebook(name, codebook):
    data = read_labeled(DATA / name, codebook)
    assert len(data) == len(rows(name))


def test_training_composition():
    train = rows("train.jsonl")
    frames = Counter(label for r in train for label in r["frame"])
    stances = Counter(r["stance"] for r in train)
    no_frame = [r for r in train if not r["frame"]]
    pairs = Counter(r["pair"] for r in train if r["pair"] != "none")
    assert len(train) >= 1200
    assert min(frames.values()) >= 200 and len(frames) == 3
    assert sum(len(r["frame"]) >= 2 for r in train) >= 100
    assert min(stances.values()) >= 200 and len(stances) == 3
    assert len(no_frame) / len(train) >= 0.45
    assert sum(r["pair"] != "none" for r in no_frame) / len(no_frame) >= 2 / 3
    assert sum(r["kind"] == "hard_negative" for r in train) >= 100
    assert len(pairs) >= 15 and max(pairs.values()) / len(train) <= 0.15
    assert len({r["genre"] for r in train}) >= 5


def test_independent_split_and_articles():
    test = rows("test.jsonl")
    assert len(test) >= 300
    assert sum(not r["frame"] for r in test) / len(test) >= 0.45
    articles = Counter(r["article"] for r in rows("articles.jsonl"))
    assert len(articles) >= 20 and all(6 <= n <= 15 for n in articles.values())


def test_second_pass_covers_300_paragraphs():
    second = rows("annotation/second_pass.jsonl")
    known = {r["id"] for name in ("train.jsonl", "test.jsonl") for r in rows(name)}
    assert len({r["id"] for r in second} & known) >= 300


@pytest.mark.encoder
def test_no_near_duplicates_within_or_across_splits(codebook):
    from stance.cache import EmbeddingCache
    from stance.encoder import load_encoder

    encoder = load_encoder("all-MiniLM-L6-v2", "fp32")
    cache = EmbeddingCache()
    splits = {name: encoder.encode([r["text"] for r in rows(name)], cache=cache, progress=False)
              for name in ("train.jsonl", "test.jsonl", "articles.jsonl")}
    names = list(splits)
    for i, a in enumerate(names):
        for b in names[i:]:
            similarity = splits[a] @ splits[b].T
            if a == b:
                np.fill_diagonal(similarity, 0.0)
            worst = float(similarity.max())
            assert worst <= 0.95, f"{a} vs {b}: a pair at cosine {worst:.3f}"
