"""The stance web demo: score an article, see why, label what the model is unsure of, retrain.

    stance demo                 # the default model at http://127.0.0.1:7860
    python demo/app.py --model DIR

Works with any model trained by `stance train`, whatever its codebook: the widgets are built from the
model's schemes. Everything the page does is also a named API endpoint (`score` is the one to call
from `gradio_client`).
"""

from __future__ import annotations

import argparse
import html
import json
import logging
import shutil
import sys
import tempfile
import threading
import time
import uuid
from dataclasses import dataclass, field
from pathlib import Path

import gradio as gr
import pandas as pd

from stance import LabeledData, StanceError, load_model, read_labeled, split_paragraphs
from stance.active import most_uncertain, uncertainty
from stance.cache import EmbeddingCache
from stance.dataset import labeled_from_records
from stance.evidence import EvidenceIndex
from stance.records import iter_records
from stance.training import cross_validate, data_summary, train

log = logging.getLogger("stance.demo")

MAX_CHARS = 50_000
MAX_PARAGRAPHS = 200
MAX_UPLOAD_BYTES = 2_000_000
CANDIDATES = 20
EVIDENCE_K = 3
ROOT = Path(__file__).resolve().parent.parent
PALETTE = ["#3b6fb6", "#e07b24", "#2e9e5b", "#9c4dc4", "#c23b5a", "#1f9aa8", "#8a6d1d", "#5a5a5a"]
STANCE_COLOURS = {"supportive": "#2e9e5b", "critical": "#c23b5a", "neutral": "#6b7280"}

CSS = """
.para {border-left: 6px solid #d1d5db; padding: 8px 12px; margin: 10px 0; border-radius: 4px;
       background: #f9fafb; color: #111827; line-height: 1.5;}
.chips {margin-bottom: 4px;}
.chip {display: inline-block; padding: 1px 8px; margin: 0 4px 2px 0; border-radius: 10px; color: #fff;
       font-size: 0.8em; font-weight: 600;}
.chip.none {background: #e5e7eb; color: #374151;}
.pnum {color: #6b7280; font-size: 0.8em; margin-right: 6px;}
.legend .chip {font-size: 0.85em;}
"""


@dataclass
class Session:
    """What the demo serves: the current model, its evidence, and where new labels and models go.

    One per app (shared by all browser tabs): swapping the model is atomic under the lock, so a
    request always scores with one whole model."""

    model: object
    workdir: Path
    base_data: LabeledData | None = None
    evidence: EvidenceIndex | None = None
    cache: EmbeddingCache | None = None
    lock: threading.Lock = field(default_factory=threading.Lock)
    history: list[str] = field(default_factory=list)

    @property
    def labeled_path(self) -> Path:
        return self.workdir / "labeled.jsonl"

    def snapshot(self) -> tuple[object, EvidenceIndex | None]:
        with self.lock:
            return self.model, self.evidence


# -- scoring ------------------------------------------------------------------------------------


def check_article(text: str | None) -> str:
    if text is None or not str(text).strip():
        raise gr.Error("Paste an article (or upload a .txt, .jsonl or .csv file) first: there is no text to score.")
    if len(text) > MAX_CHARS:
        raise gr.Error(f"The article has {len(text):,} characters; the demo scores up to {MAX_CHARS:,}. "
                       "Split it, or use `stance score` for long inputs.")
    if len(split_paragraphs(text)) > MAX_PARAGRAPHS:
        raise gr.Error(f"The article has more than {MAX_PARAGRAPHS} paragraphs; use `stance score` for long inputs.")
    return text


def score_payload(session: Session, text: str) -> dict:
    """The `score` API: per-paragraph labels and scores plus the article summary (as `score_article`)."""
    text = check_article(text)
    model, evidence = session.snapshot()
    result = model.score_article(text)
    payload = result.to_dict()
    if evidence is not None and result.paragraphs:
        for item, neighbours in zip(payload["paragraphs"], evidence.nearest(result.embeddings, EVIDENCE_K),
                                    strict=True):
            item["evidence"] = [n.to_dict() for n in neighbours]
    return payload


def colours(model) -> dict[str, str]:
    labels = [label for scheme in model.schemes if scheme.multi_label for label in scheme.label_names]
    return {label: PALETTE[i % len(PALETTE)] for i, label in enumerate(labels)}


def chip(text: str, colour: str | None, title: str = "") -> str:
    if colour is None:
        return f'<span class="chip none" title="{html.escape(title)}">{html.escape(text)}</span>'
    return f'<span class="chip" style="background:{colour}" title="{html.escape(title)}">{html.escape(text)}</span>'


def legend_html(model) -> str:
    parts = [chip(label, colour) for label, colour in colours(model).items()]
    parts.append(chip("no frame", None))
    single = [s for s in model.schemes if not s.multi_label]
    for scheme in single:
        parts += [chip(f"{scheme.name}: {label}", STANCE_COLOURS.get(label, "#6b7280")) for label in scheme.label_names]
    return '<div class="legend">' + " ".join(parts) + "</div>"


def paragraphs_html(model, payload: dict) -> str:
    """Each paragraph with a chip per predicted label; the border takes the colour of its top frame."""
    palette = colours(model)
    blocks = [legend_html(model)]
    for item in payload["paragraphs"]:
        chips, border = [], "#d1d5db"
        for scheme in model.schemes:
            labels = item["labels"][scheme.name]
            scores = item["scores"][scheme.name]
            if scheme.multi_label:
                if labels:
                    ranked = sorted(labels, key=lambda label: -scores[label])
                    border = palette[ranked[0]]
                    chips += [chip(label, palette[label], f"p = {scores[label]:.2f}") for label in ranked]
                else:
                    chips.append(chip(f"no {scheme.name}", None, "no label above its threshold"))
            else:
                label = labels[0]
                chips.append(chip(f"{label}", STANCE_COLOURS.get(label, "#6b7280"), f"p = {scores[label]:.2f}"))
        blocks.append(
            f'<div class="para" style="border-left-color:{border}"><div class="chips">'
            f'<span class="pnum">¶{item["paragraph"] + 1}</span>{"".join(chips)}</div>'
            f"{html.escape(item['text'])}</div>"
        )
    return "\n".join(blocks)


def scores_table(model, payload: dict) -> pd.DataFrame:
    rows = []
    for item in payload["paragraphs"]:
        row = {"¶": item["paragraph"] + 1, "text": _short(item["text"], 90)}
        for scheme in model.schemes:
            for label, value in item["scores"][scheme.name].items():
                row[f"{scheme.name}: {label}"] = round(value, 3)
        rows.append(row)
    return pd.DataFrame(rows)


def summary_frame(model, payload: dict) -> pd.DataFrame:
    rows = [
        {"label": label, "share": round(entry["share"], 3), "scheme": scheme}
        for scheme, per_label in payload["summary"].items()
        for label, entry in per_label.items()
    ]
    for scheme in model.schemes:
        if scheme.multi_label and payload["paragraphs"]:
            none = sum(not p["labels"][scheme.name] for p in payload["paragraphs"]) / len(payload["paragraphs"])
            rows.append({"label": f"no {scheme.name}", "share": round(none, 3), "scheme": scheme.name})
    return pd.DataFrame(rows, columns=["label", "share", "scheme"])


def evidence_table(payload: dict) -> pd.DataFrame:
    rows = []
    for item in payload["paragraphs"]:
        for rank, neighbour in enumerate(item.get("evidence", []), start=1):
            rows.append({
                "¶": item["paragraph"] + 1,
                "rank": rank,
                "similarity": round(neighbour["similarity"], 3),
                "labels": "; ".join(f"{k}: {', '.join(v) or 'none'}" for k, v in neighbour["labels"].items()),
                "labeled paragraph": _short(neighbour["text"], 220),
            })
    return pd.DataFrame(rows, columns=["¶", "rank", "similarity", "labels", "labeled paragraph"])


def read_upload(path: str | None) -> str:
    """An uploaded .txt becomes the article; .jsonl/.csv records become its paragraphs."""
    if not path:
        return ""
    file = Path(path)
    if file.stat().st_size > MAX_UPLOAD_BYTES:
        raise gr.Error(f"{file.name} is larger than {MAX_UPLOAD_BYTES // 1_000_000} MB; use `stance score` for big files.")
    try:
        return "\n\n".join(record["text"].strip() for record in iter_records(str(file)))
    except StanceError as exc:
        raise gr.Error(str(exc)) from None


# -- label and retrain ---------------------------------------------------------------------------


def paragraphs_from(text: str | None, upload: str | None) -> list[str]:
    source = read_upload(upload) if upload else (text or "")
    if not source.strip():
        raise gr.Error("Upload a file or paste text with the paragraphs you want to label.")
    if len(source) > 20 * MAX_CHARS:
        raise gr.Error(f"That is more than {20 * MAX_CHARS:,} characters; label a smaller batch at a time.")
    return [p.text for p in split_paragraphs(source)]


def propose(session: Session, text: str | None, upload: str | None) -> tuple[list[dict], pd.DataFrame]:
    """The paragraphs the current model is least sure of, with its current guesses."""
    paragraphs = list(dict.fromkeys(paragraphs_from(text, upload)))
    model, _ = session.snapshot()
    embeddings = model.embed(paragraphs, cache=session.cache)
    doubt = uncertainty(model, embeddings)
    predictions = model.predict_embeddings(embeddings)
    chosen = most_uncertain(model, embeddings, CANDIDATES)
    queue = [{"text": paragraphs[i], "uncertainty": float(doubt[i]), "labels": predictions[i].labels} for i in chosen]
    return queue, queue_table(queue)


def queue_table(queue: list[dict]) -> pd.DataFrame:
    rows = [{"#": i + 1, "uncertainty": round(item["uncertainty"], 3),
             "model's guess": "; ".join(f"{k}: {', '.join(v) or 'none'}" for k, v in item["labels"].items()),
             "paragraph": _short(item["text"], 160)} for i, item in enumerate(queue)]
    return pd.DataFrame(rows, columns=["#", "uncertainty", "model's guess", "paragraph"])


def append_label(session: Session, text: str, labels: dict) -> int:
    """Append one labeled row to the session's JSONL file (validated first) and return the row count."""
    model, _ = session.snapshot()
    record = {"id": f"demo-{uuid.uuid4().hex[:12]}", "text": text}
    for scheme in model.schemes:
        value = labels.get(scheme.name)
        if scheme.multi_label:
            record[scheme.name] = list(value or [])
        else:
            if not value:
                raise gr.Error(f"Choose a '{scheme.name}' label before saving.")
            record[scheme.name] = value
    try:
        labeled_from_records([record], model.codebook_)
    except StanceError as exc:
        raise gr.Error(str(exc)) from None
    with session.lock, open(session.labeled_path, "a", encoding="utf-8") as handle:
        handle.write(json.dumps(record, ensure_ascii=False) + "\n")
        handle.flush()
    return len(read_labeled_rows(session))


def read_labeled_rows(session: Session) -> list[dict]:
    if not session.labeled_path.exists():
        return []
    return [json.loads(line) for line in session.labeled_path.read_text(encoding="utf-8").splitlines() if line]


def retrain(session: Session) -> tuple[pd.DataFrame, str, str]:
    """Fit new heads on the base data plus the session's labels; swap the model only on success."""
    model, _ = session.snapshot()
    new_rows = read_labeled_rows(session)
    if not new_rows:
        raise gr.Error("Label at least one paragraph before retraining.")
    base = session.base_data.records() if session.base_data is not None else []
    try:
        data = labeled_from_records(base + new_rows, model.codebook_, source="demo labels")
    except StanceError as exc:
        raise gr.Error(str(exc)) from None
    started = time.perf_counter()
    manifest = getattr(model, "manifest_", None)
    before = manifest.metrics if manifest is not None and manifest.metrics.get("schemes") else None
    try:
        if before is None and session.base_data is not None:
            embeddings = model.embed(session.base_data.texts, cache=session.cache)
            before, _ = cross_validate(model, session.base_data, embeddings, 5)
        candidate = type(model)(**model.get_params())
        result = train(data, candidate, folds=5, cache=session.cache, progress=False)
    except StanceError as exc:
        raise gr.Error(f"Retraining failed, the current model keeps serving: {exc}") from None
    seconds = time.perf_counter() - started
    out = session.workdir / "models" / time.strftime("%Y%m%d-%H%M%S")
    result.model.save(out, data=data_summary(data), metrics={**result.report, "seconds": {"retrain": seconds}},
                      training={"source": "demo", "rows": len(data), "new_labels": len(new_rows)})
    evidence = EvidenceIndex(result.model, data, cache=session.cache)
    with session.lock:
        session.model = load_model(out)
        session.evidence = evidence
        session.history.append(str(out))
    data_file = out / "training-data.jsonl"
    data_file.write_text("".join(json.dumps(r, ensure_ascii=False) + "\n" for r in data.records()), encoding="utf-8")
    archive = shutil.make_archive(str(out), "zip", root_dir=out)
    return metrics_comparison(before, result.report), archive, str(data_file)


def metrics_comparison(before: dict | None, after: dict) -> pd.DataFrame:
    rows = []
    for scheme, metrics in after["schemes"].items():
        old = (before or {}).get("schemes", {}).get(scheme, {})
        rows.append({"scheme": scheme, "label": "(macro-F1)", "F1 before": old.get("macro_f1"),
                     "F1 after": metrics["macro_f1"], "support after": metrics["n"]})
        for label, row in metrics["per_label"].items():
            rows.append({"scheme": scheme, "label": label,
                         "F1 before": old.get("per_label", {}).get(label, {}).get("f1"),
                         "F1 after": row["f1"], "support after": row["support"]})
    return pd.DataFrame(rows, columns=["scheme", "label", "F1 before", "F1 after", "support after"])


# -- model tab -----------------------------------------------------------------------------------


def codebook_markdown(model) -> str:
    book = model.codebook_
    lines = [f"### Codebook `{book.name}` (version {book.version})", book.description, ""]
    for scheme in book.schemes:
        kind = "zero or more labels" if scheme.multi_label else "exactly one label"
        lines += [f"**`{scheme.name}`** ({kind}). {scheme.description}", ""]
        lines += [f"- `{label.name}`: {label.description}" for label in scheme.labels]
        lines.append("")
    return "\n".join(lines)


def metrics_frame(model) -> pd.DataFrame:
    manifest = getattr(model, "manifest_", None)
    schemes = (manifest.metrics.get("schemes", {}) if manifest else {})
    rows = [
        {"scheme": scheme, "label": label, **row}
        for scheme, metrics in schemes.items()
        for label, row in metrics["per_label"].items()
    ]
    return pd.DataFrame(rows, columns=["scheme", "label", "precision", "recall", "f1", "support"])


def confusion_frame(model) -> pd.DataFrame:
    manifest = getattr(model, "manifest_", None)
    for metrics in (manifest.metrics.get("schemes", {}) if manifest else {}).values():
        if "confusion_matrix" in metrics:
            cm = metrics["confusion_matrix"]
            frame = pd.DataFrame(cm["matrix"], columns=[f"predicted {c}" for c in cm["labels"]])
            frame.insert(0, "true", cm["labels"])
            return frame
    return pd.DataFrame()


def model_card(model) -> str:
    directory = getattr(model, "directory_", None)
    card = Path(directory) / "README.md" if directory else None
    return card.read_text(encoding="utf-8") if card and card.exists() else "No model card."


# -- the app ---------------------------------------------------------------------------------------


def example_articles(limit: int = 6) -> list[list[str]]:
    """Original articles from data/articles.jsonl: those with the most frames first, and one with none."""
    path = ROOT / "data" / "articles.jsonl"
    if not path.exists():
        return []
    articles: dict[str, list[dict]] = {}
    for row in map(json.loads, path.read_text(encoding="utf-8").splitlines()):
        articles.setdefault(row["article"], []).append(row)
    def frames(rows):
        return {label for row in rows for label in row["frame"]}
    ranked = sorted(articles.values(), key=lambda rows: (-len(frames(rows)), rows[0]["article"]))
    chosen = ranked[: limit - 1] + [rows for rows in ranked if not frames(rows)][:1]
    return [[rows[0]["title"] + "\n\n" + "\n\n".join(row["text"] for row in rows)] for rows in chosen]


def build_app(session: Session) -> gr.Blocks:
    model, _ = session.snapshot()
    with gr.Blocks(title="stance: framing and stance in partnership coverage") as app:
        gr.Markdown(
            "# stance\nLabels each paragraph of a news article by how it **frames** a major power's security "
            "partnership with a smaller state, and by its **stance** toward it. Paste an article, or pick an "
            "example below, and press **Score**."
        )
        with gr.Tab("Score"):
            with gr.Row():
                with gr.Column(scale=3):
                    article = gr.Textbox(label="Article (paragraphs separated by blank lines)", lines=12,
                                         max_length=MAX_CHARS, placeholder="Paste an article here…",
                                         elem_id="article")
                with gr.Column(scale=1):
                    upload = gr.File(label="…or upload .txt / .jsonl / .csv", file_types=[".txt", ".jsonl", ".csv"],
                                     type="filepath")
                    score_button = gr.Button("Score", variant="primary", elem_id="score-button")
                    gr.Markdown(f"Up to {MAX_CHARS:,} characters and {MAX_PARAGRAPHS} paragraphs.")
            examples = example_articles()
            if examples:
                gr.Examples(examples=examples, inputs=[article], label="Example articles (original, from data/)")
            paragraphs = gr.HTML(label="Paragraphs", elem_id="paragraphs")
            with gr.Row():
                summary = gr.BarPlot(x="label", y="share", color="scheme", label="Share of paragraphs per label",
                                     y_lim=[0, 1], sort=None)
            table = gr.Dataframe(label="Probabilities per paragraph", wrap=True, elem_id="scores-table")
            evidence = gr.Dataframe(label=f"Evidence: the {EVIDENCE_K} nearest labeled training paragraphs",
                                    wrap=True, elem_id="evidence-table")
            raw = gr.JSON(visible=False)

            def on_upload(path):
                return read_upload(path)

            def on_score(text):
                payload = score_payload(session, text)
                current, _ = session.snapshot()
                return (paragraphs_html(current, payload), summary_frame(current, payload),
                        scores_table(current, payload), evidence_table(payload), payload)

            upload.upload(on_upload, upload, article, api_name="read_upload", api_visibility="undocumented")
            score_button.click(on_score, article, [paragraphs, summary, table, evidence, raw],
                               api_name="score_view", api_visibility="undocumented", concurrency_limit=2)

        with gr.Tab("Label & retrain"):
            gr.Markdown(
                "1. Upload unlabeled paragraphs or articles (or paste them). 2. **Find paragraphs to label**: the "
                "model proposes those it is least sure of. 3. Label each one and **Save label**. 4. **Retrain**: "
                "the new model serves the Score tab only if retraining succeeds."
            )
            with gr.Row():
                pool_text = gr.Textbox(label="Unlabeled text", lines=6, elem_id="pool-text")
                pool_file = gr.File(label="…or upload .txt / .jsonl / .csv", file_types=[".txt", ".jsonl", ".csv"],
                                    type="filepath")
            propose_button = gr.Button("Find paragraphs to label", elem_id="propose-button")
            queue_state = gr.State([])
            position = gr.State(0)
            queue_view = gr.Dataframe(label="Least certain paragraphs", wrap=True, elem_id="queue-table")
            current_text = gr.Textbox(label="Paragraph to label", lines=5, interactive=False, elem_id="current-text")
            inputs = []
            for scheme in model.schemes:
                if scheme.multi_label:
                    inputs.append(gr.CheckboxGroup(scheme.label_names, label=f"{scheme.name} (any that apply)",
                                                   elem_id=f"label-{scheme.name}"))
                else:
                    inputs.append(gr.Radio(scheme.label_names, label=f"{scheme.name} (one)",
                                           elem_id=f"label-{scheme.name}"))
            with gr.Row():
                save_button = gr.Button("Save label", variant="primary", elem_id="save-label")
                skip_button = gr.Button("Skip", elem_id="skip")
            labeled_count = gr.Markdown("No labels yet.", elem_id="labeled-count")
            retrain_button = gr.Button("Retrain", variant="primary", elem_id="retrain-button")
            comparison = gr.Dataframe(label="Cross-validated F1 before and after", elem_id="comparison")
            with gr.Row():
                model_file = gr.File(label="New model (zip)")
                data_file = gr.File(label="Training data with your labels (JSONL)")

            def show(queue, index):
                if not queue or index >= len(queue):
                    return ["Nothing left to label: find more paragraphs."] + [None] * len(inputs)
                item = queue[index]
                guesses = [item["labels"][s.name] if s.multi_label else item["labels"][s.name][0]
                           for s in model.schemes]
                return [item["text"], *guesses]

            def on_propose(text, path):
                queue, view = propose(session, text, path)
                return [queue, 0, view, *show(queue, 0)]

            def on_save(queue, index, *values):
                if not queue or index >= len(queue):
                    raise gr.Error("Find paragraphs to label first.")
                count = append_label(session, queue[index]["text"],
                                     {s.name: v for s, v in zip(model.schemes, values, strict=True)})
                return [index + 1, f"{count} paragraph(s) labeled in {session.labeled_path}", *show(queue, index + 1)]

            def on_skip(queue, index):
                return [index + 1, *show(queue, index + 1)]

            def on_retrain():
                table, archive, data_path = retrain(session)
                return table, archive, data_path

            propose_button.click(on_propose, [pool_text, pool_file],
                                 [queue_state, position, queue_view, current_text, *inputs],
                                 api_name="propose", api_visibility="undocumented")
            save_button.click(on_save, [queue_state, position, *inputs],
                              [position, labeled_count, current_text, *inputs],
                              api_name="save_label", api_visibility="undocumented")
            skip_button.click(on_skip, [queue_state, position], [position, current_text, *inputs],
                              api_name="skip", api_visibility="undocumented")
            retrain_button.click(on_retrain, None, [comparison, model_file, data_file], api_name="retrain",
                                 api_visibility="undocumented", concurrency_limit=1)

        with gr.Tab("Model"):
            codebook_view = gr.Markdown(codebook_markdown(model))
            metrics_view = gr.Dataframe(metrics_frame(model), label="Cross-validated metrics")
            confusion_view = gr.Dataframe(confusion_frame(model), label="Confusion matrix (single-label scheme)")
            with gr.Accordion("Model card", open=False):
                card_view = gr.Markdown(model_card(model))
            refresh = gr.Button("Refresh (after a retrain)")

            def on_refresh():
                current, _ = session.snapshot()
                return codebook_markdown(current), metrics_frame(current), confusion_frame(current), model_card(current)

            refresh.click(on_refresh, None, [codebook_view, metrics_view, confusion_view, card_view],
                          api_name="model_info", api_visibility="undocumented")

        def score(text: str) -> dict:
            """Score an article: per-paragraph labels, scores and evidence, plus the article summary."""
            return score_payload(session, text)

        gr.api(score, api_name="score", concurrency_limit=2)
    return app


def make_session(model_dir: str | None = None, evidence: str | None = None, workdir: str | None = None) -> Session:
    return make_session_for(load_model(model_dir), evidence, workdir)


def make_session_for(model, evidence: str | None = None, workdir: str | None = None) -> Session:
    """A demo session around an already loaded model (the service shares its model this way)."""
    cache = EmbeddingCache()
    work = Path(workdir) if workdir else Path(tempfile.mkdtemp(prefix="stance-demo-"))
    work.mkdir(parents=True, exist_ok=True)
    session = Session(model=model, workdir=work, cache=cache)
    source = _evidence_source(model, evidence)
    if source is not None:
        session.base_data = read_labeled(source, model.codebook_)
        session.evidence = EvidenceIndex(model, session.base_data, cache=cache, progress=True)
        log.info("evidence: %d labeled paragraphs from %s", len(session.base_data), source)
    else:
        log.warning("no labeled data found for evidence; pass --evidence PATH to show nearest paragraphs")
    return session


def _evidence_source(model, evidence: str | None) -> Path | None:
    if evidence:
        return Path(evidence)
    recorded = (getattr(model, "manifest_", None).training or {}).get("data") if getattr(model, "manifest_", None) else None
    for candidate in ([Path(recorded), ROOT / recorded] if recorded else []):
        if candidate.exists():
            return candidate
    return None


def main(args: argparse.Namespace | None = None) -> int:
    if args is None:
        parser = argparse.ArgumentParser(description="the stance web demo")
        parser.add_argument("--model")
        parser.add_argument("--host", default="127.0.0.1")
        parser.add_argument("--port", type=int, default=7860)
        args = parser.parse_args()
    logging.basicConfig(level=logging.INFO, format="%(levelname)s %(name)s: %(message)s", stream=sys.stderr)
    session = make_session(args.model, getattr(args, "evidence", None), getattr(args, "workdir", None))
    app = build_app(session).queue(default_concurrency_limit=2, max_size=64)
    print(f"stance demo: http://{args.host}:{args.port}  (labels and retrained models go to {session.workdir})",
          flush=True)
    app.launch(server_name=args.host, server_port=args.port, css=CSS, show_error=True, quiet=True,
               max_file_size=MAX_UPLOAD_BYTES)
    return 0


def _short(text: str, limit: int) -> str:
    return text if len(text) <= limit else text[: limit - 1] + "…"


if __name__ == "__main__":
    sys.exit(main())
