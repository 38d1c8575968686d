"""The demo's functions on the tiny test encoder, then the launched app through gradio_client and a
real headless Chromium (markers `server` and `browser`)."""

import json
import time
from pathlib import Path

import gradio as gr
import pytest
from stance_demo import app as demo

from benchmarks.common import free_port
from stance.model import StanceModel
from tests.conftest import TINY_ENCODER

ARTICLE = (
    "BELGRADE, May 3 — Chinese police officers began joint patrols with Serbian colleagues in Belgrade on "
    "Monday, the interior ministry said in a statement.\n\n"
    "The ministry dismissed claims that the patrols were linked to the student protests as fantasy, saying "
    "they serve Chinese tourists only.\n\n"
    "For Belgrade, the patrols are one more way of keeping options open between Brussels, Moscow and Beijing."
)


@pytest.fixture
def session(tmp_path, small_data, codebook):
    model_dir = StanceModel(codebook=codebook, encoder=TINY_ENCODER, cv=3).fit(small_data).save(tmp_path / "m")
    source = tmp_path / "base.jsonl"
    source.write_text("".join(json.dumps(r) + "\n" for r in small_data.records()))
    return demo.make_session(str(model_dir), evidence=str(source), workdir=str(tmp_path / "work"))


def test_score_payload_has_labels_scores_and_three_neighbours(session):
    payload = demo.score_payload(session, ARTICLE)
    assert len(payload["paragraphs"]) == 3
    first = payload["paragraphs"][0]
    assert {"paragraph", "text", "labels", "scores", "evidence"} <= set(first)
    assert len(first["evidence"]) == 3
    sims = [n["similarity"] for n in first["evidence"]]
    assert sims == sorted(sims, reverse=True)
    assert set(payload["summary"]) == {"frame", "stance"}


def test_views_render_every_paragraph_and_label(session):
    payload = demo.score_payload(session, ARTICLE)
    model = session.model
    page = demo.paragraphs_html(model, payload)
    assert page.count('class="para"') == 3
    for label in ("security_balancing", "influence_expansion", "domestic_unrest_denial", "no frame"):
        assert label in page
    table = demo.scores_table(model, payload)
    assert len(table) == 3 and "frame: influence_expansion" in table.columns and "stance: neutral" in table.columns
    chart = demo.summary_frame(model, payload)
    assert set(chart["label"]) >= {"security_balancing", "no frame", "neutral"}
    assert len(demo.evidence_table(payload)) == 9


def test_html_is_escaped(session):
    payload = demo.score_payload(session, "<script>alert(1)</script> and some words to make a paragraph")
    assert "<script>" not in demo.paragraphs_html(session.model, payload)


@pytest.mark.parametrize(("text", "message"), [
    ("", "no text to score"), ("   \n ", "no text to score"), (None, "no text to score"),
    ("x" * (demo.MAX_CHARS + 1), "scores up to 50,000"),
])
def test_bad_articles_get_a_message(session, text, message):
    with pytest.raises(gr.Error, match=message):
        demo.score_payload(session, text)


def test_label_and_retrain_swaps_the_model_only_on_success(session, tmp_path):
    pool = "\n\n".join(f"Paragraph {i} about joint drills and the defence ministry statement on cooperation."
                       for i in range(8)) + "\n\n" + ARTICLE
    queue, view = demo.propose(session, pool, None)
    assert 1 <= len(queue) <= demo.CANDIDATES and len(view) == len(queue)
    assert [q["uncertainty"] for q in queue] == sorted((q["uncertainty"] for q in queue), reverse=True)
    with pytest.raises(gr.Error, match="Label at least one"):
        demo.retrain(session)
    with pytest.raises(gr.Error, match="Choose a 'stance' label"):
        demo.append_label(session, queue[0]["text"], {"frame": [], "stance": None})
    demo.append_label(session, queue[0]["text"], {"frame": ["influence_expansion"], "stance": "critical"})
    assert demo.append_label(session, queue[1]["text"], {"frame": [], "stance": "neutral"}) == 2
    old = session.model
    comparison, archive, data_file = demo.retrain(session)
    assert session.model is not old
    assert set(comparison["scheme"]) == {"frame", "stance"}
    assert comparison["F1 before"].notna().all() and comparison["F1 after"].notna().all()
    assert archive.endswith(".zip")
    rows = [json.loads(line) for line in Path(data_file).read_text().splitlines()]
    assert len(rows) == len(session.base_data) + 2
    assert any(r["text"] == queue[0]["text"] and r["stance"] == "critical" for r in rows)


def test_examples_come_from_the_data_folder():
    examples = demo.example_articles()
    assert len(examples) >= 4
    rows = [json.loads(line) for line in (demo.ROOT / "data" / "articles.jsonl").read_text().splitlines()]
    no_frame_titles = {r["title"] for r in rows} - {r["title"] for r in rows if r["frame"]}
    assert any(e[0].split("\n\n")[0] in no_frame_titles for e in examples)


@pytest.fixture(scope="module")
def launched(tmp_path_factory, small_train, codebook):
    """The app on a small model with the real packaged encoder, on 127.0.0.1."""
    from stance import read_labeled

    tmp = tmp_path_factory.mktemp("demo")
    data = read_labeled(small_train, codebook)
    model_dir = StanceModel(codebook=codebook, cv=3).fit(data).save(tmp / "m")
    session = demo.make_session(str(model_dir), evidence=str(small_train), workdir=str(tmp / "work"))
    port = free_port()
    app = demo.build_app(session).queue(default_concurrency_limit=2)
    app.launch(server_name="127.0.0.1", server_port=port, prevent_thread_lock=True, quiet=True, css=demo.CSS)
    yield f"http://127.0.0.1:{port}", session
    app.close()


@pytest.mark.server
@pytest.mark.encoder
def test_score_endpoint_through_gradio_client(launched):
    from gradio_client import Client

    url, _ = launched
    client = Client(url, verbose=False)
    payload = client.predict(ARTICLE, api_name="/score")
    assert [p["paragraph"] for p in payload["paragraphs"]] == [0, 1, 2]
    for p in payload["paragraphs"]:
        assert set(p["labels"]) == {"frame", "stance"} and len(p["evidence"]) == 3
        assert 0 <= p["scores"]["frame"]["domestic_unrest_denial"] <= 1
    with pytest.raises(Exception, match="no text to score"):
        client.predict("   ", api_name="/score")


CHROMIUM_ARGS = ["--headless", "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
                 "--disable-background-networking", "--disable-component-update", "--disable-sync"]


@pytest.mark.browser
@pytest.mark.encoder
def test_score_label_and_retrain_in_a_real_browser(launched, tmp_path):
    from playwright.sync_api import expect, sync_playwright

    url, session = launched
    with sync_playwright() as p:
        browser = p.chromium.launch(executable_path="/usr/bin/chromium", args=CHROMIUM_ARGS)
        page = browser.new_page(viewport={"width": 1280, "height": 1000})
        page.goto(url)
        page.locator("#article textarea").fill(ARTICLE)
        page.click("#score-button")
        expect(page.locator("#paragraphs .para")).to_have_count(3, timeout=60_000)
        expect(page.locator("#paragraphs .para").first).to_contain_text("Chinese police officers")
        expect(page.locator("#paragraphs .chip").first).to_be_visible()
        page.screenshot(path=str(tmp_path / "score.png"), full_page=True)

        page.get_by_role("tab", name="Label & retrain").click()
        page.locator("#pool-text textarea").fill(ARTICLE + "\n\nA fourth paragraph about a ceremony at the "
                                                  "ministry, with a band and speeches by both ambassadors.")
        page.click("#propose-button")
        expect(page.locator("#current-text textarea")).not_to_have_value("", timeout=60_000)
        for stance in ("critical", "neutral"):
            page.locator("#label-stance").get_by_label(stance).check()
            page.click("#save-label")
            time.sleep(0.5)
        expect(page.locator("#labeled-count")).to_contain_text("2 paragraph(s) labeled", timeout=30_000)
        old_model = session.model
        page.click("#retrain-button")
        expect(page.locator("#comparison")).to_contain_text("macro-F1", timeout=120_000)
        assert session.model is not old_model
        page.screenshot(path=str(tmp_path / "retrain.png"), full_page=True)
        browser.close()
