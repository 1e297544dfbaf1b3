"""`python -m filters.lm_default_models --recalibrate`: the default thresholds rewritten from the held-out
perplexities the last build saved, without training."""

import json
import math

import yaml

from filters.lm_default_models import HELDOUT_PPL, REFERENCE_K, main


def test_recalibrate_writes_the_rule_on_the_saved_heldout_perplexities(tmp_path):
    # 21 documents: e^0 .. e^20 around e^10; |ln - 10| has median 5, so the cutoff is e^(10 + k * 1.4826 * 5).
    (tmp_path / HELDOUT_PPL).write_text(json.dumps({"el": [math.exp(i) for i in range(21)] + [None]}))
    out = tmp_path / "thresholds.yaml"
    assert main(["--out", str(tmp_path), "--recalibrate", "--thresholds", str(out)]) == 0
    el = yaml.safe_load(out.read_text(encoding="utf-8"))["languages"]["el"]
    assert el["n"] == 21  # the null (an unscorable document) is left out
    assert el["median"] == round(math.exp(10), 1)
    assert el["cutoff"] == round(math.exp(10 + REFERENCE_K * 1.4826 * 5), 1)


def test_recalibrate_without_a_build_is_a_one_line_error(tmp_path, capsys):
    assert main(["--out", str(tmp_path), "--recalibrate", "--thresholds", str(tmp_path / "t.yaml")]) == 2
    err = capsys.readouterr().err.strip()
    assert err.startswith("error: ") and HELDOUT_PPL in err and "\n" not in err
    assert main(["--out", str(tmp_path), "--recalibrate"]) == 2
    assert capsys.readouterr().err.strip() == "error: --recalibrate needs --thresholds FILE"
    assert not (tmp_path / "t.yaml").exists()


def test_recalibrate_stamps_the_recipe_of_the_models_it_read(tmp_path):
    (tmp_path / HELDOUT_PPL).write_text(json.dumps({"el": [float(i + 1) for i in range(30)]}))
    (tmp_path / "manifest.json").write_text(json.dumps({"recipe": "0123abcd"}))
    out = tmp_path / "thresholds.yaml"
    assert main(["--out", str(tmp_path), "--recalibrate", "--thresholds", str(out)]) == 0
    assert list(yaml.safe_load(out.read_text(encoding="utf-8")))[:3] == ["recipe", "rule", "k"]
    assert yaml.safe_load(out.read_text(encoding="utf-8"))["recipe"] == "0123abcd"
