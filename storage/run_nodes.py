"""The hot standby's tables: the node registry (`run_nodes`) and the fencing token (`leader_epoch`).

Every `main.py run` process writes its own `run_nodes` row every `HEARTBEAT_SECONDS`; operators (`main.py
status`) read them. A node whose heartbeat is `MISSED_BEATS` beats old is shown as having no heartbeat ("sin
latido"): it died without saying so (kill -9, host loss); its row is deleted after a day by `prune`.

`leader_epoch` is the fencing token: a new leader increments it while holding the advisory lock, and every
write that matters checks, inside its own transaction, that the epoch it leads under is still the current one
(`LeaderEpochRepository.check`). The check takes a share lock on the epoch row, so a successor's increment
waits for the deposed leader's in-flight commit and every later commit of the deposed leader sees the new
epoch and is refused (`StaleLeader`): its writes roll back.

Times are passed in by the caller (wall-clock UTC). Repositories never commit.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta

from sqlalchemy import delete, select, update
from sqlalchemy.orm import Session

from storage.models import LeaderEpochRow, RunNodeRow
from storage.repositories import dialect_insert

HEARTBEAT_SECONDS = 5.0
MISSED_BEATS = 3  # a node is "sin latido" (no heartbeat) once this many beats are missing
KEEP_DEAD_NODES = timedelta(days=1)
EPOCH_NAME = "run"
ROLES = ("leader", "standby")


class StaleLeader(Exception):
    """This process's leader epoch is no longer the current one: another process leads now."""


@dataclass(frozen=True)
class RunNode:
    node_id: str
    hostname: str
    pid: int
    role: str  # "leader" | "standby"
    started_at: datetime
    heartbeat_at: datetime
    leader_since: datetime | None
    epoch: int | None
    version: str

    def alive(self, now: datetime, beat_seconds: float = HEARTBEAT_SECONDS) -> bool:
        """False once `MISSED_BEATS` heartbeats are missing ("sin latido")."""
        return now - self.heartbeat_at < timedelta(seconds=beat_seconds * MISSED_BEATS)


def _node(row: RunNodeRow) -> RunNode:
    return RunNode(row.node_id, row.hostname, row.pid, row.role, row.started_at, row.heartbeat_at,
                   row.leader_since, row.epoch, row.version)


class RunNodeRepository:
    def __init__(self, session: Session):
        self.session = session

    def heartbeat(self, node_id: str, *, hostname: str, pid: int, role: str, started_at: datetime,
                  now: datetime, leader_since: datetime | None, epoch: int | None, version: str) -> None:
        """Insert or refresh this process's row."""
        if role not in ROLES:
            raise ValueError(f"role must be one of {ROLES}, not {role!r}")
        values = {"hostname": hostname, "pid": pid, "role": role, "started_at": started_at, "heartbeat_at": now,
                  "leader_since": leader_since, "epoch": epoch, "version": version}
        stmt = dialect_insert(self.session, RunNodeRow).values(node_id=node_id, **values)
        self.session.execute(stmt.on_conflict_do_update(index_elements=["node_id"], set_=values))

    def nodes(self) -> list[RunNode]:
        """Every known node, the leader first, then the newest heartbeat first."""
        rows = self.session.scalars(select(RunNodeRow).execution_options(populate_existing=True))
        nodes = [_node(r) for r in rows]
        return sorted(nodes, key=lambda n: (n.role != "leader", -n.heartbeat_at.timestamp(), n.node_id))

    def current_leader(self, now: datetime | None = None) -> RunNode | None:
        """The node that holds the current leader epoch (and, given `now`, still beats); None when no node
        leads (a takeover in progress, or nothing runs)."""
        epoch = self.session.scalar(select(LeaderEpochRow.epoch).where(LeaderEpochRow.name == EPOCH_NAME))
        if epoch is None:
            return None
        for node in self.nodes():
            if node.role == "leader" and node.epoch == epoch and (now is None or node.alive(now)):
                return node
        return None

    def gone(self, node_id: str) -> None:
        """A clean shutdown removes its own row at once."""
        self.session.execute(delete(RunNodeRow).where(RunNodeRow.node_id == node_id))

    def prune(self, older_than: datetime) -> int:
        """Delete the rows of nodes whose last heartbeat is older than `older_than`; returns how many."""
        result = self.session.execute(delete(RunNodeRow).where(RunNodeRow.heartbeat_at < older_than))
        return int(result.rowcount or 0)  # type: ignore[attr-defined]


class LeaderEpochRepository:
    def __init__(self, session: Session):
        self.session = session

    def current(self) -> int:
        return int(self.session.scalar(select(LeaderEpochRow.epoch).where(LeaderEpochRow.name == EPOCH_NAME))
                   or 0)

    def advance(self, node_id: str, now: datetime) -> int:
        """Start a new epoch for `node_id`; only called while holding the leader lock. Waits for the commits
        in flight that checked the previous epoch (their share lock)."""
        self.session.execute(
            dialect_insert(self.session, LeaderEpochRow)
            .values(name=EPOCH_NAME, epoch=0)
            .on_conflict_do_nothing(index_elements=["name"])
        )
        stmt = (update(LeaderEpochRow).where(LeaderEpochRow.name == EPOCH_NAME)
                .values(epoch=LeaderEpochRow.epoch + 1, node_id=node_id, acquired_at=now)
                .returning(LeaderEpochRow.epoch))
        return int(self.session.execute(stmt).scalar_one())

    def check(self, epoch: int) -> None:
        """Raise `StaleLeader` unless `epoch` is current. On PostgreSQL the row is share-locked until the
        transaction ends, so no successor can start between this check and the commit."""
        stmt = select(LeaderEpochRow.epoch).where(LeaderEpochRow.name == EPOCH_NAME)
        if self.session.get_bind().dialect.name == "postgresql":
            stmt = stmt.with_for_update(read=True)
        current = self.session.scalar(stmt)
        if current != epoch:
            raise StaleLeader(f"leader epoch {epoch} is over: the current epoch is {current}")
