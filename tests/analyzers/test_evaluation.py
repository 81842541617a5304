import pytest

from analyzers.learning.evaluation import DataError, evaluate, read_labelled


def test_scores_and_confusion_matrix_by_hand():
    gold = ["a", "a", "b", "b", "c", "c"]
    pred = ["a", "b", "b", "b", "c", "a"]
    report = evaluate(gold, pred, ["a", "b", "c"])
    assert report.confusion == ((1, 1, 0), (0, 2, 0), (1, 0, 1))
    a, b, c = report.per_class
    assert (a.precision, a.recall) == (0.5, 0.5)
    assert (b.precision, b.recall) == (2 / 3, 1.0)
    assert (c.precision, c.recall) == (1.0, 0.5)
    assert report.macro_f1 == pytest.approx((0.5 + 0.8 + 2 / 3) / 3)
    assert report.accuracy == pytest.approx(4 / 6)
    text = report.format()
    assert "macro-F1: 0.656" in text and "confusion matrix" in text


def test_read_labelled_checks_the_file(tmp_path):
    good = tmp_path / "good.tsv"
    good.write_text("label\ttext\npositive\tmuy bien\n\nnegative\tmal\ttab inside\n", encoding="utf-8")
    assert read_labelled(good, ["positive", "negative"]) == [("positive", "muy bien"), ("negative", "mal\ttab inside")]
    bad = tmp_path / "bad.tsv"
    bad.write_text("label\ttext\nalegre\tsi\n", encoding="utf-8")
    with pytest.raises(DataError, match=r"bad.tsv:2: unknown label 'alegre'"):
        read_labelled(bad, ["positive"])
    with pytest.raises(DataError, match="cannot read"):
        read_labelled(tmp_path / "missing.tsv")
    empty = tmp_path / "empty.tsv"
    empty.write_text("label\ttext\n", encoding="utf-8")
    with pytest.raises(DataError, match="no labelled rows"):
        read_labelled(empty)
