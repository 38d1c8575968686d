"""The stance HTTP service: score paragraphs and articles as JSON, with the demo mounted at /demo.

    stance serve [--model DIR] [--models-dir DIR] [--host 127.0.0.1] [--port 8000]

One process, one loaded model. `POST /v1/reload` (bearer token from STANCE_RELOAD_TOKEN) swaps in another
model directory from the models directory: the new model is loaded and verified first, then swapped in one
assignment, so requests in flight finish on the model they started with and a bad directory changes nothing.
Bad input is answered with a JSON error that says what was wrong and how to fix it (400/413/415/422), never
with a stack trace or a file path.
"""

from __future__ import annotations

import argparse
import hmac
import logging
import os
import re
import sys
import threading
import time
from pathlib import Path
from typing import Annotated

from fastapi import FastAPI, Header, Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse
from pydantic import BaseModel, ConfigDict, Field, StringConstraints, model_validator
from starlette.concurrency import run_in_threadpool
from starlette.exceptions import HTTPException as StarletteHTTPException
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from stance import StanceError, load_model, split_paragraphs
from stance.persistence import DEFAULT_MODEL_DIR

log = logging.getLogger("stance.service")

MAX_BODY_BYTES = 2_000_000
MAX_TEXTS = 256
MAX_ARTICLES = 32
MAX_TEXT_CHARS = 20_000
MAX_ARTICLE_CHARS = 100_000
MAX_PARAGRAPHS = 1_000
MODEL_NAME = re.compile(r"^[A-Za-z0-9][A-Za-z0-9._-]{0,127}$")

Text = Annotated[str, StringConstraints(min_length=1)]


class ScoreRequest(BaseModel):
    """Give `texts` (each scored as one paragraph) or `articles` (each split into paragraphs), not both."""

    model_config = ConfigDict(extra="forbid", json_schema_extra={
        "examples": [{"texts": ["Belgrade keeps buying Western radars while training with Chinese units."]},
                     {"articles": ["First paragraph.\n\nSecond paragraph."], "ids": ["a1"]}]})

    texts: list[Text] | None = Field(default=None, max_length=MAX_TEXTS,
                                     description=f"paragraphs to score, at most {MAX_TEXTS}, each up to "
                                                 f"{MAX_TEXT_CHARS:,} characters")
    articles: list[Text] | None = Field(default=None, max_length=MAX_ARTICLES,
                                        description=f"articles to split and score, at most {MAX_ARTICLES}, each "
                                                    f"up to {MAX_ARTICLE_CHARS:,} characters")
    ids: list[str] | None = Field(default=None, description="one id per text or article (default: its index)")
    targets: list[str | None] | None = Field(default=None,
                                             description="with `texts`: the target each text is judged toward")

    @model_validator(mode="after")
    def _one_kind(self) -> ScoreRequest:
        if (self.texts is None) == (self.articles is None):
            raise ValueError("give either 'texts' (paragraphs) or 'articles' (to split into paragraphs), not both "
                             "and not neither")
        items, limit, kind = ((self.texts, MAX_TEXT_CHARS, "texts") if self.texts is not None
                              else (self.articles, MAX_ARTICLE_CHARS, "articles"))
        if not items:
            raise ValueError(f"'{kind}' is empty; send at least one")
        for i, item in enumerate(items):
            if not item.strip():
                raise ValueError(f"{kind}[{i}] is blank; every item needs some words")
            if len(item) > limit:
                raise ValueError(f"{kind}[{i}] has {len(item):,} characters; the limit is {limit:,}")
        if self.ids is not None and len(self.ids) != len(items):
            raise ValueError(f"'ids' has {len(self.ids)} entries for {len(items)} {kind}; give one per item")
        if self.targets is not None:
            if self.texts is None:
                raise ValueError("'targets' go with 'texts', one per text")
            if len(self.targets) != len(self.texts):
                raise ValueError(f"'targets' has {len(self.targets)} entries for {len(self.texts)} texts")
        return self


class Paragraph(BaseModel):
    id: str
    paragraph: int
    text: str
    labels: dict[str, list[str]]
    scores: dict[str, dict[str, float]]


class ScoreResponse(BaseModel):
    model: str = Field(description="SHA-256 of the heads that scored this request")
    results: list[Paragraph]


class ReloadRequest(BaseModel):
    model_config = ConfigDict(extra="forbid")
    model: str = Field(description="name of a model directory inside the server's models directory")


class ModelSlot:
    """The serving model. Readers take `current` once per request; a reload replaces it in one assignment."""

    def __init__(self, model) -> None:
        self.current = model
        self.loaded_at = time.time()
        self.reload_lock = threading.Lock()

    @property
    def sha(self) -> str:
        return _sha(self.current)


def _sha(model) -> str:
    manifest = getattr(model, "manifest_", None)
    return manifest.heads.sha256 if manifest else "unsaved"


class BodyLimit:
    """Refuse bodies over `limit` bytes before anything parses them (Content-Length, or counted)."""

    def __init__(self, app: ASGIApp, limit: int) -> None:
        self.app = app
        self.limit = limit

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        declared = dict(scope["headers"]).get(b"content-length")
        if declared is not None and (not declared.isdigit() or int(declared) > self.limit):
            await _too_large(scope, receive, send, self.limit)
            return
        received = 0

        async def limited() -> Message:
            nonlocal received
            message = await receive()
            received += len(message.get("body", b""))
            if received > self.limit:
                raise _BodyTooLarge
            return message

        try:
            await self.app(scope, limited, send)
        except _BodyTooLarge:
            await _too_large(scope, receive, send, self.limit)


class _BodyTooLarge(Exception):
    pass


async def _too_large(scope: Scope, receive: Receive, send: Send, limit: int) -> None:
    response = error(413, f"the request body is larger than {limit:,} bytes; send fewer or shorter texts per "
                          "request")
    await response(scope, receive, send)


def error(status: int, message: str) -> JSONResponse:
    return JSONResponse({"error": {"status": status, "message": message}}, status_code=status)


def create_app(model=None, *, models_dir: str | Path | None = None, reload_token: str | None = None,
               mount_demo: bool = True) -> FastAPI:
    slot = ModelSlot(model if model is not None else load_model())
    models_root = Path(models_dir).resolve() if models_dir else None
    app = FastAPI(title="stance", version="1",
                  description="Label news paragraphs by framing and stance toward major-power security "
                              "partnerships. Same output shape as `stance score` and the Python API.")
    app.state.slot = slot

    @app.exception_handler(RequestValidationError)
    async def invalid_request(request: Request, exc: RequestValidationError):
        first = exc.errors()[0]
        if first.get("type") == "missing" and tuple(first.get("loc", ())) == ("body",):
            return error(400, "the body is empty, not valid JSON; send a JSON object such as {\"texts\": [\"...\"]}")
        if first.get("type") == "json_invalid":
            return error(400, f"the body is not valid JSON ({first.get('ctx', {}).get('error', 'parse error')}); "
                              "send a JSON object such as {\"texts\": [\"...\"]}")
        where = ".".join(str(p) for p in first.get("loc", ()) if p != "body")
        message = first.get("msg", "invalid").removeprefix("Value error, ")
        return error(422, f"{where}: {message}" if where else message)

    @app.exception_handler(StarletteHTTPException)
    async def http_error(request: Request, exc: StarletteHTTPException):
        message = str(exc.detail)
        if exc.status_code == 400 and "parsing the body" in message:
            message = ("the body could not be parsed as JSON (malformed or nested too deeply); send a JSON object "
                       "such as {\"texts\": [\"...\"]}, not valid JSON otherwise")
        return error(exc.status_code, message)

    @app.exception_handler(Exception)
    async def unexpected(request: Request, exc: Exception):
        log.exception("unexpected error on %s", request.url.path)
        return error(500, "internal error; the request was not scored (the server log has the details)")

    @app.middleware("http")
    async def json_only(request: Request, call_next):
        if request.method == "POST" and request.url.path.startswith("/v1/"):
            kind = request.headers.get("content-type", "").split(";")[0].strip().lower()
            if kind != "application/json":
                return error(415, f"send JSON with 'Content-Type: application/json' (got '{kind or 'none'}')")
            body = await request.body()
            try:
                body.decode("utf-8")
            except UnicodeDecodeError as exc:
                return error(400, f"the body is not valid UTF-8 (byte {exc.start}); encode the JSON as UTF-8")
        return await call_next(request)

    @app.get("/v1/health")
    def health() -> dict:
        """Liveness, and whether a model is loaded."""
        return {"status": "ok", "model_loaded": slot.current is not None, "model": slot.sha}

    @app.get("/v1/model")
    def model_info() -> dict:
        """The serving model's manifest: codebook, encoder, metrics, versions."""
        manifest = getattr(slot.current, "manifest_", None)
        if manifest is None:
            return {"codebook": slot.current.codebook_.to_dict(), "heads_sha256": slot.sha}
        data = manifest.model_dump(mode="json")
        return {key: data[key] for key in ("codebook", "encoder", "metrics", "versions", "created", "thresholds",
                                           "stance_version")} | {"heads_sha256": manifest.heads.sha256}

    @app.post("/v1/score", response_model=ScoreResponse, responses={
        400: {"description": "not JSON / not UTF-8"}, 413: {"description": "body or input too large"},
        415: {"description": "not application/json"}, 422: {"description": "fields missing, mistyped or out of range"}})
    def score(request: ScoreRequest) -> dict:
        """Score `texts` (each one paragraph) or `articles` (split into paragraphs)."""
        model = slot.current  # this request finishes on this model, whatever a reload does meanwhile
        items = request.texts if request.texts is not None else request.articles
        ids = request.ids or [str(i) for i in range(len(items))]
        if request.texts is not None:
            units = [(ids[i], 0, text.strip()) for i, text in enumerate(items)]
        else:
            units = [(ids[i], p.index, p.text) for i, article in enumerate(items) for p in split_paragraphs(article)]
            if len(units) > MAX_PARAGRAPHS:
                return error(413, f"the articles hold {len(units):,} paragraphs; at most {MAX_PARAGRAPHS:,} per "
                                  "request")
        if not units:
            return {"model": _sha(model), "results": []}
        try:
            predictions = model.predict([u[2] for u in units], request.targets)
        except StanceError as exc:
            return error(422, str(exc))
        return {"model": _sha(model),
                "results": [{"id": i, "paragraph": n, "text": t, **p.to_dict()}
                            for (i, n, t), p in zip(units, predictions, strict=True)]}

    @app.post("/v1/reload")
    async def reload(body: ReloadRequest, authorization: str | None = Header(default=None)):
        """Load a model directory from the models directory and swap it in (bearer token required)."""
        if not reload_token:
            return error(403, "reload is disabled: start the server with STANCE_RELOAD_TOKEN set")
        given = (authorization or "").removeprefix("Bearer ").strip()
        if not hmac.compare_digest(given.encode(), reload_token.encode()):
            return error(401, "missing or wrong bearer token in the Authorization header")
        if models_root is None:
            return error(403, "reload is disabled: start the server with --models-dir")
        if not MODEL_NAME.match(body.model) or body.model in {".", ".."}:
            return error(422, "model: a plain directory name (letters, digits, '.', '_', '-') inside the models "
                              "directory")
        path = (models_root / body.model).resolve()
        if path.parent != models_root or not path.is_dir():
            return error(404, f"no model directory named '{body.model}' in the models directory")
        with slot.reload_lock:
            try:
                new = await run_in_threadpool(load_model, path)
            except StanceError as exc:
                message = str(exc).replace(str(models_root), "<models>")
                return error(422, f"model '{body.model}' was refused and the current model keeps serving: {message}")
            old = slot.sha
            slot.current = new
            slot.loaded_at = time.time()
            if getattr(app.state, "demo_session", None) is not None:
                with app.state.demo_session.lock:
                    app.state.demo_session.model = new
        log.info("reloaded model %s (%s -> %s)", body.model, old[:12], slot.sha[:12])
        return {"status": "reloaded", "model": slot.sha, "previous": old}

    if mount_demo:
        import gradio as gr
        from stance_demo import app as demo

        session = demo.make_session_for(slot.current)
        app.state.demo_session = session
        blocks = demo.build_app(session).queue(default_concurrency_limit=2, max_size=64)
        app = gr.mount_gradio_app(app, blocks, path="/demo", css=demo.CSS, show_error=True)
    app.add_middleware(BodyLimit, limit=MAX_BODY_BYTES)
    return app


def main(args: argparse.Namespace | None = None) -> int:
    import uvicorn

    if args is None:
        parser = argparse.ArgumentParser(description="the stance HTTP service")
        parser.add_argument("--model")
        parser.add_argument("--models-dir")
        parser.add_argument("--host", default="127.0.0.1")
        parser.add_argument("--port", type=int, default=8000)
        parser.add_argument("--no-demo", action="store_true")
        args = parser.parse_args()
    logging.basicConfig(level=logging.INFO, format="%(levelname)s %(name)s: %(message)s", stream=sys.stderr)
    model = load_model(args.model or DEFAULT_MODEL_DIR)
    models_dir = args.models_dir or os.environ.get("STANCE_MODELS_DIR")
    app = create_app(model, models_dir=models_dir, reload_token=os.environ.get("STANCE_RELOAD_TOKEN"),
                     mount_demo=not args.no_demo)
    print(f"stance service: http://{args.host}:{args.port}/v1/score  docs: /docs"
          + ("" if args.no_demo else "  demo: /demo"), flush=True)
    uvicorn.run(app, host=args.host, port=args.port, log_level="warning")
    return 0


if __name__ == "__main__":
    sys.exit(main())
