"""``curate train-lm`` end to end on real text, and the clear error when lmplz is not built."""

import subprocess
import sys
from pathlib import Path

import pytest

from filters.lm_model import LanguageModel, available_languages
from filters.lm_train import LMToolMissing, kenlm_tool, train_lm

REPO = Path(__file__).resolve().parents[1]


def curate(*args: str) -> subprocess.CompletedProcess:
    exe = Path(sys.executable).with_name("curate")
    cmd = [str(exe)] if exe.exists() else [sys.executable, "-m", "curation.cli"]
    return subprocess.run(cmd + list(args), cwd=REPO, capture_output=True, text=True)


def test_lmplz_and_build_binary_are_built_by_setup():
    # Fails (never skips) on a machine where scripts/setup.sh has not run.
    assert kenlm_tool("lmplz").is_file()
    assert kenlm_tool("build_binary").is_file()


def test_train_lm_command_writes_ccnet_named_files_that_score(tmp_path, shared_data):
    text = tmp_path / "de.txt"
    text.write_text("\n".join((shared_data / "sentences" / "de.txt").read_text(encoding="utf-8")
                              .splitlines()[:600]) + "\n", encoding="utf-8")
    out = tmp_path / "lm"
    proc = curate("train-lm", "--lang", "de", "--text", str(text), "--out", str(out), "--vocab-size", "2000",
                  "--memory", "100M")
    assert proc.returncode == 0, proc.stderr
    assert (out / "de.arpa.bin").is_file() and (out / "de.sp.model").is_file()
    assert available_languages(out) == ["de"]
    lm = LanguageModel(out, "de")
    held_out = (shared_data / "ntrex128" / "newstest2019-ref.deu.txt").read_text(encoding="utf-8").splitlines()[0]
    shuffled = " ".join(sorted(held_out.split()))
    assert lm.document_perplexity(held_out) < lm.document_perplexity(shuffled)


def test_train_lm_missing_text_is_a_one_line_error(tmp_path):
    proc = curate("train-lm", "--lang", "de", "--text", str(tmp_path / "nope.txt"), "--out", str(tmp_path))
    assert proc.returncode == 2
    assert proc.stderr.strip().startswith("curate: error: training text not found")
    assert len(proc.stderr.strip().splitlines()) == 1


def test_missing_lmplz_names_the_setup_script(tmp_path, monkeypatch):
    monkeypatch.setenv("CURATION_BIN", str(tmp_path))
    monkeypatch.setenv("PATH", str(tmp_path))
    with pytest.raises(LMToolMissing, match=r"run scripts/setup.sh"):
        train_lm("en", ["a b c", "d e f"], tmp_path / "out")


def test_too_little_text_is_refused(tmp_path):
    with pytest.raises(ValueError, match="too little training text"):
        train_lm("en", ["   ", "only one line"], tmp_path)


def test_train_lm_own_script_makes_foreign_text_costly(tmp_path, shared_data):
    lines = (shared_data / "sentences" / "ru.txt").read_text(encoding="utf-8").splitlines()
    text = tmp_path / "ru.txt"
    text.write_text("\n".join(lines[:600]) + "\n", encoding="utf-8")
    out = tmp_path / "lm"
    proc = curate("train-lm", "--lang", "ru", "--text", str(text), "--out", str(out), "--vocab-size", "1256",
                  "--memory", "100M", "--own-script")
    assert proc.returncode == 0, proc.stderr
    lm = LanguageModel(out, "ru")
    assert lm.tokenize("ok").split() == ["▁", "<0x6F>", "<0x6B>"]
    english = (shared_data / "sentences" / "en.txt").read_text(encoding="utf-8").splitlines()[0]
    assert lm.document_perplexity(english) > max(lm.document_perplexity(x) for x in lines[600:650])
