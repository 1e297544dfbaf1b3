"""The stage contract: a small class with declared resources and a pure batch function.

A stage knows nothing about Ray. Runners call ``setup()`` once per process/actor (model
loading) and then ``__call__`` on Arrow batches. A stage adds or fills columns and never
drops rows; rows that an earlier stage rejected pass through untouched.
"""

from __future__ import annotations

from abc import ABC, abstractmethod
from dataclasses import dataclass
from typing import Any

import pyarrow as pa
import pyarrow.compute as pc


@dataclass(frozen=True)
class Resources:
    """What one instance of a stage needs; the Ray runner sizes actor pools from this."""

    cpus: float = 1.0
    gpus: float = 0.0
    memory_mb: int | None = None


class Stage(ABC):
    name: str = "stage"
    resources: Resources = Resources()
    batch_size: int = 64
    # True where the rows scored together change the result (LASER margins), or where a later
    # stage's windows must pass through this one intact: the stage finds its windows in the
    # rows (numbered by the reader) and runners hand it whole read chunks or Ray blocks, never
    # slices of batch_size rows.
    batch_is_window: bool = False

    def __init__(self) -> None:
        self._ready = False

    def setup(self) -> None:
        """Load models or start helpers; called once per process before the first batch."""

    def teardown(self) -> None:
        """Release what setup acquired."""

    @abstractmethod
    def process(self, batch: pa.Table) -> pa.Table:
        """Return ``batch`` with this stage's columns filled; same rows, same order."""

    def __call__(self, batch: pa.Table) -> pa.Table:
        if not self._ready:
            self.setup()
            self._ready = True
        out = self.process(batch)
        if out.num_rows != batch.num_rows:
            raise RuntimeError(f"stage {self.name} changed the row count ({batch.num_rows} -> {out.num_rows})")
        return out

    def __getstate__(self) -> dict[str, Any]:
        # Stages travel to Ray actors before setup(); loaded models never get pickled.
        state = self.__dict__.copy()
        state["_ready"] = False
        for key in getattr(self, "_unpicklable", ()):
            state[key] = None
        return state


def active_mask(batch: pa.Table) -> list[bool]:
    """Rows still in play: no earlier stage rejected them."""
    return pc.is_null(batch.column("reject_reason")).to_pylist()


def set_column(batch: pa.Table, name: str, values: list[Any] | pa.Array) -> pa.Table:
    """Replace a column, keeping the schema's type for it."""
    idx = batch.schema.get_field_index(name)
    if idx < 0:
        arr = values if isinstance(values, pa.Array) else pa.array(values)
        return batch.append_column(name, arr)
    field = batch.schema.field(idx)
    arr = values if isinstance(values, pa.Array) else pa.array(values, type=field.type)
    return batch.set_column(idx, field, arr.cast(field.type))


def reject(batch: pa.Table, reasons: list[str | None], details: list[str | None] | None = None) -> pa.Table:
    """Record new reject reasons; a row's first reason wins."""
    old = batch.column("reject_reason").to_pylist()
    old_detail = batch.column("reject_detail").to_pylist()
    details = details or [None] * len(reasons)
    new_reason, new_detail = [], []
    for o, od, n, nd in zip(old, old_detail, reasons, details):
        if o is None and n is not None:
            new_reason.append(n)
            new_detail.append(nd)
        else:
            new_reason.append(o)
            new_detail.append(od)
    batch = set_column(batch, "reject_reason", new_reason)
    return set_column(batch, "reject_detail", new_detail)
