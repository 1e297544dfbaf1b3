"""The ledger: one small JSON file per committed work unit under OUT/_ledger/units/.

One file per unit means concurrent committers never contend for a shared file, and each
entry is written to a temp name and renamed, so it is either absent or whole.
"""

from __future__ import annotations

import json
import os
from dataclasses import asdict, dataclass, field
from pathlib import Path

from curation.faults import fault_point


@dataclass
class LedgerEntry:
    unit_id: str
    uri: str
    run_id: str
    config_hash: str
    n_rows: int
    n_kept: int
    n_rejected: int
    files: list[str] = field(default_factory=list)
    committed_at: str = ""


class Ledger:
    def __init__(self, out: str | Path) -> None:
        self.dir = Path(out) / "_ledger" / "units"

    def path(self, unit_id: str) -> Path:
        return self.dir / f"{unit_id}.json"

    def get(self, unit_id: str) -> LedgerEntry | None:
        try:
            return LedgerEntry(**json.loads(self.path(unit_id).read_text()))
        except FileNotFoundError:
            return None

    def entries(self) -> dict[str, LedgerEntry]:
        if not self.dir.exists():
            return {}
        out = {}
        for p in sorted(self.dir.glob("*.json")):
            entry = LedgerEntry(**json.loads(p.read_text()))
            out[entry.unit_id] = entry
        return out

    def write(self, entry: LedgerEntry) -> None:
        fault_point("after_shard_before_ledger")  # test hook: the unit's files exist, its row not yet
        self.dir.mkdir(parents=True, exist_ok=True)
        tmp = self.dir / f".{entry.unit_id}.json.tmp-{os.getpid()}"
        tmp.write_text(json.dumps(asdict(entry), indent=1, sort_keys=True))
        os.replace(tmp, self.path(entry.unit_id))
