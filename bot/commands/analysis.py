"""`classify`, `evaluate` and `train`: the analyzers from the command line (contract in PRODUCT.md).

    python main.py classify [FILE|-]                       one JSON object per input line, in order
    python main.py evaluate --task sentiment|category DATA.tsv
    python main.py train --task sentiment|category DATA.tsv | --from-corrections

`classify` streams: it reads a line, analyses it in small batches and writes it out, so memory stays
constant over millions of lines. Input lines are plain text, or JSON objects with a `text` field (and
optional `lang`, `id` which is copied to the output, `created_at` which applies the campaigns' dates, and `urls`,
the post's full links). Every input line gives exactly one output line, blank or broken lines included, so
outputs can be pasted next to inputs. Each has `campaigns` (config.yaml's, docs/campaigns.md) and `place` (from
the text alone, docs/places.md; null when the text names no place).

The command functions are thin wrappers: the work is done by `classify_stream`, `evaluate_file` and
`train_from_examples`, which take settings and paths as arguments (tests call them directly).
"""

from __future__ import annotations

import argparse
import gc
import io
import json
import logging
import sys
from collections.abc import Iterable, Iterator, Sequence
from datetime import UTC, datetime
from pathlib import Path
from typing import Any, TextIO

import domain
from analyzers.learning.evaluation import DataError, Report, evaluate, read_labelled
from analyzers.learning.training import LABELS, TASKS, NotEnoughData, train_model
from analyzers.pipeline import PostContext, TextAnalyzer, build_text_analyzer
from analyzers.processing import make_processor
from analyzers.sentiment.lexicon_es import load_lexicon
from analyzers.settings import AnalyzerSettings, TopicSpec

logger = logging.getLogger(__name__)

MAX_LINE_CHARS = 1_000_000  # longer input lines are cut (and the rest skipped) to keep memory bounded
CLASSIFY_BATCH = 256


# -- classify -------------------------------------------------------------------------------------------
def iter_lines(stream: TextIO, limit: int = MAX_LINE_CHARS) -> Iterator[str]:
    """Lines without their newline; a line longer than `limit` yields its first `limit` characters once."""
    while True:
        line = stream.readline(limit)
        if not line:
            return
        if line.endswith("\n"):
            yield line.rstrip("\r\n")
            continue
        if len(line) < limit:  # last line without a newline
            yield line.rstrip("\r")
            return
        yield line.rstrip("\r")
        while True:  # skip the rest of an over-long line
            rest = stream.readline(limit)
            if not rest or rest.endswith("\n"):
                break


def parse_line(line: str) -> tuple[str, str | None, Any]:
    """(text, lang hint, id) from a plain-text or JSONL input line."""
    text, lang, item_id, _context, _bad = parse_item(line)
    return text, lang, item_id


def parse_item(line: str) -> tuple[str, str | None, Any, PostContext | None, bool]:
    """(text, lang hint, id, context, bad date) from a plain-text or JSONL input line.

    A JSONL line may carry `created_at` (ISO 8601; without a zone it is UTC): then a campaign's dates apply; and
    `urls` (the post's full links, a list of strings): matched against campaign links like the links in the
    text. A `created_at` that cannot be read is left out (content-only matching) and reported (`bad date`)."""
    stripped = line.lstrip()
    if stripped.startswith("{"):
        try:
            obj = json.loads(stripped)
        except ValueError:
            return line, None, None, None, False
        if isinstance(obj, dict):
            text = obj.get("text")
            lang = obj.get("lang")
            context, bad = _context(obj)
            return (text if isinstance(text, str) else "" if text is None else str(text),
                    lang if isinstance(lang, str) else None, obj.get("id"), context, bad)
    return line, None, None, None, False


def _context(obj: dict[str, Any]) -> tuple[PostContext | None, bool]:
    created, urls = obj.get("created_at"), obj.get("urls")
    if created is None and urls is None:
        return None, False
    moment: datetime | None = None
    bad = False
    if created is not None:
        try:
            moment = datetime.fromisoformat(str(created))
        except ValueError:
            bad = True
        else:
            moment = moment if moment.tzinfo else moment.replace(tzinfo=UTC)
    links = tuple(u for u in urls if isinstance(u, str)) if isinstance(urls, list) else ()
    return PostContext(created_at=moment, urls=links), bad


def result_record(result: domain.TextAnalysis, item_id: Any = None) -> dict[str, Any]:
    record: dict[str, Any] = {}
    if item_id is not None:
        record["id"] = item_id
    record.update(
        lang=result.lang,
        sentiment=result.sentiment,
        sentiment_score=round(result.sentiment_score, 4),
        category=result.category,
        topics=list(result.topics),
        flags=list(result.flags),
        campaigns=list(result.campaigns),
        place=result.place.as_dict() if result.place else None,
        rules=list(result.rules),
    )
    return record


NON_TEXT_SHARE = 0.3  # a line with more than this share of undecodable or control characters is not text


def is_text(line: str) -> bool:
    """False for binary garbage: NUL bytes, or many undecodable (U+FFFD) or control characters."""
    if "\x00" in line:
        return False
    if not line:
        return True
    odd = sum(1 for ch in line if ch == "\ufffd" or (ord(ch) < 32 and ch != "\t"))
    return odd <= NON_TEXT_SHARE * len(line)


def classify_stream(analyzer: TextAnalyzer, lines: Iterable[str], out: TextIO,
                    batch_size: int = CLASSIFY_BATCH, skipped: list[int] | None = None,
                    bad_dates: list[int] | None = None) -> int:
    """Analyse every text line and write one JSON line per input line, in order. Returns the count.

    Lines that are not text (binary input) are skipped, not analysed: a classifier would print confident
    results for random bytes. Their 1-based line numbers go to `skipped` when given; those of JSONL lines whose
    `created_at` could not be read (analysed without it) go to `bad_dates`.
    """
    count = 0
    number = 0
    batch: list[tuple[str, str | None, Any, PostContext | None, bool]] = []

    def flush() -> None:
        results = analyzer.analyze_many([b[0] for b in batch], [b[1] for b in batch], [b[3] for b in batch])
        out.write("".join(
            json.dumps(result_record(r, b[2]), ensure_ascii=False) + "\n"
            for r, b in zip(results, batch, strict=True)
        ))
        out.flush()
        batch.clear()

    for line in lines:
        number += 1
        if not is_text(line):
            if skipped is not None:
                skipped.append(number)
            continue
        item = parse_item(line)
        if item[4] and bad_dates is not None:
            bad_dates.append(number)
        batch.append(item)
        count += 1
        if len(batch) >= batch_size:
            flush()
    if batch:
        flush()
    return count


def _open_input(name: str) -> TextIO:
    if name in ("", "-"):
        return io.TextIOWrapper(sys.stdin.buffer, encoding="utf-8", errors="replace", newline=None)
    return open(name, encoding="utf-8", errors="replace", newline=None)


def cmd_classify(args: argparse.Namespace) -> int:
    config = _load_config(args)
    settings = _with_backend(config.analyzers, args.backend)
    # config.yaml's campaigns (classify reads no database, so campaigns made in the web app are not known here)
    analyzer = build_text_analyzer(settings, config.topics, config.paths.models_dir, config.campaign_list())
    try:
        stream = _open_input(args.file)
    except OSError as exc:
        print(f"cannot read {args.file}: {exc.strerror or exc}", file=sys.stderr)
        return 2
    gc.freeze()  # the analyzer's tables live for the whole run: keep the garbage collector off them (~+30%)
    out = io.TextIOWrapper(sys.stdout.buffer, encoding="utf-8", errors="replace", newline="\n",
                           write_through=False) if hasattr(sys.stdout, "buffer") else sys.stdout
    skipped: list[int] = []
    bad_dates: list[int] = []
    try:
        with stream:
            n = classify_stream(analyzer, iter_lines(stream), out, args.batch_size, skipped, bad_dates)
    finally:
        gc.unfreeze()
        out.flush()
        if out is not sys.stdout:
            out.detach()
    if skipped:
        shown = ", ".join(map(str, skipped[:10])) + (", …" if len(skipped) > 10 else "")
        print(f"classify: {len(skipped)} line(s) are not text and were skipped (lines {shown})", file=sys.stderr)
    if bad_dates:
        shown = ", ".join(map(str, bad_dates[:10])) + (", …" if len(bad_dates) > 10 else "")
        print(f"classify: {len(bad_dates)} line(s) have a created_at that is not an ISO 8601 date-time (e.g. "
              f"2026-11-16T10:00:00-05:00); their campaigns were matched without dates (lines {shown})",
              file=sys.stderr)
    logger.info("classified %d lines with %s", n, analyzer.version)
    return 0


# -- evaluate -------------------------------------------------------------------------------------------
def evaluate_file(analyzer: TextAnalyzer, task: str, path: Path) -> Report:
    rows = read_labelled(path, allowed=LABELS[task])
    gold = [label for label, _ in rows]
    predicted: list[str] = []
    for start in range(0, len(rows), 512):
        results = analyzer.analyze_many([text for _, text in rows[start : start + 512]])
        predicted.extend(r.sentiment if task == "sentiment" else r.category for r in results)
    return evaluate(gold, predicted, [c for c in LABELS[task]])


def cmd_evaluate(args: argparse.Namespace) -> int:
    config = _load_config(args)
    settings = _with_backend(config.analyzers, args.backend, task=args.task)
    analyzer = build_text_analyzer(settings, config.topics, config.paths.models_dir)
    try:
        report = evaluate_file(analyzer, args.task, Path(args.data))
    except DataError as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 2
    if args.json:
        print(json.dumps({"task": args.task, "analyzer": analyzer.version, **report.as_dict()}, ensure_ascii=False))
    else:
        print(f"task: {args.task}   data: {args.data}")
        print(f"analyzer: {analyzer.version}")
        print(report.format())
    return 0


# -- train ----------------------------------------------------------------------------------------------
def train_from_examples(task: str, examples: Sequence[tuple[str, str]], models_dir: Path, *, source: str,
                        settings: AnalyzerSettings, topics: Sequence[TopicSpec]) -> dict[str, Any]:
    processor = make_processor(load_lexicon(), topics, settings.max_text_chars)
    return train_model(task, examples, models_dir, source=source, processor=processor)


def format_training(meta: dict[str, Any], models_dir: Path) -> str:
    val = meta["validation"]
    lines = [
        f"trained {meta['task']} model {meta['model_id']} on {meta['n_examples']} examples "
        f"({', '.join(f'{k}={v}' for k, v in meta['label_counts'].items())})",
        f"saved to {Path(models_dir) / meta['task'] / meta['model_id']} and made active",
        f"validation ({val['method']}, n = {val['n']}): macro-F1 {val['macro_f1']:.3f}, "
        f"accuracy {val['accuracy']:.3f}",
    ]
    for label, scores in val["per_class"].items():
        lines.append(f"  {label:<14} precision {scores['precision']:.3f}  recall {scores['recall']:.3f}  "
                     f"support {scores['support']}")
    backend_key = "sentiment_backend: model" if meta["task"] == "sentiment" else "category_backend: model"
    lines.append(f"to use it, set analyzers.{backend_key} in the configuration")
    return "\n".join(lines)


def cmd_train(args: argparse.Namespace) -> int:
    config = _load_config(args)
    if args.from_corrections == bool(args.data):
        print("error: give either DATA.tsv or --from-corrections (one of them)", file=sys.stderr)
        return 2
    try:
        if args.from_corrections:
            from bot.commands.reanalysis import correction_examples

            try:
                examples = correction_examples(config, args.task)
            except Exception as exc:  # database unreachable, not migrated, ...
                print(f"error: cannot read the corrections from the database: {exc}", file=sys.stderr)
                return 1
            source = "corrections"
        else:
            examples = read_labelled(Path(args.data), allowed=LABELS[args.task])
            source = f"file:{Path(args.data).name}"
        meta = train_from_examples(args.task, examples, config.paths.models_dir, source=source,
                                   settings=config.analyzers, topics=config.topics)
    except NotEnoughData as exc:
        hint = " (community managers' corrections accumulate in the inbox)" if args.from_corrections else ""
        print(f"error: {exc}{hint}", file=sys.stderr)
        return 2
    except (DataError, ValueError) as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 2
    print(format_training(meta, config.paths.models_dir))
    return 0


# -- shared ---------------------------------------------------------------------------------------------
def _load_config(args: argparse.Namespace) -> Any:
    from bot.commands.common import load, setup_logging

    config = load(args)
    setup_logging(config, level="WARNING" if not getattr(args, "verbose", False) else None)
    return config


def _with_backend(settings: AnalyzerSettings, backend: str | None, task: str = "sentiment") -> AnalyzerSettings:
    """Settings with the backend overridden from the command line (`--backend`)."""
    if not backend:
        return settings
    if task == "category":
        if backend not in ("rules", "model"):
            raise SystemExit(f"error: --backend for categories must be rules or model, not {backend}")
        return settings.model_copy(update={"category_backend": backend})
    if backend not in ("lexicon", "model", "transformers"):
        raise SystemExit(f"error: --backend for sentiment must be lexicon, model or transformers, not {backend}")
    return settings.model_copy(update={"sentiment_backend": backend})


def register(subparsers: Any) -> None:
    p = subparsers.add_parser("classify", help="analyse texts (lines or JSONL) and print one JSON per line")
    p.add_argument("file", nargs="?", default="-", help="input file; '-' or nothing reads standard input")
    p.add_argument("--backend", help="override the sentiment backend: lexicon, model or transformers")
    p.add_argument("--batch-size", type=int, default=CLASSIFY_BATCH, help=argparse.SUPPRESS)
    p.add_argument("-v", "--verbose", action="store_true", help="log at the configured level")
    p.set_defaults(func=cmd_classify)

    p = subparsers.add_parser("evaluate", help="macro-F1, per-class precision/recall and confusion matrix")
    p.add_argument("--task", required=True, choices=TASKS)
    p.add_argument("data", help="label<TAB>text file with a header row")
    p.add_argument("--backend", help="override the backend (sentiment: lexicon|model|transformers; "
                                     "category: rules|model)")
    p.add_argument("--json", action="store_true", help="print the scores as one JSON object")
    p.add_argument("-v", "--verbose", action="store_true")
    p.set_defaults(func=cmd_evaluate)

    p = subparsers.add_parser("train", help="train the learnt model and make it active")
    p.add_argument("--task", required=True, choices=TASKS)
    p.add_argument("data", nargs="?", help="label<TAB>text file with a header row")
    p.add_argument("--from-corrections", action="store_true",
                   help="train from the community managers' corrections in the database")
    p.add_argument("-v", "--verbose", action="store_true")
    p.set_defaults(func=cmd_train)
