"""Shared fixtures. Fast tests use the tiny in-process `hashing-256` encoder (bag of words, no torch),
which is a test double for logic only; tests marked `encoder` use the real packaged encoder."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from stance import Codebook, read_labeled

ROOT = Path(__file__).resolve().parent.parent
DATA = ROOT / "data"
SHARED = ROOT.parent / "shared"
TINY_ENCODER = "hashing-256"


@pytest.fixture(scope="session")
def codebook() -> Codebook:
    return Codebook.load(DATA / "codebook.json")


@pytest.fixture(scope="session")
def small_train(tmp_path_factory, codebook) -> Path:
    """300 rows of the training corpus, enough for 5-fold CV on every label."""
    rows = [json.loads(line) for line in (DATA / "train.jsonl").read_text(encoding="utf-8").splitlines()]
    path = tmp_path_factory.mktemp("data") / "small.jsonl"
    path.write_text("".join(json.dumps(r, ensure_ascii=False) + "\n" for r in rows[::5][:300]), encoding="utf-8")
    return path


@pytest.fixture(scope="session")
def small_data(small_train, codebook):
    return read_labeled(small_train, codebook)


@pytest.fixture(scope="session")
def tiny_model(small_data, codebook):
    from stance import StanceModel

    return StanceModel(codebook=codebook, encoder=TINY_ENCODER, C=4.0, cv=3).fit(small_data)


def write_jsonl(path: Path, rows: list) -> Path:
    path.write_text("".join((r if isinstance(r, str) else json.dumps(r)) + "\n" for r in rows), encoding="utf-8")
    return path
