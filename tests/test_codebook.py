import json

import pytest

from stance import Codebook, CodebookError


def test_default_codebook_has_the_two_schemes(codebook):
    assert codebook.scheme_names == ["frame", "stance"]
    frame, stance = codebook.scheme("frame"), codebook.scheme("stance")
    assert frame.multi_label and frame.label_names == [
        "security_balancing", "influence_expansion", "domestic_unrest_denial"]
    assert not stance.multi_label and stance.label_names == ["supportive", "critical", "neutral"]
    assert all(label.description for s in codebook.schemes for label in s.labels)


def test_round_trip(tmp_path, codebook):
    codebook.save(tmp_path / "c.json")
    assert Codebook.load(tmp_path / "c.json") == codebook


@pytest.mark.parametrize(
    ("content", "message"),
    [
        ("{not json", "line 1: not valid JSON"),
        ("[]", "a codebook is a JSON object"),
        ('{"schemes": []}', "at least one scheme"),
        ('{"schemes": [{"name": "s", "kind": "single_label", "labels": [{"name": "a"}]}]}', "at least 2 labels"),
        ('{"schemes": [{"name": "s", "kind": "multi", "labels": [{"name": "a"}]}]}', "schemes.0.kind"),
        ('{"schemes": [{"name": "text", "kind": "multi_label", "labels": [{"name": "a"}]}]}', "reserved"),
        ('{"schemes": [{"name": "s", "kind": "multi_label", "labels": [{"name": "a"}, {"name": "a"}]}]}',
         "duplicate label"),
    ],
)
def test_bad_codebooks_are_refused_with_the_reason(tmp_path, content, message):
    path = tmp_path / "codebook.json"
    path.write_text(content)
    with pytest.raises(CodebookError, match=message) as info:
        Codebook.load(path)
    assert str(path) in str(info.value)


def test_unknown_scheme_lookup(codebook):
    with pytest.raises(CodebookError, match="no scheme named 'tone'"):
        codebook.scheme("tone")


def test_missing_file(tmp_path):
    with pytest.raises(CodebookError, match="not found"):
        Codebook.load(tmp_path / "nope.json")


def test_user_codebook_example(tmp_path):
    book = {"name": "mine", "schemes": [{"name": "topic", "kind": "single_label",
                                          "labels": [{"name": "a"}, {"name": "b"}]}]}
    (tmp_path / "c.json").write_text(json.dumps(book))
    assert Codebook.load(tmp_path / "c.json").scheme("topic").label_names == ["a", "b"]
