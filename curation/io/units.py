"""Work units (one per input file) and the bookkeeping that tells when one is complete."""

from __future__ import annotations

from dataclasses import dataclass, field

from curation.io.ledger import Ledger
from curation.schema import stable_id


@dataclass(frozen=True)
class Unit:
    unit_id: str
    uri: str


def unit_for(uri: str) -> Unit:
    return Unit(unit_id=stable_id("unit", uri)[:20], uri=uri)


@dataclass
class Plan:
    todo: list[Unit]
    skipped: list[Unit]


def plan_units(uris: list[str], ledger: Ledger, force: bool = False) -> Plan:
    """Skip units the ledger already holds, unless forced."""
    done = set() if force else set(ledger.entries())
    units = [unit_for(u) for u in uris]
    return Plan(todo=[u for u in units if u.unit_id not in done], skipped=[u for u in units if u.unit_id in done])


@dataclass
class _Progress:
    rows: dict[str, int] = field(default_factory=dict)  # fragment name -> rows
    total: int | None = None


class UnitTracker:
    """Counts rows per unit from fragment reports; a unit is complete when all arrived.

    Reports are keyed by fragment name, so a fragment written twice by a retried task is
    counted once.
    """

    def __init__(self) -> None:
        self._units: dict[str, _Progress] = {}
        self.completed: set[str] = set()

    def add(self, unit_id: str, fragment: str, n_rows: int, unit_total: int | None) -> bool:
        """Record one fragment; True when this report completes the unit."""
        p = self._units.setdefault(unit_id, _Progress())
        p.rows[fragment] = n_rows
        if unit_total is not None:
            p.total = unit_total
        seen = sum(p.rows.values())
        if p.total is not None and seen > p.total:
            raise RuntimeError(f"unit {unit_id}: {seen} rows reported for {p.total} records")
        if p.total is not None and seen == p.total and unit_id not in self.completed:
            self.completed.add(unit_id)
            return True
        return False
