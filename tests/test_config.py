from pathlib import Path

import pytest

from curation.config import TARGET_LANGUAGES, ConfigError, load_config, parse_config

REPO = Path(__file__).resolve().parents[1]


def test_default_web_config_loads_with_documented_defaults():
    cfg = load_config(REPO / "pipelines/configs/web.yaml")
    assert cfg.pipeline == "web"
    assert cfg.extract.favor_precision is True
    assert cfg.output.compression == "zstd"
    assert cfg.langid.languages == TARGET_LANGUAGES
    assert len(TARGET_LANGUAGES) == 29


def test_unknown_key_names_the_key_and_the_allowed_ones():
    with pytest.raises(ConfigError) as err:
        parse_config({"extract": {"favor_precison": True}})
    msg = str(err.value)
    assert "extract.favor_precison" in msg
    assert "favor_precision" in msg and "timeout_s" in msg


def test_bad_choice_lists_the_allowed_values():
    with pytest.raises(ConfigError, match=r"runner\.kind.*'local' or 'ray'"):
        parse_config({"runner": {"kind": "spark"}})


def test_out_of_range_threshold_is_rejected():
    with pytest.raises(ConfigError, match=r"langid\.min_score"):
        parse_config({"langid": {"min_score": 1.5}})


def test_missing_file_and_bad_yaml_are_one_line_errors(tmp_path):
    with pytest.raises(ConfigError, match="config file not found"):
        load_config(tmp_path / "nope.yaml")
    bad = tmp_path / "bad.yaml"
    bad.write_text("extract: [unclosed\n")
    with pytest.raises(ConfigError, match="not valid YAML") as err:
        load_config(bad)
    assert "\n" not in str(err.value)


def test_processing_hash_ignores_paths_but_not_thresholds():
    a = parse_config({"output": {"path": "x"}})
    b = parse_config({"output": {"path": "y"}, "input": {"paths": ["z"]}})
    c = parse_config({"extract": {"favor_precision": False}})
    assert a.processing_hash() == b.processing_hash()
    assert a.processing_hash() != c.processing_hash()
