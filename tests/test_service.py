"""The HTTP service as users run it: `stance serve` in its own process on 127.0.0.1, real encoder."""

import json
import shutil
import subprocess
import sys

import httpx
import pytest

from benchmarks.common import start_server, stop_server
from tests.conftest import ROOT

pytestmark = [pytest.mark.server, pytest.mark.encoder]
TOKEN = "test-token-123"


@pytest.fixture(scope="module")
def models_dir(tmp_path_factory, small_train):
    """A models directory with the default model, a second good model and a corrupted one."""
    root = tmp_path_factory.mktemp("models")
    shutil.copytree(ROOT / "stance" / "default_model", root / "default")
    subprocess.run([sys.executable, "-m", "stance.cli", "-q", "train", "--data", str(small_train), "--codebook",
                    str(ROOT / "data" / "codebook.json"), "--out", str(root / "small"), "--folds", "2", "--cv", "3"],
                   check=True, capture_output=True)
    shutil.copytree(root / "small", root / "broken")
    heads = next((root / "broken").glob("heads-*"))
    heads.write_bytes(heads.read_bytes()[:-10])
    return root


@pytest.fixture(scope="module")
def server(models_dir):
    process, url = start_server(["--model", str(models_dir / "default"), "--models-dir", str(models_dir)],
                                env={"STANCE_RELOAD_TOKEN": TOKEN})
    yield url
    stop_server(process)


def post(url, body, content_type="application/json", **kw):
    data = body if isinstance(body, bytes) else body.encode("utf-8") if isinstance(body, str) else json.dumps(body).encode()
    headers = {"content-type": content_type} if content_type else {}
    return httpx.post(f"{url}/v1/score", content=data, headers=headers, timeout=120, **kw)


def test_health_and_model(server):
    health = httpx.get(f"{server}/v1/health").json()
    assert health["status"] == "ok" and health["model_loaded"] is True and len(health["model"]) == 64
    info = httpx.get(f"{server}/v1/model").json()
    assert info["codebook"]["schemes"][0]["name"] == "frame" and info["encoder"]["name"] == "all-MiniLM-L6-v2"
    assert "schemes" in info["metrics"]


def test_score_texts_and_articles_same_shape_as_the_api(server):
    body = post(server, {"texts": ["Belgrade keeps buying Western radars while training with Chinese units."]}).json()
    [row] = body["results"]
    assert set(row) == {"id", "paragraph", "text", "labels", "scores"} and row["id"] == "0"
    assert set(row["labels"]) == {"frame", "stance"}
    article = "First paragraph about the joint drills near the border.\n\nSecond paragraph, the ministry said."
    rows = post(server, {"articles": [article], "ids": ["a1"]}).json()["results"]
    assert [(r["id"], r["paragraph"]) for r in rows] == [("a1", 0), ("a1", 1)]


def test_the_openapi_schema_documents_the_endpoints(server):
    schema = httpx.get(f"{server}/openapi.json").json()
    assert {"/v1/score", "/v1/health", "/v1/model", "/v1/reload"} <= set(schema["paths"])
    assert httpx.get(f"{server}/docs").status_code == 200


def test_the_demo_is_mounted(server):
    response = httpx.get(f"{server}/demo/", follow_redirects=True)
    assert response.status_code == 200 and "gradio" in response.text.lower()


def nested(depth: int) -> str:
    return '{"texts": ' + "[" * depth + "]" * depth + "}"


BAD = [
    # (name, body, content type, status, words in the message)
    ("empty body", b"", "application/json", 400, "not valid JSON"),
    ("truncated json", '{"texts": ["a"', "application/json", 400, "not valid JSON"),
    ("a list, not an object", "[]", "application/json", 422, "valid dictionary"),
    ("a bare string", '"texts"', "application/json", 422, "valid dictionary"),
    ("empty object", {}, "application/json", 422, "either 'texts'"),
    ("texts null", {"texts": None}, "application/json", 422, "either 'texts'"),
    ("both kinds", {"texts": ["a b"], "articles": ["c d"]}, "application/json", 422, "not both"),
    ("empty list", {"texts": []}, "application/json", 422, "is empty"),
    ("empty string", {"texts": [""]}, "application/json", 422, "texts.0"),
    ("whitespace", {"texts": ["  \n\t "]}, "application/json", 422, "is blank"),
    ("texts a string", {"texts": "one text"}, "application/json", 422, "valid list"),
    ("numbers", {"texts": [1, 2]}, "application/json", 422, "valid string"),
    ("null item", {"texts": [None]}, "application/json", 422, "valid string"),
    ("nested list", {"texts": [["nested"]]}, "application/json", 422, "valid string"),
    ("object item", {"texts": [{"text": "x"}]}, "application/json", 422, "valid string"),
    ("unknown field", {"texts": ["a b"], "colour": "red"}, "application/json", 422, "colour"),
    ("misspelled field", {"text": ["a b"]}, "application/json", 422, "text"),
    ("too many texts", {"texts": ["a b"] * 257}, "application/json", 422, "at most 256"),
    ("too many articles", {"articles": ["a b"] * 33}, "application/json", 422, "at most 32"),
    ("paragraph too long", {"texts": ["word " * 4001]}, "application/json", 422, "the limit is 20,000"),
    ("article too long", {"articles": ["word " * 20001]}, "application/json", 422, "the limit is 100,000"),
    ("ids mismatch", {"texts": ["a b"], "ids": ["1", "2"]}, "application/json", 422, "one per item"),
    ("ids not strings", {"texts": ["a b"], "ids": [7]}, "application/json", 422, "valid string"),
    ("targets with articles", {"articles": ["a b"], "targets": ["Serbia"]}, "application/json", 422, "go with 'texts'"),
    ("targets mismatch", {"texts": ["a b"], "targets": ["x", "y"]}, "application/json", 422, "targets"),
    ("NaN", '{"texts": [NaN]}', "application/json", 422, "valid string"),
    ("Infinity", '{"texts": ["a b"], "ids": [Infinity]}', "application/json", 422, "valid string"),
    ("invalid utf-8", b'{"texts": ["caf\xe9"]}', "application/json", 400, "not valid UTF-8"),
    ("text/plain", "hello", "text/plain", 415, "application/json"),
    ("form", "texts=a", "application/x-www-form-urlencoded", 415, "application/json"),
    ("no content type", '{"texts": ["a b"]}', None, 415, "application/json"),
    ("10 MB body", b'{"texts": ["' + b"a" * 10_000_000 + b'"]}', "application/json", 413, "larger than"),
    ("deeply nested junk", nested(5000), "application/json", 400, "not valid JSON"),
    ("lone surrogate", {"texts": ["half a character: \ud800"]}, "application/json", 422, "unicode string"),
    ("too many paragraphs", {"articles": ["\n\n".join(["word word word word word word"] * 1001)]},
     "application/json", 413, "at most 1,000"),
]


@pytest.mark.parametrize(("name", "body", "content_type", "status", "words"), BAD, ids=[b[0] for b in BAD])
def test_bad_input_is_refused_clearly_and_the_server_keeps_serving(server, name, body, content_type, status, words):
    response = post(server, body, content_type)
    assert response.status_code == status, response.text
    message = response.json()["error"]["message"]
    assert words in message
    assert "Traceback" not in response.text and "/work/" not in response.text and ".py" not in response.text
    assert httpx.get(f"{server}/v1/health").status_code == 200


def test_wrong_method_and_unknown_path(server):
    response = httpx.get(f"{server}/v1/score")
    assert response.status_code == 405 and response.json()["error"]["message"] == "Method Not Allowed"
    assert httpx.get(f"{server}/v1/nothing").status_code == 404


def test_chunked_body_over_the_limit_is_refused(server):
    def chunks():
        yield b'{"texts": ["'
        for _ in range(30):
            yield b"a" * 100_000
        yield b'"]}'

    response = httpx.post(f"{server}/v1/score", content=chunks(), headers={"content-type": "application/json"})
    assert response.status_code == 413


@pytest.mark.parametrize("text", [
    "Сербия и Китай проводят совместные учения 🇷🇸🇨🇳 — заявило министерство обороны.",
    "中国与柬埔寨在云壤海军基地举行联合军演，国防部表示。",
    "قالت وزارة الدفاع المصرية إن التدريب المشترك مع القوات الإماراتية بدأ يوم الاثنين.",
    "Control\u0000characters\u0001in\u0007the\u001btext of the ministry statement.",
    "🙂" * 300,
    "A very long paragraph about the drills. " * 450,
])
def test_odd_but_valid_text_is_scored(server, text):
    response = post(server, {"texts": [text]})
    assert response.status_code == 200, response.text
    row = response.json()["results"][0]
    assert abs(sum(row["scores"]["stance"].values()) - 1) < 1e-4


def reload(server, name, token=TOKEN):
    headers = {"authorization": f"Bearer {token}"} if token else {}
    return httpx.post(f"{server}/v1/reload", json={"model": name}, headers=headers, timeout=120)


@pytest.mark.parametrize(("name", "token", "status", "words"), [
    ("small", None, 401, "bearer token"),
    ("small", "wrong", 401, "bearer token"),
    ("../default", TOKEN, 422, "plain directory name"),
    ("/etc", TOKEN, 422, "plain directory name"),
    ("nowhere", TOKEN, 404, "no model directory"),
    ("broken", TOKEN, 422, "keeps serving"),
])
def test_reload_refusals_leave_the_old_model_serving(server, name, token, status, words):
    before = httpx.get(f"{server}/v1/health").json()["model"]
    response = reload(server, name, token)
    assert response.status_code == status and words in response.json()["error"]["message"]
    assert "/tmp" not in response.text
    assert httpx.get(f"{server}/v1/health").json()["model"] == before
    assert post(server, {"texts": ["The drills begin in July."]}).status_code == 200


def test_reload_swaps_the_model_and_back(server, models_dir):
    first = httpx.get(f"{server}/v1/health").json()["model"]
    response = reload(server, "small")
    assert response.status_code == 200 and response.json()["previous"] == first
    assert httpx.get(f"{server}/v1/health").json()["model"] == response.json()["model"] != first
    assert post(server, {"texts": ["The drills begin in July."]}).json()["model"] == response.json()["model"]
    assert reload(server, "default").json()["model"] == first


def test_schemathesis_finds_no_server_error(server):
    """Property-based requests generated from the OpenAPI schema, bounded in time."""
    command = [sys.executable, "-m", "schemathesis.cli", "run", f"{server}/openapi.json", "--checks",
               "not_a_server_error", "--max-examples", "100", "--include-path-regex", "/v1/(score|health|model)",
               "--request-timeout", "60", "--no-color"]
    result = subprocess.run(command, capture_output=True, text=True, timeout=600)
    assert result.returncode == 0, result.stdout[-3000:] + result.stderr[-2000:]
