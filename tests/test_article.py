from hypothesis import given, settings
from hypothesis import strategies as st

from stance.article import MIN_WORDS, split_paragraphs


def test_blank_lines_separate_paragraphs_and_line_breaks_inside_are_joined():
    text = ("First paragraph has quite a few words in it.\nIt wraps onto a second line.\n\n"
            "Second paragraph also has enough words to count.")
    paragraphs = split_paragraphs(text)
    assert [p.text for p in paragraphs] == [
        "First paragraph has quite a few words in it. It wraps onto a second line.",
        "Second paragraph also has enough words to count.",
    ]
    assert [p.index for p in paragraphs] == [0, 1]


def test_single_line_breaks_split_when_there_are_no_blank_lines():
    text = "One paragraph with enough words to stand alone.\nAnother paragraph with enough words too."
    assert len(split_paragraphs(text)) == 2


def test_short_lines_join_the_next_paragraph_and_trailing_captions_the_previous():
    text = ("Serbia and China hold drills\n\nBELGRADE —\n\nThe two armies will train together in July, "
            "the ministry said.\n\nPhoto: ministry")
    paragraphs = split_paragraphs(text)
    assert len(paragraphs) == 1
    assert paragraphs[0].text.startswith("Serbia and China hold drills BELGRADE — The two armies")
    assert paragraphs[0].text.endswith("Photo: ministry")


def test_windows_and_old_mac_line_endings():
    assert len(split_paragraphs("A paragraph with enough words in it.\r\n\r\nAnother one with enough words here.")) == 2
    assert len(split_paragraphs("A paragraph with enough words in it.\r\rAnother one with enough words here.")) == 2


def test_empty_and_blank():
    assert split_paragraphs("") == []
    assert split_paragraphs(" \n\t\n ") == []


def test_a_short_article_is_still_scored():
    assert [p.text for p in split_paragraphs("Too short.")] == ["Too short."]


@settings(max_examples=200, deadline=None)
@given(st.text(alphabet=st.characters(codec="utf-8"), max_size=400))
def test_no_word_is_lost_or_invented(text):
    paragraphs = split_paragraphs(text)
    assert " ".join(p.text for p in paragraphs).split() == text.replace("\u2029", " ").split()
    assert [p.index for p in paragraphs] == list(range(len(paragraphs)))
    assert all(p.text and p.text == p.text.strip() for p in paragraphs)


@settings(max_examples=100, deadline=None)
@given(st.lists(st.lists(st.from_regex(r"[A-Za-z]{1,8}", fullmatch=True), min_size=MIN_WORDS, max_size=20),
                min_size=1, max_size=8))
def test_well_formed_paragraphs_come_back_as_written(paragraphs):
    texts = [" ".join(words) for words in paragraphs]
    assert [p.text for p in split_paragraphs("\n\n".join(texts))] == texts


def test_a_short_sentence_is_a_paragraph_but_a_short_fragment_is_not():
    text = "The drills end on Friday.\n\nBy a staff reporter\n\nThe ministry said the units would return home."
    assert [p.text for p in split_paragraphs(text)] == [
        "The drills end on Friday.", "By a staff reporter The ministry said the units would return home."]
