"""YAML reading through libyaml when PyYAML was built with it.

The shipped thresholds file is 42 kB of YAML; the pure-Python loader takes ~50 ms per read
(libyaml ~8 ms), and every stage actor reads it in ``setup`` (quality rules, language-ID
cutoffs) and the stats build once more. The C loader gives the same objects for the safe schema.
"""

from __future__ import annotations

from typing import Any

import yaml

_LOADER: Any = getattr(yaml, "CSafeLoader", yaml.SafeLoader)


def safe_load(text: str) -> Any:
    """``yaml.safe_load`` with the C loader where available (same errors: yaml.YAMLError).
    Only the two safe loaders are ever used (tests/test_yamlio.py)."""
    loader = _LOADER(text)
    try:
        return loader.get_single_data()
    finally:
        loader.dispose()
