"""The fast YAML reader gives what yaml.safe_load gives, and fails the same way."""

from __future__ import annotations

from pathlib import Path

import pytest
import yaml

from curation import yamlio

ROOT = Path(__file__).resolve().parents[1]


@pytest.mark.parametrize("name", ["filters/assets/thresholds.yaml", "filters/assets/perplexity_thresholds.yaml",
                                  "pipelines/configs/web.yaml", "pipelines/configs/parallel.yaml"])
def test_shipped_yaml_reads_the_same_as_safe_load(name: str) -> None:
    text = (ROOT / name).read_text(encoding="utf-8")
    assert yamlio.safe_load(text) == yaml.safe_load(text)


def test_unsafe_tags_and_broken_yaml_are_errors() -> None:
    with pytest.raises(yaml.YAMLError):
        yamlio.safe_load("!!python/object/apply:os.system ['true']")
    with pytest.raises(yaml.YAMLError):
        yamlio.safe_load("a: [1, 2")


def test_only_a_safe_loader_is_used() -> None:
    assert yamlio._LOADER in (getattr(yaml, "CSafeLoader", yaml.SafeLoader), yaml.SafeLoader)
