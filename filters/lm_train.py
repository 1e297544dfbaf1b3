"""Train a CCNet-compatible language model: SentencePiece unigram + KenLM 5-gram.

CCNet's recipe: normalise the text (``filters.normalize``), train a SentencePiece unigram
model on it, tokenise, ``lmplz -o 5 --discount_fallback``, ``build_binary``. Output files are
named like CCNet's (``<lang>.sp.model``, ``<lang>.arpa.bin``) so either kind loads.
"""

from __future__ import annotations

import re
import shutil
import subprocess
import tempfile
from collections.abc import Iterable
from dataclasses import dataclass
from pathlib import Path

from curation.assets import asset_bin
from filters.normalize import normalize_line


class LMToolMissing(RuntimeError):
    """lmplz / build_binary are not built; set-up builds them."""


@dataclass
class TrainedLM:
    lang: str
    lm_path: Path
    sp_path: Path
    n_lines: int
    n_tokens: int


def kenlm_tool(name: str) -> Path:
    """Path of a KenLM binary built by set-up, or a clear error saying how to get it."""
    path = asset_bin(name)
    if not path.is_file():
        found = shutil.which(name)
        if found:
            return Path(found)
        raise LMToolMissing(f"KenLM's {name} not found at {path}: run scripts/setup.sh "
                            "(step scripts/setup.d/20-kenlm.sh builds lmplz and build_binary)")
    return path


def normalized_lines(lines: Iterable[str], mode: str = "ccnet") -> list[str]:
    """Normalised (CCNet's rules by default, ``filters.normalize``), non-empty lines."""
    out = []
    for line in lines:
        n = normalize_line(line, mode)
        if n:
            out.append(n)
    return out


def read_lines(paths: Iterable[str | Path]) -> list[str]:
    lines: list[str] = []
    for p in paths:
        path = Path(p)
        if not path.is_file():
            raise FileNotFoundError(f"training text not found: {path}")
        lines.extend(path.read_text(encoding="utf-8", errors="replace").splitlines())
    return lines


def _run(cmd: list[str], stdin: Path, stdout: Path) -> None:
    with open(stdin, "rb") as fin, open(stdout, "wb") as fout:
        proc = subprocess.run(cmd, stdin=fin, stdout=fout, stderr=subprocess.PIPE)
    if proc.returncode != 0:
        tail = proc.stderr.decode("utf-8", "replace").strip().splitlines()[-3:]
        raise RuntimeError(f"{Path(cmd[0]).name} failed (exit {proc.returncode}): {' | '.join(tail)}")


def train_sentencepiece(text_file: Path, prefix: Path, vocab_size: int, threads: int = 1,
                        byte_fallback: bool = False, character_coverage: float | None = None,
                        model_type: str = "unigram") -> Path:
    """Unigram SentencePiece on normalised text; the vocabulary size is a soft cap on small data.

    ``byte_fallback``: characters outside the vocabulary become UTF-8 byte pieces (256 of the
    vocabulary) instead of one ``<unk>`` piece per run. Every training character is then covered
    (coverage 1.0), so KenLM never sees a byte piece in training and scores each one as ``<unk>``:
    a run of unseen characters costs per byte, not once (see ``filters/lm_script.py``).
    ``character_coverage`` overrides that (SentencePiece accepts 0.98-1.0): the rarest characters
    of the training text then become byte pieces there too, so KenLM learns the UTF-8 lead and
    continuation bytes of that script's rare characters (a large alphabet with little text, zh).
    ``model_type``: CCNet's ``unigram`` or ``bpe``; either kind of ``.sp.model`` loads the same way.
    """
    if character_coverage is None:
        character_coverage = 1.0 if byte_fallback else 0.9999
    import sentencepiece as spm

    def run(size: int) -> None:
        spm.SentencePieceTrainer.train(
            input=str(text_file), model_prefix=str(prefix), model_type=model_type, vocab_size=size,
            hard_vocab_limit=False,  # small corpora cannot fill a large vocabulary; take what fits
            character_coverage=character_coverage, byte_fallback=byte_fallback,
            num_threads=threads, input_sentence_size=2_000_000,
            shuffle_input_sentence=True, minloglevel=2)

    try:
        run(vocab_size)
    except RuntimeError as err:
        # Unigram needs every covered character in the vocabulary (CJK text has thousands):
        # SentencePiece says how many; grow the vocabulary to fit them.
        m = re.search(r"smaller than required_chars\. \d+ vs (\d+)", str(err))
        if not m:
            raise
        run(int(m.group(1)) + 64)
    return prefix.with_suffix(".model")


def write_normalization(out: Path, lang: str, mode: str) -> None:
    """Record ``mode`` beside ``lang``'s model; CCNet's mode is recorded by having no record."""
    import json

    from filters.lm_model import normalization_path

    path = normalization_path(out, lang)
    if mode == "ccnet":
        path.unlink(missing_ok=True)
        return
    tmp = path.with_suffix(".json.tmp")
    tmp.write_text(json.dumps({"normalization": mode}) + "\n", encoding="utf-8")
    tmp.replace(path)


def train_lm(lang: str, lines: Iterable[str], out_dir: str | Path, order: int = 5, vocab_size: int = 8000,
             memory: str = "1G", threads: int = 1, keep_arpa: bool = False,
             scripts: frozenset[str] | None = None, byte_fallback: bool = False,
             normalization: str = "ccnet", character_coverage: float | None = None,
             sp_type: str = "unigram") -> TrainedLM:
    """Train ``out_dir/<lang>.sp.model`` and ``out_dir/<lang>.arpa.bin`` from raw text lines.

    ``memory`` is lmplz's ``-S``: its default reserves 80% of RAM, unusable on a shared worker.
    ``keep_arpa`` also keeps the text ARPA file (``<lang>.arpa``) for inspection.
    ``scripts``: keep only letters of these scripts in the training text (``filters.lm_script``);
    ``byte_fallback``: see ``train_sentencepiece``. The default models use both.
    ``normalization``: ``"ccnet"`` (CCNet's, the default) or ``"keep_marks"``; any other mode is
    recorded in ``<lang>.norm.json`` beside the model, which the scorer reads.
    ``character_coverage``: see ``train_sentencepiece`` (None: its default); ``sp_type``: its
    ``model_type`` (CCNet's ``unigram`` by default).
    """
    import sentencepiece as spm

    lmplz, build_binary = kenlm_tool("lmplz"), kenlm_tool("build_binary")
    text = normalized_lines(lines, normalization)
    if scripts is not None:
        from filters.lm_script import strip_foreign

        text = [t for t in (strip_foreign(x, scripts) for x in text) if t]
    if len(text) < 2:
        raise ValueError(f"too little training text for {lang!r}: {len(text)} non-empty lines")
    out = Path(out_dir)
    out.mkdir(parents=True, exist_ok=True)
    with tempfile.TemporaryDirectory(prefix=f"train-lm-{lang}-") as tmp_s:
        tmp = Path(tmp_s)
        norm = tmp / "normalized.txt"
        norm.write_text("\n".join(text) + "\n", encoding="utf-8")
        sp_model = train_sentencepiece(norm, tmp / lang, vocab_size, threads, byte_fallback, character_coverage,
                                       sp_type)
        sp = spm.SentencePieceProcessor(model_file=str(sp_model))
        pieces = [" ".join(p) for p in sp.encode(text, out_type=str)]
        tokenized = tmp / "tokenized.txt"
        tokenized.write_text("\n".join(pieces) + "\n", encoding="utf-8")
        arpa = tmp / f"{lang}.arpa"
        _run([str(lmplz), "-o", str(order), "-S", memory, "-T", str(tmp), "--discount_fallback"],
             tokenized, arpa)
        binary = tmp / f"{lang}.arpa.bin"
        proc = subprocess.run([str(build_binary), str(arpa), str(binary)], capture_output=True)
        if proc.returncode != 0:
            tail = proc.stderr.decode("utf-8", "replace").strip().splitlines()[-3:]
            raise RuntimeError(f"build_binary failed (exit {proc.returncode}): {' | '.join(tail)}")
        lm_path, sp_path = out / f"{lang}.arpa.bin", out / f"{lang}.sp.model"
        write_normalization(out, lang, normalization)
        if keep_arpa:
            shutil.copyfile(arpa, out / f"{lang}.arpa")
        # Replace atomically: a scorer never sees a half-written model.
        shutil.move(str(binary), str(lm_path.with_suffix(".bin.tmp")))
        shutil.move(str(sp_model), str(sp_path.with_suffix(".model.tmp")))
        lm_path.with_suffix(".bin.tmp").replace(lm_path)
        sp_path.with_suffix(".model.tmp").replace(sp_path)
    return TrainedLM(lang, lm_path, sp_path, len(text), sum(len(p.split()) for p in pieces))
