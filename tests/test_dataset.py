import json

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from stance import DataError, read_labeled
from stance.dataset import check_trainable, labeled_from_records
from tests.conftest import write_jsonl

GOOD = {"text": "The two armies will train together in July.", "frame": [], "stance": "neutral"}


def test_reads_the_corpus(codebook):
    from tests.conftest import DATA

    data = read_labeled(DATA / "train.jsonl", codebook)
    assert len(data) >= 1200
    assert [s.name for s in data.schemes] == ["frame", "stance"]
    assert data.indicator("frame").shape == (len(data), 3)
    assert len(data.sha256) == 64


def test_csv_with_multi_label_separator(tmp_path, codebook):
    path = tmp_path / "d.csv"
    path.write_text('id,text,frame,stance\n'
                    'a,"Drills, with Beijing.",security_balancing;influence_expansion,critical\n'
                    'b,Plain text here.,,neutral\n', encoding="utf-8")
    data = read_labeled(path, codebook)
    assert data.labels["frame"] == [("security_balancing", "influence_expansion"), ()]
    assert data.labels["stance"] == ["critical", "neutral"]
    assert data.ids == ["a", "b"]


def test_extra_fields_are_ignored_and_targets_kept(tmp_path, codebook):
    path = write_jsonl(tmp_path / "d.jsonl", [{**GOOD, "pair": "x", "target": "Serbia"}])
    data = read_labeled(path, codebook)
    assert data.targets == ["Serbia"] and data.has_targets


def test_scheme_absent_everywhere_is_allowed(tmp_path, codebook):
    path = write_jsonl(tmp_path / "d.jsonl", [{"text": "Some words here.", "stance": "neutral"}])
    data = read_labeled(path, codebook)
    assert [s.name for s in data.schemes] == ["stance"]


@pytest.mark.parametrize(
    ("rows", "line", "field", "message"),
    [
        ([GOOD, {**GOOD, "text": "Other.", "frame": ["influence"]}], 2, "frame",
         "unknown label 'influence'.*did you mean 'influence_expansion'"),
        ([GOOD, {"frame": [], "stance": "neutral"}], 2, "text", "missing text"),
        ([{**GOOD, "text": "   "}], 1, "text", "text is empty"),
        ([{**GOOD, "text": 42}], 1, "text", "expected a string, got int"),
        ([{**GOOD, "frame": "security_balancing"}], 1, "frame", "expected a list of labels"),
        ([{**GOOD, "stance": ["neutral"]}], 1, "stance", "expected one label as a string"),
        ([{**GOOD, "stance": "angry"}], 1, "stance", "unknown label 'angry'"),
        ([{**GOOD, "frame": [1]}], 1, "frame", "labels must be strings"),
        ([{**GOOD, "frame": ["influence_expansion", "influence_expansion"]}], 1, "frame", "listed twice"),
        ([GOOD, {**GOOD, "text": "Another.", "stance": None}], 2, "stance", "missing here"),
        ([GOOD, {**GOOD, "stance": "critical"}], 2, "stance", "same text as line 1 but different labels"),
        (['{"text": "a", "frame": [],}'], 1, None, "not valid JSON"),
        (["[1, 2]"], 1, None, "expected a JSON object"),
        ([{**GOOD, "id": "x"}, {**GOOD, "text": "B text.", "id": "x"}], 2, "id", "id 'x' is used twice"),
    ],
)
def test_each_error_names_file_line_and_field(tmp_path, codebook, rows, line, field, message):
    path = write_jsonl(tmp_path / "bad.jsonl", rows)
    with pytest.raises(DataError, match=message) as info:
        read_labeled(path, codebook)
    error = info.value
    assert error.path == str(path) and error.line == line and error.field == field
    assert str(path) in str(error) and f"line {line}" in str(error)


def test_empty_file(tmp_path, codebook):
    path = tmp_path / "empty.jsonl"
    path.write_text("\n\n")
    with pytest.raises(DataError, match="no rows.*Fix: add at least one"):
        read_labeled(path, codebook)


def test_csv_without_text_column(tmp_path, codebook):
    path = tmp_path / "d.csv"
    path.write_text("body,stance\nhello,neutral\n")
    with pytest.raises(DataError, match="no 'text' column") as info:
        read_labeled(path, codebook)
    assert info.value.line == 1 and info.value.field == "text"


def test_csv_with_too_many_values(tmp_path, codebook):
    path = tmp_path / "d.csv"
    path.write_text("text,stance\nhello,neutral,extra\n")
    with pytest.raises(DataError, match="quote values") as info:
        read_labeled(path, codebook)
    assert info.value.line == 2


def test_not_utf8(tmp_path, codebook):
    path = tmp_path / "d.jsonl"
    path.write_bytes(json.dumps(GOOD).encode() + b"\n" + b'{"text": "caf\xe9"}\n')
    with pytest.raises(DataError, match="not valid UTF-8") as info:
        read_labeled(path, codebook)
    assert info.value.line == 2


def test_unknown_suffix_and_missing_file(tmp_path, codebook):
    with pytest.raises(DataError, match="unknown file type '.xlsx'"):
        (tmp_path / "d.xlsx").write_text("x")
        read_labeled(tmp_path / "d.xlsx", codebook)
    with pytest.raises(DataError, match="file not found"):
        read_labeled(tmp_path / "missing.jsonl", codebook)


def test_identical_duplicates_are_dropped(tmp_path, codebook):
    path = write_jsonl(tmp_path / "d.jsonl", [GOOD, {**GOOD, "text": GOOD["text"].upper()}])
    assert len(read_labeled(path, codebook)) == 1


def test_too_few_examples_for_cross_validation(tmp_path, codebook):
    names = ["security_balancing", "influence_expansion", "domestic_unrest_denial"]
    rows = [{"text": f"Paragraph number {i} about drills.", "frame": [names[i % 3]],
             "stance": "critical" if i < 3 else "neutral" if i % 2 else "supportive"} for i in range(40)]
    data = read_labeled(write_jsonl(tmp_path / "d.jsonl", rows), codebook)
    with pytest.raises(DataError, match="'critical' has 3 examples; 5-fold cross-validation needs at least 5") as info:
        check_trainable(data, 5)
    assert info.value.field == "stance"
    check_trainable(data, 3)
    for row in rows:
        row["frame"] = []
    data = read_labeled(write_jsonl(tmp_path / "d.jsonl", rows), codebook)
    with pytest.raises(DataError, match="'security_balancing' has 0 examples"):
        check_trainable(data, 2)


def test_no_scheme_at_all(tmp_path, codebook):
    data = read_labeled(write_jsonl(tmp_path / "d.jsonl", [{"text": "Just text."}]), codebook)
    with pytest.raises(DataError, match="no row carries a label"):
        check_trainable(data, 5)


labels = st.sampled_from(["security_balancing", "influence_expansion", "domestic_unrest_denial"])
rows_strategy = st.lists(
    st.fixed_dictionaries({
        "text": st.text(min_size=1, max_size=40).filter(lambda t: t.strip()),
        "frame": st.lists(labels, unique=True, max_size=3),
        "stance": st.sampled_from(["supportive", "critical", "neutral"]),
    }),
    min_size=1, max_size=20,
)


@settings(max_examples=60, deadline=None)
@given(rows_strategy)
def test_valid_rows_either_load_or_fail_only_on_conflicting_duplicates(codebook, rows):
    try:
        data = labeled_from_records(rows, codebook)
    except DataError as exc:
        assert "same text as line" in str(exc)
        return
    assert 1 <= len(data) <= len(rows)
    for record in data.records():
        assert record["text"].strip() == record["text"]
        assert set(record["frame"]) <= set(codebook.scheme("frame").label_names)


@settings(max_examples=60, deadline=None)
@given(st.dictionaries(st.sampled_from(["text", "frame", "stance", "id", "target", "x"]),
                       st.one_of(st.none(), st.integers(), st.text(max_size=5), st.lists(st.text(max_size=5),
                                 max_size=2), st.floats(allow_nan=True)), max_size=5))
def test_arbitrary_rows_never_crash_with_anything_but_data_error(codebook, row):
    try:
        labeled_from_records([row], codebook, source="fuzz.jsonl")
    except DataError as exc:
        assert exc.path == "fuzz.jsonl" and exc.line == 1
