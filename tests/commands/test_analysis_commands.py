import io
import json
import subprocess
import sys
from pathlib import Path

import pytest

import main
from bot.commands.analysis import classify_stream, iter_lines, parse_line
from tests.analyzers.helpers import default_analyzer

ROOT = Path(__file__).resolve().parents[2]


@pytest.fixture
def config_file(tmp_path):
    path = tmp_path / "config.yaml"
    path.write_text(
        f"paths:\n  var_dir: {tmp_path / 'var'}\n  models_dir: {tmp_path / 'models'}\n"
        "logging:\n  level: WARNING\n  format: console\n",
        encoding="utf-8",
    )
    return path


def test_classify_stream_gives_one_line_per_input_line_in_order():
    lines = [
        "Llevo 3 días sin señal en la vereda",
        "",
        json.dumps({"id": 7, "text": "Gracias por el curso, excelente", "lang": "es"}),
        '{"text": broken json',
        "[1, 2]",
        json.dumps({"id": "x", "lang": "en"}),
        "😂😂",
    ]
    out = io.StringIO()
    assert classify_stream(default_analyzer(), lines, out, batch_size=3) == len(lines)
    records = [json.loads(x) for x in out.getvalue().splitlines()]
    assert len(records) == len(lines)
    for record in records:
        assert {"lang", "sentiment", "sentiment_score", "category", "topics", "flags", "rules"} <= set(record)
    assert records[0]["category"] == "reclamo" and records[0]["sentiment"] == "negative"
    assert records[1]["lang"] == "und" and records[1]["category"] == "otro"
    assert records[2]["id"] == 7 and records[2]["category"] == "felicitacion"
    assert records[2]["rules"][0] == "lang:platform"
    assert "id" not in records[3] and records[3]["sentiment"] in ("negative", "neutral", "positive")
    assert records[5] == {**records[5], "id": "x", "lang": "en"}


def test_parse_line_variants():
    assert parse_line('{"text": "hola", "lang": "es", "id": 1}') == ("hola", "es", 1)
    assert parse_line('{"text": null}') == ("", None, None)
    assert parse_line("texto normal") == ("texto normal", None, None)
    assert parse_line("{no es json") == ("{no es json", None, None)


def test_iter_lines_bounds_over_long_lines_and_keeps_alignment():
    stream = io.StringIO("corta\n" + "x" * 50 + "\nsiguiente\r\núltima")
    assert list(iter_lines(stream, limit=10)) == ["corta", "x" * 10, "siguiente", "última"]


def test_classify_end_to_end_from_stdin(config_file):
    data = "Pésimo servicio\n" + json.dumps({"id": 1, "text": "¿Cómo me inscribo?"}) + "\n\xff\xfe broken\n"
    proc = subprocess.run(
        [sys.executable, "main.py", "--config", str(config_file), "classify"],
        input=data.encode("utf-8")[:-12] + b"\xff\xfe broken\n", capture_output=True, cwd=ROOT, timeout=120,
    )
    assert proc.returncode == 0, proc.stderr.decode()
    records = [json.loads(x) for x in proc.stdout.decode("utf-8").splitlines()]
    assert [r["sentiment"] for r in records][:1] == ["negative"]
    assert records[1]["id"] == 1 and records[1]["category"] == "peticion"
    assert len(records) == 3


def test_classify_reads_a_file(config_file, tmp_path, capsys):
    source = tmp_path / "posts.txt"
    source.write_text("excelente atención\nno funciona la plataforma\n", encoding="utf-8")
    assert main.main(["--config", str(config_file), "classify", str(source)]) == 0
    records = [json.loads(x) for x in capsys.readouterr().out.splitlines()]
    assert [r["sentiment"] for r in records] == ["positive", "negative"]
    assert main.main(["--config", str(config_file), "classify", str(tmp_path / "missing.txt")]) == 2


def _sentiment_file(path: Path) -> Path:
    rows = ["label\ttext"]
    for thing in ("el curso", "la zona wifi", "el centro digital", "la plataforma", "la beca", "el portal"):
        rows += [f"positive\texcelente {thing}", f"positive\tgracias por {thing}",
                 f"negative\tpésimo {thing}", f"negative\tqué asco {thing}",
                 f"neutral\tmañana hablan de {thing}", f"neutral\tdónde queda {thing}"]
    path.write_text("\n".join(rows) + "\n", encoding="utf-8")
    return path


def test_evaluate_prints_scores_and_confusion_matrix(config_file, tmp_path, capsys):
    data = _sentiment_file(tmp_path / "s.tsv")
    assert main.main(["--config", str(config_file), "evaluate", "--task", "sentiment", str(data)]) == 0
    out = capsys.readouterr().out
    assert "macro-F1:" in out and "precision" in out and "recall" in out and "confusion matrix" in out
    assert "sentiment=lexicon" in out
    assert main.main(["--config", str(config_file), "evaluate", "--task", "category",
                      str(ROOT / "data" / "categories-dev.tsv"), "--json"]) == 0
    report = json.loads(capsys.readouterr().out)
    assert report["n"] >= 300 and 0 <= report["macro_f1"] <= 1 and len(report["confusion"]) == 7


def test_evaluate_rejects_a_bad_file(config_file, tmp_path, capsys):
    bad = tmp_path / "bad.tsv"
    bad.write_text("label\ttext\nalegre\thola\n", encoding="utf-8")
    assert main.main(["--config", str(config_file), "evaluate", "--task", "sentiment", str(bad)]) == 2
    assert "unknown label 'alegre'" in capsys.readouterr().err


def test_train_then_evaluate_with_the_model(config_file, tmp_path, capsys):
    data = _sentiment_file(tmp_path / "s.tsv")
    assert main.main(["--config", str(config_file), "train", "--task", "sentiment", str(data)]) == 0
    out = capsys.readouterr().out
    assert "made active" in out and "macro-F1" in out
    assert (tmp_path / "models" / "sentiment" / "active.json").exists()
    assert main.main(["--config", str(config_file), "evaluate", "--task", "sentiment", "--backend", "model",
                      str(data)]) == 0
    assert "sentiment=model-" in capsys.readouterr().out


def test_train_from_corrections_needs_enough_of_them(config_file, monkeypatch, capsys):
    import bot.commands.reanalysis

    monkeypatch.setattr(bot.commands.reanalysis, "correction_examples",
                        lambda config, task: [("queja", "mala atención")])
    assert main.main(["--config", str(config_file), "train", "--task", "category", "--from-corrections"]) == 2
    assert "not enough labelled examples" in capsys.readouterr().err


def test_train_needs_exactly_one_source(config_file, tmp_path, capsys):
    assert main.main(["--config", str(config_file), "train", "--task", "sentiment"]) == 2
    data = _sentiment_file(tmp_path / "s.tsv")
    assert main.main(["--config", str(config_file), "train", "--task", "sentiment", str(data),
                      "--from-corrections"]) == 2


def test_classify_skips_binary_lines_and_says_how_many(config_file):
    import random

    rng = random.Random(5)
    garbage = [bytes(rng.randrange(256) for _ in range(80)).replace(b"\n", b"").replace(b"\r", b"")
               for _ in range(5)]
    data = b"Pesimo servicio, no hay senal\n" + b"\n".join(garbage) + b"\nGracias por la beca\nnul\x00byte\n"
    proc = subprocess.run(
        [sys.executable, "main.py", "--config", str(config_file), "classify"],
        input=data, capture_output=True, cwd=ROOT, timeout=120,
    )
    assert proc.returncode == 0, proc.stderr.decode()
    records = [json.loads(x) for x in proc.stdout.decode("utf-8").splitlines()]
    assert [r["sentiment"] for r in records] == ["negative", "positive"]
    assert "6 line(s) are not text and were skipped (lines 2, 3, 4, 5, 6, 8)" in proc.stderr.decode()
