"""Configuration of the parallel-data pipeline (the ``parallel:`` section of a pipeline YAML).

Every default names its source: Marco-LLM §3.1.2 / Table 13, LLaMAX §3 / Algorithm 1,
WikiMatrix (Schwenk et al. 2021), OpusFilter/Bicleaner defaults, or our calibration on the
FLORES-200 devtest pairs (``bench/bitext_eval.py``: every rule keeps >= 99.5% of positives).
"""

from __future__ import annotations

from typing import Literal

from pydantic import BaseModel, ConfigDict, Field

TemplateId = Literal["A", "B", "C", "D", "E", "F", "G", "H", "I", "J", "K"]
ALL_TEMPLATES: tuple[TemplateId, ...] = ("A", "B", "C", "D", "E", "F", "G", "H", "I", "J", "K")


class _Model(BaseModel):
    model_config = ConfigDict(extra="forbid")


class BitextReadConfig(_Model):
    # auto: by file name (.tsv, .tmx, .parquet, otherwise Moses `corpus.xx` + `corpus.yy`).
    format: Literal["auto", "moses", "tsv", "tmx", "parquet"] = "auto"
    # Language codes of the two sides; null: taken from file names / TMX xml:lang / Parquet columns.
    src_lang: str | None = None
    tgt_lang: str | None = None
    # Pairs per chunk handed to the stages (bounds a read task's memory). With LASER on, a chunk
    # is one scoring window and this is set to parallel.laser.window.
    chunk_rows: int = Field(2048, ge=1)
    # A chunk also ends before its src+tgt text passes this many UTF-8 bytes (paragraph pairs).
    # 1 MiB: our choice, so a chunk plus the Ray runner's 4 MB block stays under the 6 MB at
    # which Ray Data slices a block (that would split a LASER window).
    max_chunk_bytes: int = Field(1 << 20, ge=1)


class BitextRulesConfig(_Model):
    enabled: bool = True
    # Characters per side (after trimming). 1..1000: OpusFilter LengthFilter-like bounds in chars;
    # FLORES sentences are 20..600 chars, Tatoeba ones can be 3 ("Hi.").
    min_chars: int = Field(1, ge=0)
    max_chars: int = Field(1000, ge=1)
    # Longer side / shorter side; zh/ja/ko are measured in UTF-8 bytes, others in characters.
    # 3.0 is OpusFilter's LengthRatioFilter default; applied when the longer side has >= 10 units.
    max_length_ratio: float = Field(3.0, gt=1.0)
    # A sentence that ends with . ! ? (or their CJK/Arabic/Devanagari forms) whose partner ends
    # with none of them: a cut-off pair (OpusFilter's TerminalPunctuationFilter idea).
    check_terminal_punctuation: bool = True
    # ... judged only when the unterminated side is the shorter one by this length ratio
    # (FLORES has ~1% pairs where one side lost its final mark; truncation shortens by >= 1.6x).
    punctuation_min_ratio: float = Field(1.3, ge=1.0)
    # Share of characters that are neither letters, digits, spaces nor common punctuation
    # (Marco §3.1.2 ratio of special symbols). 0.1: our calibration (FLORES max is ~0.03).
    max_special_ratio: float = Field(0.1, ge=0.0, le=1.0)
    # Stop words / words on the source side (Marco §3.1.2); only for sources of >= 8 words.
    # 0.05: our calibration (FLORES p1 of English is ~0.2; navigation menus have none).
    min_stopword_ratio: float = Field(0.05, ge=0.0, le=1.0)
    # Digits / characters on either side (Marco §3.1.2). 0.3: our calibration.
    max_digit_ratio: float = Field(0.3, ge=0.0, le=1.0)
    # Numbers (digit runs, any script's digits) must agree between sides when both have some.
    check_digit_mismatch: bool = True
    # Words that repeat an earlier word / words, per side (Marco §3.1.2); >= 6 words only.
    # 0.5: our calibration (FLORES max is ~0.4).
    max_repeated_word_ratio: float = Field(0.5, ge=0.0, le=1.0)
    # Letters in the declared language's script / letters, per side. 0.5: our calibration.
    min_script_ratio: float = Field(0.5, ge=0.0, le=1.0)
    # fastText language ID per side (lid.176; the LID stage's model). A side is rejected when the
    # top-1 language differs, is confident (>= lid_min_score), and the declared one is not in
    # the top 2. 0.5 = the web pipeline's langid.min_score (CCNet).
    language_id: bool = True
    lid_model_path: str | None = None
    lid_min_score: float = Field(0.5, ge=0.0, le=1.0)
    batch_size: int = Field(1024, ge=1)


class LaserConfig(_Model):
    # Off by default: LASER weights are not bundled. To use it, download them once with
    #   python -m laser_encoders.download_models --laser laser2 --model-dir DIR
    # and set model_dir: DIR (laser2.pt, laser2.spm, laser2.cvocab). LASER2 is one encoder for
    # all 29 languages, so both sides of every pair share one embedding space.
    enabled: bool = False
    # null: <venv>/share/curation/laser (curation.assets.asset_dir("laser")).
    model_dir: str | None = None
    # Token-based batching inside the encoder (fairseq-style); LASER's own default is 12,000.
    max_tokens: int = Field(12_000, ge=1)
    max_sentences: int | None = Field(None, ge=1)
    # k nearest neighbours for the ratio margin (Artetxe & Schwenk 2019 use k=4).
    k: int = Field(4, ge=1)
    # Pairs per scoring window: margins compare each pair with the others in its window. A
    # window is a run of consecutive pairs of one input file (a read chunk, also cut by
    # read.max_chunk_bytes), so its rows do not depend on the runner. 2048: our choice (k=4
    # neighbours among ~2k candidates, as mining does per block).
    window: int = Field(2048, ge=2)
    # Rejection thresholds; null disables. WikiMatrix mines with margin >= 1.04 (Schwenk et al.).
    min_margin: float | None = 1.04
    min_cosine: float | None = None
    # cuda when a GPU is visible to the actor; gpus > 0 asks Ray for one per LASER actor.
    device: Literal["auto", "cpu", "cuda"] = "auto"
    gpus: float = Field(0.0, ge=0.0)


class AugmentConfig(_Model):
    # MUSE-style bilingual lexicon (`word<TAB>translation` per line, source -> target language);
    # null disables LLaMAX's dictionary code-switching.
    lexicon_path: str | None = None
    # Share of source words that have a lexicon entry which get replaced. 0.3: our choice
    # (LLaMAX does not publish its ratio).
    replace_ratio: float = Field(0.3, ge=0.0, le=1.0)


class RenderConfig(_Model):
    # marco: Table 13 templates A-K chosen per pair; llamax: "<src> <tgt>" connected format with
    # the direction flipped with probability flip_probability (LLaMAX §3: 0.5).
    format: Literal["marco", "llamax"] = "marco"
    templates: list[TemplateId] = Field(default_factory=lambda: list(ALL_TEMPLATES))
    flip_probability: float = Field(0.5, ge=0.0, le=1.0)
    # Template choice, flips and code-switching are a hash of (seed, pair id): reproducible.
    seed: int = 0
    augment: AugmentConfig = Field(default_factory=lambda: AugmentConfig())
    # LLaMAX §3: language pairs with fewer than 25,000 pairs are replicated three times in
    # the training entries (OUT/train/).
    replicate_below: int = Field(25_000, ge=0)
    replicate_factor: int = Field(3, ge=1)


class ParallelConfig(_Model):
    read: BitextReadConfig = Field(default_factory=lambda: BitextReadConfig())
    rules: BitextRulesConfig = Field(default_factory=lambda: BitextRulesConfig())
    laser: LaserConfig = Field(default_factory=lambda: LaserConfig())
    render: RenderConfig = Field(default_factory=lambda: RenderConfig())
