"""The model card (README.md in a model directory), rendered from the manifest so it never disagrees
with it."""

from __future__ import annotations


def render_card(manifest: dict) -> str:
    codebook = manifest["codebook"]
    data = manifest.get("data") or {}
    metrics = (manifest.get("metrics") or {}).get("schemes", {})
    cv = (manifest.get("metrics") or {}).get("protocol", "")
    lines = [
        f"# Model card: {data.get('name') or codebook.get('name', 'stance model')}",
        "",
        "Labels news paragraphs with the schemes of the codebook below: a sentence-transformers encoder "
        "turns each paragraph into an embedding, and one linear head per scheme turns the embedding into "
        "probabilities and labels.",
        "",
        "```python",
        "from stance import load_model",
        "model = load_model(\"<this directory>\")",
        "model.predict([\"paragraph text\"])[0].labels",
        "```",
        "",
        "## Encoder",
        f"- `{manifest['encoder']['name']}`, {manifest['encoder']['dimension']} dimensions "
        f"(trained with {manifest['encoder']['precision']} embeddings)",
        "",
        "## Codebook",
        f"`{codebook.get('name')}` version {codebook.get('version')}. {codebook.get('description', '')}",
        "",
    ]
    thresholds = manifest.get("thresholds") or {}
    for scheme in codebook["schemes"]:
        kind = "multi-label: zero or more labels" if scheme["kind"] == "multi_label" else "single-label"
        lines += [f"### `{scheme['name']}` ({kind})", "", "| label | meaning | threshold |", "|---|---|---|"]
        for label in scheme["labels"]:
            t = thresholds.get(scheme["name"], {}).get(label["name"])
            lines.append(f"| `{label['name']}` | {label['description']} | {'' if t is None else f'{t:.2f}'} |")
        lines.append("")
    lines += ["## Training data", ""]
    if data:
        lines.append(f"- source: `{data.get('source', '?')}`, {data.get('rows', '?')} rows, "
                     f"SHA-256 `{data.get('sha256', '?')}`")
        for scheme, counts in (data.get("label_counts") or {}).items():
            lines.append(f"- `{scheme}`: " + ", ".join(f"{k} {v}" for k, v in counts.items()))
    else:
        lines.append("- not recorded")
    lines += ["", "## Cross-validated metrics", ""]
    if metrics:
        if cv:
            lines += [cv, ""]
        for scheme, m in metrics.items():
            lines += [
                f"### `{scheme}`: macro-F1 {m['macro_f1']:.3f}, micro-F1 {m['micro_f1']:.3f}",
                "",
                "| label | precision | recall | F1 | support |",
                "|---|---|---|---|---|",
            ]
            for label, row in m["per_label"].items():
                lines.append(f"| `{label}` | {row['precision']:.3f} | {row['recall']:.3f} | {row['f1']:.3f} | "
                             f"{row['support']} |")
            if "confusion_matrix" in m:
                cm = m["confusion_matrix"]
                lines += ["", "Confusion matrix (rows: true, columns: predicted):", "",
                          "| | " + " | ".join(cm["labels"]) + " |", "|---" * (len(cm["labels"]) + 1) + "|"]
                for label, row in zip(cm["labels"], cm["matrix"], strict=True):
                    lines.append(f"| **{label}** | " + " | ".join(str(v) for v in row) + " |")
            lines.append("")
    else:
        lines += ["- not recorded", ""]
    extra = (manifest.get("metrics") or {}).get("held_out") or {}
    for name, report in extra.items():
        lines += [f"## Held-out evaluation: {name}", ""]
        for scheme, m in report.get("schemes", {}).items():
            per = ", ".join(f"{k} P {v['precision']:.2f} R {v['recall']:.2f}" for k, v in m["per_label"].items())
            lines.append(f"- `{scheme}`: macro-F1 {m['macro_f1']:.3f} ({per})")
        lines.append("")
    lines += [
        "## Intended use and limits",
        "",
        "- For analysts measuring framing and stance across many paragraphs; a single label is a "
        "probabilistic judgement, not a fact. Read the evidence (nearest training paragraphs) before "
        "quoting one.",
        "- Trained on the data above only; coverage of other regions, genres or languages may be weaker. "
        "English only with the default encoder.",
        "- The heads are pickled with joblib: load model directories only from sources you trust. "
        "Loading checks the SHA-256 recorded here.",
        "",
        "## Versions",
        "",
        f"- stance {manifest['stance_version']}, saved {manifest['created']}",
        "- " + ", ".join(f"{k} {v}" for k, v in (manifest.get("versions") or {}).items()),
        "",
    ]
    return "\n".join(lines)
