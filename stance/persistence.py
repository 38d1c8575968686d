"""A model directory: heads (joblib) + manifest.json + README.md model card, saved atomically.

The manifest is the commit point. Heads are written under a content-addressed name
(`heads-<sha>.joblib`) and fsynced first; then the manifest naming them replaces the old one with one
atomic rename. A crash at any moment leaves either the old model or the new one, never a mix; stale
files are swept on the next save. Loading verifies the heads' SHA-256 against the manifest before
unpickling (joblib runs code on load: only load directories you trust) and checks the encoder.
"""

from __future__ import annotations

import contextlib
import hashlib
import json
import os
import platform
import tempfile
from datetime import UTC, datetime
from importlib import metadata as importlib_metadata
from pathlib import Path

import joblib
import numpy as np
from pydantic import BaseModel, ConfigDict, ValidationError

from stance.codebook import Codebook
from stance.errors import ModelLoadError, StanceError

FORMAT = "stance-model/1"
MANIFEST = "manifest.json"
CARD = "README.md"
PROBE_TEXT = "The two armies will hold joint exercises near the border in July, the ministry said."
PROBE_DIMS = 16
PROBE_MIN_COSINE = 0.95
DEFAULT_MODEL_DIR = Path(__file__).parent / "default_model"


class EncoderInfo(BaseModel):
    model_config = ConfigDict(extra="allow")
    name: str
    dimension: int
    precision: str
    probe: list[float]
    adapter: AdapterInfo | None = None


class HeadsInfo(BaseModel):
    file: str
    sha256: str
    bytes: int


class AdapterInfo(BaseModel):
    file: str
    sha256: str


class Manifest(BaseModel):
    model_config = ConfigDict(extra="allow")
    format: str
    created: str
    stance_version: str
    encoder: EncoderInfo
    codebook: dict
    params: dict
    uses_targets: bool = False
    heads: HeadsInfo
    thresholds: dict[str, dict[str, float]] = {}
    data: dict = {}
    metrics: dict = {}
    training: dict = {}
    versions: dict[str, str] = {}


def save_model(
    model,
    directory: str | Path,
    *,
    data: dict | None = None,
    metrics: dict | None = None,
    training: dict | None = None,
) -> Path:
    """Write `model` to `directory` atomically and return the directory."""
    from sklearn.utils.validation import check_is_fitted

    check_is_fitted(model)
    directory = Path(directory)
    directory.mkdir(parents=True, exist_ok=True)
    payload = {"heads": model.heads_}
    with tempfile.NamedTemporaryFile(dir=directory, prefix=".heads-", suffix=".tmp", delete=False) as tmp:
        joblib.dump(payload, tmp)
        _seal(tmp)
    digest = _sha256(Path(tmp.name))
    heads_name = f"heads-{digest[:16]}.joblib"
    os.replace(tmp.name, directory / heads_name)
    adapter = _store_adapter(model.adapter, directory) if model.adapter else None
    encoder = model.encoder_
    manifest = Manifest(
        format=FORMAT,
        created=datetime.now(UTC).isoformat(timespec="seconds"),
        stance_version=_version("stance"),
        encoder=EncoderInfo(
            name=encoder.name,
            dimension=encoder.dimension,
            precision=encoder.precision,
            probe=[round(float(v), 6) for v in _probe(encoder)],
            adapter=adapter,
        ),
        codebook=model.codebook_.to_dict(),
        params={k: v for k, v in model.get_params().items() if k not in ("codebook", "adapter")},
        uses_targets=bool(model.uses_targets_),
        heads=HeadsInfo(file=heads_name, sha256=digest, bytes=(directory / heads_name).stat().st_size),
        thresholds=model.thresholds,
        data=data or {},
        metrics=metrics or {},
        training=training or {},
        versions={
            "python": platform.python_version(),
            **{pkg: _version(pkg) for pkg in ("scikit-learn", "sentence-transformers", "torch", "numpy", "joblib")},
        },
    )
    _write_atomic(directory / MANIFEST, json.dumps(manifest.model_dump(mode="json"), indent=2, ensure_ascii=False) + "\n")
    from stance.card import render_card

    _write_atomic(directory / CARD, render_card(manifest.model_dump(mode="json")))
    for stale in directory.iterdir():
        keep = {heads_name, adapter.file if adapter else ""}
        unused = stale.name.startswith(("heads-", "adapter-")) and stale.name not in keep
        if unused or (stale.name.startswith(".") and stale.name.endswith(".tmp")):
            with contextlib.suppress(OSError):
                stale.unlink()
    return directory


def read_manifest(directory: str | Path) -> Manifest:
    directory = Path(directory)
    path = directory / MANIFEST
    if not directory.is_dir():
        raise ModelLoadError(f"{directory}: no such model directory")
    try:
        raw = json.loads(path.read_text(encoding="utf-8"))
    except FileNotFoundError:
        raise ModelLoadError(f"{path}: missing; this is not a model directory saved by stance") from None
    except (json.JSONDecodeError, UnicodeDecodeError) as exc:
        raise ModelLoadError(f"{path}: corrupted ({exc}); restore it or retrain the model") from None
    try:
        manifest = Manifest.model_validate(raw)
    except ValidationError as exc:
        first = exc.errors()[0]
        where = ".".join(str(p) for p in first["loc"])
        raise ModelLoadError(f"{path}: invalid manifest, field '{where}': {first['msg']}") from None
    if manifest.format != FORMAT:
        raise ModelLoadError(f"{path}: format '{manifest.format}', this version of stance reads '{FORMAT}'")
    return manifest


def load_model(
    directory: str | Path | None = None,
    *,
    precision: str | None = None,
    encoder: str | None = None,
):
    """Load a saved model; `None` loads the default model shipped with the package.

    `precision` overrides the encoder precision (default: the fastest this CPU runs, see
    `stance.encoder.resolve_precision`); `encoder` must name the same encoder the model was trained
    with (e.g. a local copy of it) and is checked against the manifest's probe embedding.
    """
    from stance.model import StanceModel

    directory = Path(directory) if directory is not None else DEFAULT_MODEL_DIR
    manifest = read_manifest(directory)
    heads_path = _verified(directory, manifest.heads.file, manifest.heads.sha256)
    try:
        payload = joblib.load(heads_path)
        heads = payload["heads"]
    except Exception as exc:
        raise ModelLoadError(f"{heads_path}: cannot be read ({type(exc).__name__}); retrain the model") from None
    try:
        codebook = Codebook.from_dict(manifest.codebook, source=str(directory / MANIFEST))
    except StanceError as exc:
        raise ModelLoadError(str(exc)) from None
    if set(heads) != set(codebook.scheme_names):
        raise ModelLoadError(
            f"{directory}: heads for {sorted(heads)} but the manifest's codebook has {codebook.scheme_names}"
        )
    params = dict(manifest.params)
    params["encoder"] = encoder or manifest.encoder.name
    if manifest.encoder.adapter is not None:
        params["adapter"] = str(_verified(directory, manifest.encoder.adapter.file, manifest.encoder.adapter.sha256))
    # Precision is a property of the machine, not of the model: heads trained on fp32 embeddings
    # score bf16 ones to the same labels (benchmarks/README.md), so the default is the fastest here.
    params["precision"] = precision or "auto"
    model = StanceModel(codebook=codebook, **params)
    model.heads_ = heads
    model.codebook_ = codebook
    model.dimension_ = manifest.encoder.dimension
    model.uses_targets_ = manifest.uses_targets
    model.manifest_ = manifest
    model.directory_ = directory
    _check_encoder(model, manifest)
    return model


def _verified(directory: Path, name: str, expected: str) -> Path:
    """The path of a file the manifest names, after checking it is inside the directory and intact."""
    if Path(name).name != name:
        raise ModelLoadError(f"{directory / MANIFEST}: '{name}' must be a plain file name in the model directory")
    path = directory / name
    try:
        actual = _sha256(path)
    except FileNotFoundError:
        raise ModelLoadError(f"{path}: missing (the manifest names it); restore it or retrain") from None
    if actual != expected:
        raise ModelLoadError(
            f"{path}: SHA-256 {actual[:12]}… does not match the manifest's {expected[:12]}…; "
            "the file is corrupted or was modified. Restore it or retrain the model"
        )
    return path


def _store_adapter(source: str, directory: Path) -> AdapterInfo:
    """Copy the adapter into the model directory under a content-addressed name."""
    digest = _sha256(Path(source))
    name = f"adapter-{digest[:16]}.safetensors"
    target = directory / name
    if Path(source).resolve() != target.resolve():
        with tempfile.NamedTemporaryFile(dir=directory, prefix=".adapter-", suffix=".tmp", delete=False) as tmp:
            tmp.write(Path(source).read_bytes())
            _seal(tmp)
        os.replace(tmp.name, target)
    return AdapterInfo(file=name, sha256=digest)


def _check_encoder(model, manifest: Manifest) -> None:
    enc = model.encoder_
    if enc.dimension != manifest.encoder.dimension:
        raise ModelLoadError(
            f"encoder '{enc.name}' gives {enc.dimension}-dimensional embeddings but the model was trained "
            f"on '{manifest.encoder.name}' ({manifest.encoder.dimension}); load it with that encoder"
        )
    probe = _probe(enc)
    stored = np.asarray(manifest.encoder.probe, dtype=np.float64)
    cosine = float(probe @ stored / max(np.linalg.norm(probe) * np.linalg.norm(stored), 1e-12))
    if cosine < PROBE_MIN_COSINE:
        raise ModelLoadError(
            f"encoder '{enc.name}' does not reproduce the embeddings of '{manifest.encoder.name}' the model "
            f"was trained on (probe cosine {cosine:.2f}); load it with the encoder it was trained with"
        )


def _probe(encoder) -> np.ndarray:
    return encoder.encode([PROBE_TEXT])[0][:PROBE_DIMS].astype(np.float64)


def file_sha256(path: Path) -> str:
    return _sha256(path)


def _sha256(path: Path) -> str:
    digest = hashlib.sha256()
    with open(path, "rb") as handle:
        for block in iter(lambda: handle.read(1 << 20), b""):
            digest.update(block)
    return digest.hexdigest()


def _write_atomic(path: Path, text: str) -> None:
    with tempfile.NamedTemporaryFile("w", dir=path.parent, prefix=f".{path.name}-", suffix=".tmp",
                                     delete=False, encoding="utf-8") as tmp:
        tmp.write(text)
        _seal(tmp)
    os.replace(tmp.name, path)
    fd = os.open(path.parent, os.O_RDONLY)
    try:
        os.fsync(fd)
    finally:
        os.close(fd)


def _seal(handle) -> None:
    """Flush a temporary file to disk and give it the permissions of an ordinary file."""
    handle.flush()
    os.fsync(handle.fileno())
    umask = os.umask(0)
    os.umask(umask)
    os.chmod(handle.name, 0o666 & ~umask)


def _version(package: str) -> str:
    try:
        return importlib_metadata.version(package)
    except importlib_metadata.PackageNotFoundError:
        return "unknown"
