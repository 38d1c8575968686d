"""One exception family, so callers (CLI, demo, service) can tell a user's mistake from a bug."""

from __future__ import annotations

from pathlib import Path


class StanceError(Exception):
    """Base class: anything the user can fix. The message says what, where and how."""


class CodebookError(StanceError):
    """The codebook file is missing, malformed, or inconsistent."""


class DataError(StanceError):
    """Labeled or scoring data is invalid; carries the file, line and field at fault."""

    def __init__(
        self,
        message: str,
        *,
        path: str | Path | None = None,
        line: int | None = None,
        field: str | None = None,
        hint: str | None = None,
    ) -> None:
        self.path = str(path) if path is not None else None
        self.line = line
        self.field = field
        self.reason = message
        self.hint = hint
        where = ", ".join(
            part
            for part in (
                self.path,
                f"line {line}" if line is not None else None,
                f"field '{field}'" if field is not None else None,
            )
            if part
        )
        text = f"{where}: {message}" if where else message
        if hint:
            text += f". Fix: {hint}"
        super().__init__(text)


class ModelLoadError(StanceError):
    """A model directory is missing, corrupted, tampered with, or needs another encoder."""


class EncoderError(StanceError):
    """The encoder cannot be loaded (not installed, not found offline, wrong precision)."""


class InputError(StanceError):
    """Text handed to the model for scoring is unusable (empty, too large, wrong type)."""
