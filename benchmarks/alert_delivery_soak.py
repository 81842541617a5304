"""Soak: Slack alert delivery under outages, lost answers, 429s and kill -9 of `main.py run`.

    .venv/bin/python benchmarks/alert_delivery_soak.py [--minutes 30] [--seed 7] [--database-url URL]
    .venv/bin/python benchmarks/alert_delivery_soak.py --minutes 3        # the short mode, to try it

The real `main.py run` runs as a subprocess on the accelerated sample replay (its speed chosen so the
synthetic week, with its two crises, fits in the run) against the local fake Slack (tests/fakes/slack_api.py)
on 127.0.0.1, with a bot token. Alongside the pipeline's own alerts, synthetic incidents (opening, then
replies in its thread: escalation, recovery) and operational alerts are queued in the outbox at random, so
the channels always have traffic. Meanwhile, at random:
- Slack answers 503 to everything, or refuses connections, for 5–30 s;
- Slack posts a message and hangs up without answering (the answer is lost);
- Slack answers 429 with Retry-After 1, 2 or 8 s; `conversations.history` answers 503;
- `run` is killed with SIGKILL every few minutes (bounded: `--kill-every`), sometimes right after Slack
  accepted a post and before the bot heard back (the window of issue 12's duplicates), then restarted.
At the end the faults stop, `run` drains the outbox and gets SIGTERM, and the figures compare the outbox
(what was queued for Slack) with what is in Slack: delivered, lost, duplicated, out of order (per channel,
Slack's order against the queue's; a reply outside or before its parent counts too), plus the summary lines
after outages, the earlier-delivery checks (and the smallest gap between a cut-off attempt and its check:
the margin left to Slack's history lag, the residual window) and the delivery delay of the injected alerts.
Target: 0 lost (an alert marked sent that is not in Slack, or one still queued when the drain stops making
progress), 0 duplicated, 0 out of order. Nothing leaves 127.0.0.1.
"""

from __future__ import annotations

import argparse
import json
import os
import random
import signal
import statistics
import subprocess
import sys
import tempfile
import threading
import time
from collections import Counter
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

import yaml  # noqa: E402

from domain import Alert  # noqa: E402
from storage import db  # noqa: E402
from storage.delivery_repository import BACKLOG_KIND  # noqa: E402
from storage.unit_of_work import UnitOfWork  # noqa: E402
from tests.fakes.slack_api import TOKEN, Fault, SlackServer  # noqa: E402

SAMPLE_HOURS = 7 * 24
CHANNEL_IDS = {"alerts": "C0ALERTS1", "ops": "C0OPS0001"}


@dataclass
class Tally:
    faults: Counter[str] = field(default_factory=Counter)
    fault_seconds: Counter[str] = field(default_factory=Counter)
    kills: int = 0
    targeted_kills: int = 0
    injected: dict[str, float] = field(default_factory=dict)  # key -> wall time queued


class Runner:
    """Starts `main.py run`, kills it with SIGKILL, restarts it; keeps every incarnation's log."""

    def __init__(self, config: Path, env: dict[str, str], logs: Path):
        self.config, self.env, self.logs = config, env, logs
        self.proc: subprocess.Popen[bytes] | None = None
        self.incarnation = 0
        self._lock = threading.Lock()

    def start(self) -> None:
        with self._lock:
            self.incarnation += 1
            log = (self.logs / f"run-{self.incarnation:03d}.log").open("wb")
            self.proc = subprocess.Popen([sys.executable, "main.py", "--config", str(self.config), "run"],
                                         cwd=ROOT, env=self.env, stdout=log, stderr=subprocess.STDOUT)

    def alive(self) -> bool:
        return self.proc is not None and self.proc.poll() is None

    def kill9(self) -> bool:
        with self._lock:
            if self.proc is None or self.proc.poll() is not None:
                return False
            self.proc.send_signal(signal.SIGKILL)
            self.proc.wait()
            return True

    def stop(self) -> int | None:
        if self.proc is None:
            return None
        if self.proc.poll() is None:
            self.proc.send_signal(signal.SIGTERM)
            try:
                return self.proc.wait(timeout=60)
            except subprocess.TimeoutExpired:
                self.proc.kill()
                return self.proc.wait()
        return self.proc.returncode


def write_config(tmp: Path, base_url: str, speed: float) -> Path:
    data = yaml.safe_load((ROOT / "config.yaml").read_text(encoding="utf-8"))
    data["connectors"]["sample"].update({"path": str(ROOT / data["connectors"]["sample"]["path"]), "speed": speed,
                                         "poll_interval_seconds": 5})
    data["scheduler"].update({"jitter_seconds": 1, "spike_check_seconds": 5, "outbox_flush_seconds": 2})
    data["alerts"].update({"console": False, "outbox_file": str(tmp / "outbox" / "alerts.jsonl"),
                           "slack_api_base_url": base_url})
    data["report"]["out_dir"] = str(tmp / "reports")
    data["report"]["pdf"] = False
    data["paths"] = {"var_dir": str(tmp / "var"), "models_dir": str(tmp / "models")}
    data["logging"] = {"level": "INFO", "format": "json"}
    path = tmp / "config.yaml"
    path.write_text(yaml.safe_dump(data, allow_unicode=True), encoding="utf-8")
    return path


def inject(engine: Any, rng: random.Random, tally: Tally, stop: threading.Event, every: float) -> None:
    """Synthetic incidents (opening, escalation and recovery in its thread) and ops alerts, at random."""
    open_incidents: list[str] = []
    n = 0
    while not stop.wait(rng.uniform(0.3, 2) * every):
        now = datetime.now(UTC)
        alerts: list[Alert] = []
        roll = rng.random()
        if roll < 0.45 or not open_incidents:
            n += 1
            key = f"soak:{n}:open"
            open_incidents.append(key)
            alerts.append(Alert(key, "spike", "aviso", f"Incidente de prueba {n}", "Volumen x5", now))
        elif roll < 0.7:
            parent = rng.choice(open_incidents)
            alerts.append(Alert(parent.replace(":open", ":escalate:critico"), "escalation", "critico",
                                "Escala a CRÍTICO", "Volumen x12", now, details={"thread_of": parent}))
        elif roll < 0.85:
            parent = open_incidents.pop(rng.randrange(len(open_incidents)))
            alerts.append(Alert(parent.replace(":open", ":recovery"), "recovery", "info", "Fin del incidente",
                                "Volvió a lo normal", now, details={"thread_of": parent}))
        else:
            n += 1
            alerts.append(Alert(f"soak:ops:{n}", "operational", "aviso", f"Falla de prueba {n}", "HTTP 500", now,
                                channel="ops"))
        try:
            with UnitOfWork(engine) as uow:
                for alert in alerts:
                    if uow.alerts.add(alert, "slack"):
                        tally.injected[alert.key] = time.time()
                uow.commit()
        except Exception as exc:  # a busy SQLite file: skip this one
            print(f"  (injector skipped one: {type(exc).__name__})", file=sys.stderr)


def fault_monkey(slack: SlackServer, rng: random.Random, tally: Tally, stop: threading.Event) -> None:
    """Random Slack faults, one at a time, with healthy stretches between them."""
    while not stop.wait(rng.uniform(10, 40)):
        kind = rng.choices(["503", "refused", "drop", "429", "history503"], weights=[2, 2, 3, 3, 1])[0]
        tally.faults[kind] += 1
        if kind in ("503", "refused"):
            seconds = rng.uniform(5, 30)
            tally.fault_seconds[kind] += seconds
            if kind == "503":
                slack.fake.down = True
            else:
                slack.refuse()
            stop.wait(seconds)
            slack.fake.down = False
            slack.accept()
        elif kind == "drop":
            slack.fake.faults.append(Fault(method="chat.postMessage", drop=True))
        elif kind == "429":
            slack.fake.faults.append(Fault(429, retry_after=rng.choice([1, 2, 8]), method="chat.postMessage"))
        else:
            slack.fake.faults.append(Fault(503, method="conversations.history"))


def messages_in_slack(slack: SlackServer) -> dict[str, list[dict[str, Any]]]:
    return {name: slack.fake.posted(cid) for name, cid in CHANNEL_IDS.items()}


def analyse(engine: Any, slack: SlackServer, tally: Tally, logs: Path) -> dict[str, Any]:
    with UnitOfWork(engine) as uow:
        rows = [r for r in uow.alerts.all() if r.sink == "slack"]
    queued = [r for r in rows if r.kind != BACKLOG_KIND]
    order = {r.key: r.id for r in queued}
    parents = {r.key: (r.details or {}).get("thread_of") for r in queued}
    seen: Counter[str] = Counter()
    out_of_order = misthreaded = unmarked = summaries = 0
    first: dict[str, dict[str, Any]] = {}
    delays = []
    for messages in messages_in_slack(slack).values():
        last_id = 0
        for m in messages:  # Slack's order (by ts)
            key = ((m.get("metadata") or {}).get("event_payload") or {}).get("alert_key")
            if key is None:
                unmarked += 1
                continue
            if key.startswith("backlog:"):
                summaries += 1
                continue
            seen[key] += 1
            if seen[key] > 1:
                continue
            first[key] = m
            if key in order:
                if order[key] < last_id:
                    out_of_order += 1
                last_id = max(last_id, order[key])
            if key in tally.injected:
                delays.append(float(m["ts"]) - tally.injected[key])
    for key, m in first.items():
        parent = parents.get(key)
        if parent and (parent not in first or m.get("thread_ts") != first[parent]["ts"]):
            misthreaded += 1
    checks = found = 0
    gaps: list[float] = []
    for path in sorted(logs.glob("run-*.log")):
        for line in path.read_text(encoding="utf-8", errors="replace").splitlines():
            if '"earlier-delivery check"' not in line:
                continue
            try:
                record = json.loads(line)
            except ValueError:
                continue
            checks += 1
            found += bool(record.get("found"))
            gaps.append(float(record.get("gap_s", 0)))
    delivered = sum(1 for r in queued if seen[r.key] >= 1)
    return {
        "queued": len(queued),
        "queued_pipeline": sum(1 for r in queued if r.key not in tally.injected),
        "delivered": delivered,
        "lost": sum(1 for r in queued if r.sent_at is not None and seen[r.key] == 0),
        "stuck": sum(1 for r in queued if r.sent_at is None and seen[r.key] == 0),
        "duplicated": sum(c - 1 for c in seen.values() if c > 1),
        "out_of_order": out_of_order,
        "misthreaded": misthreaded,
        "unmarked": unmarked,
        "direct": sum(1 for key in seen if key not in order),
        "summaries": summaries,
        "checks": checks,
        "checks_found": found,
        "min_gap": min(gaps) if gaps else None,
        "delays": sorted(delays),
    }


def pct(values: list[float], q: float) -> float:
    return values[min(len(values) - 1, int(q * len(values)))] if values else float("nan")


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--minutes", type=float, default=30.0, help="length of the faulty phase (default 30)")
    parser.add_argument("--seed", type=int, default=7)
    parser.add_argument("--kill-every", type=float, default=None,
                        help="seconds between kill -9 of run (default: minutes*6, at least 30)")
    parser.add_argument("--inject-every", type=float, default=5.0, help="mean seconds between injected alerts")
    parser.add_argument("--database-url", default=None, help="default: a fresh SQLite file")
    parser.add_argument("--keep", action="store_true", help="keep the temporary folder (logs, database)")
    args = parser.parse_args()

    rng = random.Random(args.seed)
    tmp = Path(tempfile.mkdtemp(prefix="vigia-soak-"))
    url = args.database_url or f"sqlite:///{tmp / 'soak.db'}"
    seconds = args.minutes * 60
    speed = round(SAMPLE_HOURS * 3600 / (seconds * 0.9))  # the whole week, with its crises, in the run
    kill_every = args.kill_every or max(30.0, args.minutes * 6)
    tally = Tally()
    logs = tmp / "logs"
    logs.mkdir()
    engine = db.create_db_engine(url)
    db.upgrade(engine)

    with SlackServer() as slack:
        config = write_config(tmp, slack.base_url, speed)
        env = {**os.environ, "VIGIA_DATABASE_URL": url, "SLACK_BOT_TOKEN": TOKEN, "PYTHONUNBUFFERED": "1"}
        env.pop("SLACK_WEBHOOK_URL", None)
        runner = Runner(config, env, logs)
        arm_kill = threading.Event()

        def kill_after_accept(channel: str, message: dict[str, Any]) -> None:
            if arm_kill.is_set():  # Slack has the message; the bot dies before the answer reaches it
                arm_kill.clear()
                if runner.kill9():
                    tally.kills += 1
                    tally.targeted_kills += 1

        slack.fake.after_post = kill_after_accept
        stop = threading.Event()
        threads = [threading.Thread(target=inject, args=(engine, rng, tally, stop, args.inject_every), daemon=True),
                   threading.Thread(target=fault_monkey, args=(slack, random.Random(args.seed + 1), tally, stop),
                                    daemon=True)]
        print(f"Alert delivery soak: {args.minutes:g} min of faults, seed {args.seed}, "
              f"{'PostgreSQL' if url.startswith('postgres') else 'SQLite'}, sample replay x{speed}, "
              f"kill -9 about every {kill_every:.0f} s; work folder {tmp}", flush=True)
        runner.start()
        for t in threads:
            t.start()
        started = time.monotonic()
        next_kill = started + rng.uniform(0.5, 1.5) * kill_every
        while time.monotonic() - started < seconds:
            time.sleep(0.5)
            if not runner.alive():
                time.sleep(rng.uniform(0, 2))
                runner.start()
            if time.monotonic() >= next_kill:
                next_kill = time.monotonic() + rng.uniform(0.5, 1.5) * kill_every
                if rng.random() < 0.5:
                    arm_kill.set()  # the next accepted post kills it
                elif runner.kill9():
                    tally.kills += 1
        stop.set()
        arm_kill.clear()
        for t in threads:
            t.join(timeout=60)
        slack.fake.down = False
        slack.accept()
        slack.fake.faults.clear()
        if not runner.alive():
            runner.start()
        drain_started = progress_at = time.monotonic()
        left_before = None
        while time.monotonic() - progress_at < 360:  # no progress for longer than the 5-min back-off cap
            with UnitOfWork(engine) as uow:
                left = sum(1 for r in uow.alerts.all() if r.sink == "slack" and r.sent_at is None)
            if left == 0:
                break
            if left != left_before:
                left_before, progress_at = left, time.monotonic()
            time.sleep(2)
        drain = time.monotonic() - drain_started
        code = runner.stop()
        figures = analyse(engine, slack, tally, logs)

    f = figures
    delays = f["delays"]
    faults = tally.faults
    print(f"faults: 503 outages {faults['503']} ({tally.fault_seconds['503']:.0f} s), refused connections "
          f"{faults['refused']} ({tally.fault_seconds['refused']:.0f} s), lost answers {faults['drop']}, "
          f"429s {faults['429']}, history 503s {faults['history503']}; kill -9 {tally.kills} "
          f"({tally.targeted_kills} right after Slack accepted a post); run incarnations {runner.incarnation}")
    print(f"alerts queued for Slack (outbox): {f['queued']} (pipeline {f['queued_pipeline']}, "
          f"injected {f['queued'] - f['queued_pipeline']})")
    print(f"delivered: {f['delivered']}   lost (marked sent, not in Slack): {f['lost']}   still queued after the "
          f"drain: {f['stuck']}   duplicated: {f['duplicated']}   out of order: {f['out_of_order']}   replies "
          f"outside/before their parent: {f['misthreaded']}")
    print(f"messages without our metadata: "
          f"{f['unmarked']}   sent around the outbox (database down): {f['direct']}   summary lines after "
          f"outages: {f['summaries']}")
    gap = f"{f['min_gap']:.1f} s" if f["min_gap"] is not None else "n/a"
    print(f"earlier-delivery checks: {f['checks']} (found already posted: {f['checks_found']}); smallest gap "
          f"between a cut-off attempt and its check: {gap}")
    if delays:
        print(f"delivery delay of injected alerts: p50 {statistics.median(delays):.1f} s, "
              f"p95 {pct(delays, 0.95):.1f} s, max {delays[-1]:.1f} s; final drain {drain:.0f} s")
    print("false recoveries: n/a here (the sample replay has no connector faults; see the ops soak)")
    print(f"last run exit code on SIGTERM: {code}")
    ok = not (f["lost"] or f["stuck"] or f["duplicated"] or f["out_of_order"] or f["misthreaded"])
    print("target 0 lost, 0 duplicated, 0 out of order: " + ("MET" if ok else "NOT MET"))
    if not args.keep:
        import shutil

        shutil.rmtree(tmp, ignore_errors=True)
    return 0 if ok else 1


if __name__ == "__main__":
    sys.exit(main())
