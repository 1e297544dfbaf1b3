"""What a refresh must do: new inputs, and units committed under another config hash."""

from __future__ import annotations

from dataclasses import dataclass, field

from curation.io.ledger import Ledger
from curation.io.units import Unit, unit_for


class ConfigChanged(RuntimeError):
    """Units were committed under another processing config; redoing them needs --reprocess."""


@dataclass
class RefreshPlan:
    discovered: int
    todo: list[Unit] = field(default_factory=list)
    skipped: list[Unit] = field(default_factory=list)
    # Units whose ledger row carries another config hash: old hash -> units.
    changed: dict[str, list[Unit]] = field(default_factory=dict)

    @property
    def n_changed(self) -> int:
        return sum(len(v) for v in self.changed.values())


def plan_refresh(uris: list[str], ledger: Ledger, config_hash: str, reprocess: bool = False) -> RefreshPlan:
    """New units are always done; units committed under another hash only with ``reprocess``.

    Every ledger row counts, not only tonight's inputs: the published corpus is all of them,
    and a corpus mixing two configs is what ``--reprocess`` exists to prevent.
    """
    entries = ledger.entries()
    plan = RefreshPlan(discovered=len(uris))
    seen: set[str] = set()
    for uri in uris:
        unit = unit_for(uri)
        seen.add(unit.unit_id)
        entry = entries.get(unit.unit_id)
        if entry is None:
            plan.todo.append(unit)
        elif entry.config_hash == config_hash:
            plan.skipped.append(unit)
        else:
            plan.changed.setdefault(entry.config_hash, []).append(unit)
    for unit_id, entry in entries.items():
        if unit_id not in seen and entry.config_hash != config_hash:
            plan.changed.setdefault(entry.config_hash, []).append(Unit(unit_id=unit_id, uri=entry.uri))
    if plan.changed:
        if not reprocess:
            olds = ", ".join(f"{len(v)} under {h}" for h, v in sorted(plan.changed.items()))
            raise ConfigChanged(f"the processing config changed (now {config_hash}): {plan.n_changed} committed "
                                f"units were made with another config ({olds}); rerun with --reprocess to redo them")
        for units in plan.changed.values():
            plan.todo.extend(units)
    return plan
