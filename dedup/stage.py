"""MinHashStage: the last stage of the web pipeline; adds each kept document's signature.

Signatures are computed where the text already is (the stage actors), so the post-commit
dedup phase only has to band and cluster them. Rejected rows get a null signature.
"""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc

from curation.config import MinHashConfig
from curation.stage import Resources, Stage, active_mask, set_column
from dedup.minhash import MinHasher

SIGNATURE = "minhash"


def signature_array(sig: np.ndarray, present: list[bool]) -> pa.Array:
    """list<uint64> column: the rows of ``sig`` where present, null elsewhere."""
    n_perm = sig.shape[1] if sig.ndim == 2 else 0
    values = pa.array(sig.reshape(-1), type=pa.uint64())
    offsets = np.arange(0, (len(present) + 1) * n_perm, n_perm, dtype=np.int32)
    mask = pa.array([not p for p in present], type=pa.bool_())
    return pa.ListArray.from_arrays(pa.array(offsets), values, mask=mask)


def signature_matrix(column: pa.ChunkedArray | pa.Array, num_perm: int) -> np.ndarray:
    """Back from a non-null list<uint64> column to an (n x num_perm) uint64 matrix."""
    arr = column.combine_chunks() if isinstance(column, pa.ChunkedArray) else column
    flat = arr.flatten().to_numpy(zero_copy_only=False).astype(np.uint64, copy=False)
    return flat.reshape(len(arr), num_perm)


def stored_or_computed(column: pa.ChunkedArray | pa.Array | None, texts: Sequence[str], languages: Sequence[str],
                       hasher: MinHasher) -> np.ndarray:
    """Signatures of committed rows: the stored ``minhash`` value where it fits ``hasher``
    (checked per row: parts committed under another ``num_perm`` may sit beside current ones),
    else computed from the text. ``texts``/``languages`` are read only at the missing rows."""
    n, num_perm = len(texts), hasher.num_perm
    sig = np.zeros((n, num_perm), dtype=np.uint64)
    have = np.zeros(n, dtype=bool)
    if column is not None and n:
        col = column.combine_chunks() if isinstance(column, pa.ChunkedArray) else column
        lengths = pc.fill_null(pc.list_value_length(col), 0).to_numpy(zero_copy_only=False)
        have = col.is_valid().to_numpy(zero_copy_only=False) & (lengths == num_perm)
        if have.any():
            sig[have] = signature_matrix(col.filter(pa.array(have)), num_perm)
    missing = np.flatnonzero(~have)
    if len(missing):
        sig[missing] = hasher.signatures([texts[int(i)] for i in missing], [languages[int(i)] for i in missing])
    return sig


class MinHashStage(Stage):
    name = "minhash"
    resources = Resources(cpus=1.0)
    batch_size = 256

    def __init__(self, cfg: MinHashConfig) -> None:
        super().__init__()
        self.cfg = cfg
        self.hasher = MinHasher(cfg.num_perm, cfg.seed, cfg.scheme, cfg.ngram)
        # Computed where the stage is built (the driver): actors unpickle two small arrays
        # instead of importing datasketch, whose import pulls in scipy (~12% of an actor's CPU
        # on the shared pages, sampled with py-spy).
        _ = self.hasher.permutations

    def process(self, batch: pa.Table) -> pa.Table:
        active = active_mask(batch)
        texts = batch.column("text").to_pylist()
        langs = batch.column("language").to_pylist()
        present = [a and t is not None for a, t in zip(active, texts)]
        idx = [i for i, p in enumerate(present) if p]
        sig = np.zeros((len(present), self.cfg.num_perm), dtype=np.uint64)
        if idx:
            sig[idx] = self.hasher.signatures([texts[i] for i in idx], [langs[i] for i in idx])
        return set_column(batch, SIGNATURE, signature_array(sig, present))
