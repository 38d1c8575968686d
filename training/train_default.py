"""Rebuild the default model shipped in stance/default_model from data/ with one command:

    python training/train_default.py [--config training/config.json] [--out DIR]

A thin layer over `stance train`: the settings live in config.json (see training/README.md for why
each was chosen) and are recorded in the model's manifest.
"""

from __future__ import annotations

import argparse
import json
import sys
from pathlib import Path

from stance.cli import main as stance_main

ROOT = Path(__file__).resolve().parent.parent


def argv_from_config(config: dict, out: str | None = None) -> list[str]:
    argv = ["train", "--data", config["data"], "--codebook", config["codebook"], "--out", out or config["out"],
            "--encoder", config["encoder"], "--precision", config["precision"], "--C", str(config["C"]),
            "--threshold-beta", str(config["threshold_beta"]),
            "--cv", str(config["cv"]), "--folds", str(config["folds"]), "--seed", str(config["seed"])]
    for path in config.get("held_out", []):
        argv += ["--held-out", path]
    if config.get("prevalence_from"):
        argv += ["--prevalence-from", config["prevalence_from"]]
    if config.get("tune"):
        argv += ["--tune", "--tune-epochs", str(config["tune_epochs"])]
        argv += ["--threshold-folds", str(config.get("threshold_folds", 0))]
    return argv


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--config", default=str(ROOT / "training" / "config.json"))
    parser.add_argument("--out", help="write the model here instead of the config's 'out'")
    args = parser.parse_args()
    config = json.loads(Path(args.config).read_text(encoding="utf-8"))
    return stance_main(argv_from_config(config, args.out))


if __name__ == "__main__":
    sys.exit(main())
