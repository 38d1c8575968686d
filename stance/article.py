"""Splitting an article into the paragraphs the model scores.

Blank lines separate paragraphs; when a text has none, each line is a paragraph. Fragments that are not
paragraphs (short headlines, bylines, captions, datelines on their own line: fewer than MIN_WORDS words
and no sentence-final punctuation) are not scored alone: they are joined to the paragraph that follows
them (or, at the end of an article, to the one before), so no text is dropped and no paragraph is judged
on three words. A short sentence ("The drills end on Friday.") is still a paragraph.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

MIN_WORDS = 6

_BLANK_LINE = re.compile(r"\n[ \t\u00a0\u3000]*\n")
_SENTENCE_END = re.compile(r"[.!?…。！？][\"'”’)\]]*$")


@dataclass(frozen=True)
class Paragraph:
    index: int
    text: str


def split_paragraphs(text: str, min_words: int = MIN_WORDS) -> list[Paragraph]:
    """Return the article's paragraphs in order; an empty or blank text gives an empty list."""
    text = text.replace("\r\n", "\n").replace("\r", "\n").replace("\u2029", "\n\n")
    if _BLANK_LINE.search(text):
        blocks = [" ".join(block.split()) for block in _BLANK_LINE.split(text)]
    else:
        blocks = [" ".join(line.split()) for line in text.split("\n")]
    blocks = [block for block in blocks if block]
    merged: list[str] = []
    pending: list[str] = []
    for block in blocks:
        pending.append(block)
        if len(block.split()) >= min_words or _SENTENCE_END.search(block):
            merged.append(" ".join(pending))
            pending = []
    if pending:
        if merged:
            merged[-1] = " ".join([merged[-1], *pending])
        else:
            merged.append(" ".join(pending))
    return [Paragraph(i, block) for i, block in enumerate(merged)]
