"""Label schemes as data: the codebook says which schemes exist, their kind and their labels.

Everything else (datasets, heads, metrics, outputs) is driven by a `Codebook`, so a user retrains on
schemes of their own by writing a JSON file rather than code.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Literal

from pydantic import BaseModel, ConfigDict, Field, ValidationError, field_validator, model_validator

from stance.errors import CodebookError

NAME_PATTERN = r"^[A-Za-z][A-Za-z0-9_\-]*$"


class Label(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)

    name: str = Field(pattern=NAME_PATTERN)
    description: str = ""


class Scheme(BaseModel):
    """One labeling question. `multi_label`: zero or more labels; `single_label`: exactly one."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    name: str = Field(pattern=NAME_PATTERN)
    kind: Literal["multi_label", "single_label"]
    description: str = ""
    labels: tuple[Label, ...]

    @field_validator("labels")
    @classmethod
    def _unique_labels(cls, labels: tuple[Label, ...]) -> tuple[Label, ...]:
        names = [label.name for label in labels]
        duplicates = sorted({n for n in names if names.count(n) > 1})
        if duplicates:
            raise ValueError(f"duplicate label names {duplicates}")
        return labels

    @model_validator(mode="after")
    def _enough_labels(self) -> Scheme:
        needed = 2 if self.kind == "single_label" else 1
        if len(self.labels) < needed:
            raise ValueError(f"a {self.kind} scheme needs at least {needed} labels, got {len(self.labels)}")
        return self

    @property
    def label_names(self) -> list[str]:
        return [label.name for label in self.labels]

    @property
    def multi_label(self) -> bool:
        return self.kind == "multi_label"


class Codebook(BaseModel):
    """The schemes a model predicts, in order."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    name: str = "codebook"
    version: str = "1"
    description: str = ""
    schemes: tuple[Scheme, ...]

    @field_validator("schemes")
    @classmethod
    def _unique_schemes(cls, schemes: tuple[Scheme, ...]) -> tuple[Scheme, ...]:
        if not schemes:
            raise ValueError("a codebook needs at least one scheme")
        names = [scheme.name for scheme in schemes]
        reserved = {"text", "id", "target"} & set(names)
        if reserved:
            raise ValueError(f"scheme names {sorted(reserved)} are reserved for data columns")
        duplicates = sorted({n for n in names if names.count(n) > 1})
        if duplicates:
            raise ValueError(f"duplicate scheme names {duplicates}")
        return schemes

    @property
    def scheme_names(self) -> list[str]:
        return [scheme.name for scheme in self.schemes]

    def scheme(self, name: str) -> Scheme:
        for scheme in self.schemes:
            if scheme.name == name:
                return scheme
        raise CodebookError(f"no scheme named '{name}' in codebook '{self.name}' (has {self.scheme_names})")

    @classmethod
    def from_dict(cls, data: dict, source: str = "codebook") -> Codebook:
        try:
            return cls.model_validate(data)
        except ValidationError as exc:
            raise CodebookError(f"{source}: invalid codebook: {_pydantic_summary(exc)}") from None

    @classmethod
    def load(cls, path: str | Path) -> Codebook:
        path = Path(path)
        try:
            raw = json.loads(path.read_text(encoding="utf-8"))
        except FileNotFoundError:
            raise CodebookError(f"{path}: codebook file not found") from None
        except json.JSONDecodeError as exc:
            raise CodebookError(f"{path}, line {exc.lineno}: not valid JSON ({exc.msg})") from None
        if not isinstance(raw, dict):
            raise CodebookError(f"{path}: a codebook is a JSON object with a 'schemes' list")
        return cls.from_dict(raw, source=str(path))

    def save(self, path: str | Path) -> None:
        Path(path).write_text(json.dumps(self.to_dict(), indent=2, ensure_ascii=False) + "\n", encoding="utf-8")

    def to_dict(self) -> dict:
        return self.model_dump(mode="json")


def _pydantic_summary(exc: ValidationError) -> str:
    parts = []
    for err in exc.errors():
        where = ".".join(str(p) for p in err["loc"])
        parts.append(f"{where}: {err['msg']}" if where else err["msg"])
    return "; ".join(parts)
