# The two commands of the README. Each sets the machine up first (idempotent, quick when done).
.PHONY: demo test lint

demo:  ## set up, then start the web demo on the default model at http://127.0.0.1:7860
	scripts/bootstrap.sh
	.venv/bin/stance demo

test:  ## set up (with test tools and Chromium), then run the whole test suite
	scripts/bootstrap.sh --dev
	.venv/bin/ruff check stance demo service tests training benchmarks
	.venv/bin/python -m pytest

lint:
	.venv/bin/ruff check stance demo service tests training benchmarks
