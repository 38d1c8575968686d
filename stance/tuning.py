"""The `tuned` training mode: adapt the encoder to the codebook with a small LoRA adapter.

A frozen sentence encoder groups paragraphs by topic; the codebook asks about framing, which cuts
across topics. Training low-rank adapters (LoRA) on the encoder's attention and feed-forward layers,
with a temporary classification layer per scheme, teaches the embedding what the codebook separates.
The adapter is merged into the encoder's weights at load time, so scoring stays embed-then-linear at
exactly the frozen encoder's speed, and the adapter file is small (about 3 MB), so it ships with the
model. The sklearn heads are then fitted on the tuned embeddings as usual, and the demo's seconds-fast
retraining keeps working on top of the tuned encoder.

Adapters are stored as safetensors (no pickle); `peft` is needed to train one, not to use it.
"""

from __future__ import annotations

import hashlib
import logging
import sys
import warnings
from dataclasses import asdict, dataclass, field
from pathlib import Path

import numpy as np
from tqdm.auto import tqdm

from stance.dataset import LabeledData
from stance.errors import EncoderError, StanceError

log = logging.getLogger(__name__)

SCALE_KEY = "lora_scale"


@dataclass
class TuningConfig:
    """LoRA settings; chosen by cross-validation on the training corpus (see training/README.md)."""

    # 6 beat 4 wherever both were measured: the default corpus's held-out articles (frame macro-F1 0.726 vs
    # 0.716, training/README.md) and NewsMTSC dev_rw (0.822 vs 0.809, benchmarks/README.md).
    epochs: int = 6
    rank: int = 16
    alpha: int = 32
    dropout: float = 0.1
    learning_rate: float = 2e-4
    batch_size: int = 16
    logit_scale: float = 10.0
    # Attention and feed-forward projections, by their names in BERT-like encoders (MiniLM: query/key/value,
    # dense) and in MPNet (q/k/v/o); a name the encoder lacks is skipped.
    targets: list[str] = field(default_factory=lambda: ["query", "key", "value", "q", "k", "v", "o", "dense"])
    seed: int = 0
    # bf16 autocast where the CPU runs bf16 natively ("auto"); on an AVX2-only CPU a bf16 step measured about
    # 12x slower than fp32 (training/README.md).
    precision: str = "auto"

    def to_dict(self) -> dict:
        return asdict(self)


def tune_adapter(
    encoder: str,
    data: LabeledData,
    texts: list[str],
    config: TuningConfig,
    out: Path,
    *,
    progress: bool = True,
) -> Path:
    """Train a LoRA adapter for `encoder` on `texts` labeled by `data`; write it to `out` (safetensors)."""
    try:
        import peft
        import torch
    except ImportError:
        raise StanceError("the tuned training mode needs peft. Fix: pip install 'stance[tune]'") from None
    from sentence_transformers import SentenceTransformer

    from stance.encoder import PACKAGED_NAMES, packaged_model_path, resolve_precision

    bf16 = resolve_precision(config.precision) == "bf16"
    torch.manual_seed(config.seed)
    rng = np.random.default_rng(config.seed)
    location = packaged_model_path() if encoder in PACKAGED_NAMES else encoder
    model = SentenceTransformer(str(location), device="cpu")
    transformer = model[0]
    lora = peft.LoraConfig(r=config.rank, lora_alpha=config.alpha, lora_dropout=config.dropout,
                           target_modules=list(config.targets))
    with warnings.catch_warnings():  # transformers' deprecation notice about its own checkpointing API
        warnings.simplefilter("ignore", FutureWarning)
        transformer.model = peft.get_peft_model(transformer.model, lora)
    dimension = model.get_embedding_dimension()
    layers = torch.nn.ModuleDict()
    targets = {}
    for scheme in data.schemes:
        layers[scheme.name] = torch.nn.Linear(dimension, len(scheme.label_names))
        if scheme.multi_label:
            targets[scheme.name] = torch.tensor(data.indicator(scheme.name), dtype=torch.float32)
        else:
            names = scheme.label_names
            targets[scheme.name] = torch.tensor([names.index(v) for v in data.labels[scheme.name]])
    params = [p for p in model.parameters() if p.requires_grad] + list(layers.parameters())
    optimizer = torch.optim.AdamW(params, lr=config.learning_rate, weight_decay=0.01)
    steps_per_epoch = -(-len(texts) // config.batch_size)
    total = config.epochs * steps_per_epoch
    # One-cycle needs at least two warm-up steps (torch divides by their count); a very short run, as on a
    # small user file, keeps a constant rate instead.
    schedule = (torch.optim.lr_scheduler.OneCycleLR(optimizer, max_lr=config.learning_rate, total_steps=total,
                                                    pct_start=max(0.1, 2 / total))
                if total >= 4 else None)
    model.train()
    bar = tqdm(total=total, desc="tuning encoder", unit="batch", file=sys.stderr,
               disable=not progress)
    for _epoch in range(config.epochs):
        order = rng.permutation(len(texts))
        for start in range(0, len(texts), config.batch_size):
            rows = order[start : start + config.batch_size]
            features = model.preprocess([texts[i] for i in rows])
            with torch.autocast("cpu", dtype=torch.bfloat16, enabled=bf16):
                embedding = model(features)["sentence_embedding"]
            logits_in = embedding.float() * config.logit_scale
            loss = 0.0
            for scheme in data.schemes:
                logits = layers[scheme.name](logits_in)
                if scheme.multi_label:
                    loss = loss + torch.nn.functional.binary_cross_entropy_with_logits(
                        logits, targets[scheme.name][rows])
                else:
                    loss = loss + torch.nn.functional.cross_entropy(logits, targets[scheme.name][rows])
            optimizer.zero_grad()
            loss.backward()
            optimizer.step()
            if schedule is not None:
                schedule.step()
            bar.update(1)
            bar.set_postfix(loss=f"{loss.item():.3f}")
    bar.close()
    return save_adapter(_lora_weights(transformer.model), out)


def _lora_weights(peft_model) -> dict[str, np.ndarray]:
    from peft.tuners.lora import Linear as LoraLinear

    weights: dict[str, np.ndarray] = {}
    scales = set()
    for name, module in peft_model.named_modules():
        if isinstance(module, LoraLinear):
            base = name.removeprefix("base_model.model.")
            weights[f"{base}.lora_A"] = module.lora_A["default"].weight.detach().float().numpy()
            weights[f"{base}.lora_B"] = module.lora_B["default"].weight.detach().float().numpy()
            scales.add(float(module.scaling["default"]))
    if len(scales) != 1:
        raise StanceError(f"expected one LoRA scale, found {sorted(scales)}")
    weights[SCALE_KEY] = np.array([scales.pop()], dtype=np.float32)
    return weights


def save_adapter(weights: dict[str, np.ndarray], out: Path) -> Path:
    from safetensors.numpy import save_file

    out.parent.mkdir(parents=True, exist_ok=True)
    save_file({k: np.ascontiguousarray(v, dtype=np.float32) for k, v in weights.items()}, str(out))
    return out


def adapter_sha256(path: str | Path) -> str:
    return hashlib.sha256(Path(path).read_bytes()).hexdigest()


def merge_adapter(hf_model, path: str | Path) -> int:
    """Add the adapter's low-rank updates (scale * B @ A) into the model's Linear weights, in place."""
    import torch
    from safetensors.numpy import load_file

    try:
        weights = load_file(str(path))
    except Exception as exc:
        raise EncoderError(f"{path}: not a readable adapter ({type(exc).__name__})") from None
    scale = float(weights.pop(SCALE_KEY)[0])
    merged = 0
    with torch.no_grad():
        for key in sorted(k for k in weights if k.endswith(".lora_A")):
            name = key.removesuffix(".lora_A")
            try:
                layer = hf_model.get_submodule(name)
            except AttributeError:
                raise EncoderError(f"{path}: adapter names layer '{name}', which this encoder lacks") from None
            update = torch.from_numpy(weights[f"{name}.lora_B"] @ weights[key]) * scale
            if tuple(update.shape) != tuple(layer.weight.shape):
                raise EncoderError(f"{path}: adapter shape {tuple(update.shape)} does not fit layer '{name}'")
            layer.weight += update.to(layer.weight.dtype)
            merged += 1
    return merged
