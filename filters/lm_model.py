"""One language's KenLM + SentencePiece pair, and the document perplexity CCNet computes.

A model directory holds ``<lang>.sp.model`` and ``<lang>.arpa.bin`` (CCNet's file names), so
models from ``curate train-lm``, CCNet's or CulturaX's published ones load the same way.
An optional ``<lang>.norm.json`` records a normalisation other than CCNet's that the model was
trained with (``{"normalization": "keep_marks"}``, see ``filters.normalize``); without it the
model is scored with CCNet's normalisation, as CCNet's files must be.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from filters.normalize import NORMALIZATIONS, normalize_line

LOAD_METHODS = ("lazy", "populate", "read")


def model_paths(model_dir: str | Path, lang: str) -> tuple[Path, Path]:
    """(KenLM binary, SentencePiece model) for ``lang`` in ``model_dir``."""
    d = Path(model_dir)
    return d / f"{lang}.arpa.bin", d / f"{lang}.sp.model"


def normalization_path(model_dir: str | Path, lang: str) -> Path:
    """The sidecar recording a non-CCNet normalisation of ``lang``'s model (absent = CCNet's)."""
    return Path(model_dir) / f"{lang}.norm.json"


def model_normalization(model_dir: str | Path, lang: str) -> str:
    """The normalisation ``lang``'s model in ``model_dir`` was trained with; a clear error if unreadable."""
    path = normalization_path(model_dir, lang)
    if not path.is_file():
        return "ccnet"
    try:
        mode = json.loads(path.read_text(encoding="utf-8"))["normalization"]
    except (ValueError, KeyError, TypeError) as err:
        raise ValueError(f"unreadable normalisation record {path}: {err!r}") from err
    if mode not in NORMALIZATIONS:
        raise ValueError(f"{path}: unknown normalisation {mode!r}; expected one of {NORMALIZATIONS}")
    return str(mode)


def available_languages(model_dir: str | Path) -> list[str]:
    """Languages with both files present in ``model_dir``."""
    d = Path(model_dir)
    if not d.is_dir():
        return []
    langs = [p.name.split(".")[0] for p in d.glob("*.arpa.bin")]
    return sorted(lang for lang in langs if (d / f"{lang}.sp.model").is_file())


def perplexity(log10_prob: float, n_tokens: int) -> float:
    """10^(-sum log10 P / tokens), rounded to 0.1 as CCNet stores it."""
    if n_tokens <= 0:
        raise ValueError("perplexity of zero tokens is undefined")
    return round(10.0 ** (-log10_prob / n_tokens), 1)


@dataclass
class LineScore:
    log10_prob: float
    n_tokens: int  # SentencePiece pieces + 1 for </s>, as CCNet counts


class LanguageModel:
    """A loaded KenLM binary (memory-mapped) and its SentencePiece tokenizer."""

    def __init__(self, model_dir: str | Path, lang: str, load_method: str = "populate") -> None:
        import kenlm
        import sentencepiece

        lm_path, sp_path = model_paths(model_dir, lang)
        for p in (lm_path, sp_path):
            if not p.is_file():
                raise FileNotFoundError(f"KenLM model file missing for {lang!r}: {p}")
        config = kenlm.Config()
        # lazy: mmap, pages read on demand; populate: mmap + MAP_POPULATE (CCNet's default);
        # read: malloc + read (for network disks where mmap is slow).
        config.load_method = {"lazy": kenlm.LoadMethod.LAZY, "populate": kenlm.LoadMethod.POPULATE_OR_READ,
                              "read": kenlm.LoadMethod.READ}[load_method]
        self.lang = lang
        self.normalization = model_normalization(model_dir, lang)
        self.lm: Any = kenlm.Model(str(lm_path), config)
        self.sp: Any = sentencepiece.SentencePieceProcessor(model_file=str(sp_path))

    def tokenize(self, line: str) -> str:
        """Normalise one line and return its pieces joined by spaces (what the LM was trained on)."""
        return " ".join(self.sp.encode(normalize_line(line, self.normalization), out_type=str))

    def score_line(self, line: str) -> LineScore:
        pieces = self.tokenize(line)
        return LineScore(self.lm.score(pieces, bos=True, eos=True), len(pieces.split()) + 1)

    def document_perplexity(self, text: str) -> float | None:
        """CCNet's DocLM: sum log10 P and tokens (incl. one </s> per line) over the lines."""
        if not text:
            return None
        total_logp, total_tokens = 0.0, 0
        for line in text.split("\n"):
            s = self.score_line(line)
            total_logp += s.log10_prob
            total_tokens += s.n_tokens
        return perplexity(total_logp, total_tokens)
