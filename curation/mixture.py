"""Marco-LLM's two-stage data mixture: from token counts to Megatron ``--data-path`` weights.

Each stage spends its token budget over Marco's seven categories (Table 2). English and Chinese
are one language each; the other high-resource and the low-resource languages split their
category's share equally per language, which is how Table 1's "used" column comes out (every other
high-resource language 10.6B, every low-resource one 1.9B). Within a language, and within the
parallel / knowledge / synthetic categories, a share is split in proportion to the tokens each
dataset holds. Epochs = tokens drawn / tokens available; past the repetition cap the plan warns
(or, strict, fails).
"""

from __future__ import annotations

import json
from collections import defaultdict
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Literal

import pyarrow.csv as pacsv
import pyarrow.parquet as pq
from pydantic import BaseModel, ConfigDict, Field, model_validator

from curation.config import HIGH_RESOURCE, LOW_RESOURCE

PLAN_FILE = "mixture_plan.json"
CATEGORIES = ["english", "chinese", "high_resource", "low_resource", "parallel", "knowledge", "synthetic"]
CATEGORY_TITLES = {"english": "English", "chinese": "Chinese", "high_resource": "other high-resource",
                   "low_resource": "low-resource", "parallel": "parallel multilingual",
                   "knowledge": "high-quality knowledge", "synthetic": "synthetic"}
# Input categories (tokenize's CATEGORY names) that are monolingual web text, split by language.
MONOLINGUAL = {"web", "mono", "monolingual", "refresh"}
ALIASES = {"bitext": "parallel", "parallel": "parallel", "knowledge": "knowledge", "hq": "knowledge",
           "high_quality": "knowledge", "synthetic": "synthetic"}
LANGUAGE_GROUPS = {"english", "chinese", "high_resource", "low_resource"}


class MixError(ValueError):
    """A plan that cannot be made (bad input, empty category in strict mode, repetition past the cap)."""


class _Model(BaseModel):
    model_config = ConfigDict(extra="forbid")


class StagePlanConfig(_Model):
    name: str
    tokens: float = Field(gt=0)
    shares: dict[str, float]
    # Megatron-style label kept in the plan; Marco's peak LR per stage (Table 3).
    peak_lr: float | None = None

    @model_validator(mode="after")
    def _shares_are_a_distribution(self) -> StagePlanConfig:
        unknown = sorted(set(self.shares) - set(CATEGORIES))
        if unknown:
            raise ValueError(f"unknown categories {unknown} (allowed: {', '.join(CATEGORIES)})")
        if any(v < 0 for v in self.shares.values()) or abs(sum(self.shares.values()) - 1.0) > 1e-6:
            raise ValueError(f"shares of stage {self.name} must be >= 0 and sum to 1, got {sum(self.shares.values())}")
        return self


def _marco_stages() -> list[StagePlanConfig]:
    # Marco-LLM Table 2 (shares) and Table 3 (160B / 140B tokens, peak LR 1e-5 / 6e-6).
    return [
        StagePlanConfig(name="stage1", tokens=160e9, peak_lr=1e-5, shares={
            "english": 0.32, "chinese": 0.17, "high_resource": 0.30, "low_resource": 0.09,
            "parallel": 0.06, "knowledge": 0.05, "synthetic": 0.01}),
        StagePlanConfig(name="stage2", tokens=140e9, peak_lr=6e-6, shares={
            "english": 0.28, "chinese": 0.15, "high_resource": 0.26, "low_resource": 0.15,
            "parallel": 0.08, "knowledge": 0.06, "synthetic": 0.02}),
    ]


class MixConfig(_Model):
    stages: list[StagePlanConfig] = Field(default_factory=_marco_stages)
    # Most epochs any dataset may be drawn over all stages. 4: Muennighoff et al. 2023 ("Scaling
    # data-constrained LMs") find up to ~4 epochs nearly as good as unique data.
    repetition_cap: float = Field(4.0, gt=0)
    # Marco §3.1.5 language groups; override to regroup (e.g. move ru to high-resource).
    high_resource: list[str] = Field(default_factory=lambda: list(HIGH_RESOURCE))
    low_resource: list[str] = Field(default_factory=lambda: list(LOW_RESOURCE))
    # How a language group's share is split: equal per language reproduces Marco's Table 1.
    within_group: Literal["equal", "proportional"] = "equal"
    # Fail (instead of warn) on repetition past the cap or on a category without data.
    strict: bool = False

    @model_validator(mode="after")
    def _groups_are_disjoint(self) -> MixConfig:
        both = sorted(set(self.high_resource) & set(self.low_resource))
        if both:
            raise ValueError(f"languages in both groups: {both}")
        return self


@dataclass(eq=False)  # hashed by identity: two datasets may share a name across count files
class Source:
    """One dataset: its input category and language, tokens available, Megatron prefix if known."""

    category: str
    language: str
    tokens: int
    prefix: str | None = None

    @property
    def name(self) -> str:
        return f"{self.category}/{self.language}"


def load_counts(path: str | Path) -> list[Source]:
    """``token_counts.json`` from ``curate tokenize``, or a table (csv/json/parquet) with
    ``category, language, tokens`` and optionally ``prefix``."""
    p = Path(path)
    if not p.is_file():
        raise MixError(f"token counts not found: {p}")
    if p.suffix == ".json":
        data = json.loads(p.read_text(encoding="utf-8"))
        rows = data["datasets"] if isinstance(data, dict) and "datasets" in data else data
        base = p.parent.resolve()
    elif p.suffix == ".parquet":
        rows, base = pq.read_table(p).to_pylist(), p.parent.resolve()
    elif p.suffix in (".csv", ".tsv"):
        opts = pacsv.ParseOptions(delimiter="\t" if p.suffix == ".tsv" else ",")
        rows, base = pacsv.read_csv(p, parse_options=opts).to_pylist(), p.parent.resolve()
    else:
        raise MixError(f"{p}: token counts must be .json, .parquet, .csv or .tsv")
    if not isinstance(rows, list):
        raise MixError(f"{p}: expected a list of datasets")
    out = []
    for i, row in enumerate(rows):
        try:
            prefix = row.get("prefix")
            if prefix and not Path(prefix).is_absolute():
                prefix = str(base / prefix)
            out.append(Source(str(row["category"]), str(row.get("language") or "all"), int(row["tokens"]),
                              prefix or None))
        except (KeyError, TypeError, ValueError, AttributeError) as err:
            raise MixError(f"{p}: row {i} needs category, language, tokens ({err})") from None
    return out


def mix_category(src: Source, cfg: MixConfig) -> str | None:
    """Marco category of a dataset; None for a monolingual language outside both groups."""
    cat = src.category.lower()
    if cat in MONOLINGUAL:
        if src.language == "en":
            return "english"
        if src.language == "zh":
            return "chinese"
        if src.language in cfg.high_resource:
            return "high_resource"
        if src.language in cfg.low_resource:
            return "low_resource"
        return None
    if cat in ALIASES:
        return ALIASES[cat]
    if cat in CATEGORIES:
        return cat
    raise MixError(f"unknown category {src.category!r} for {src.name} (monolingual: {', '.join(sorted(MONOLINGUAL))};"
                   f" others: {', '.join(sorted(ALIASES))})")


def _split(total: float, weights: dict[Any, float]) -> dict[Any, float]:
    s = sum(weights.values())
    return {k: total * w / s for k, w in weights.items()} if s > 0 else {k: 0.0 for k in weights}


def plan_mixture(sources: list[Source], cfg: MixConfig | None = None) -> dict[str, Any]:
    """The whole plan as a JSON-ready dict (see README, "curate mix")."""
    cfg = cfg or MixConfig()
    warnings: list[str] = []
    by_cat: dict[str, list[Source]] = defaultdict(list)
    for src in sources:
        if src.tokens <= 0:
            warnings.append(f"{src.name} has no tokens; left out")
            continue
        cat = mix_category(src, cfg)
        if cat is None:
            warnings.append(f"{src.name}: language {src.language} is in neither group; left out")
            continue
        by_cat[cat].append(src)
    if not by_cat:
        raise MixError("no usable datasets in the token counts")
    drawn: dict[str, dict[str, float]] = {s.name: {} for cat in by_cat for s in by_cat[cat]}
    stages_out = []
    for stage in cfg.stages:
        shares = {c: v for c, v in stage.shares.items() if v > 0}
        missing = [c for c in shares if c not in by_cat]
        for c in missing:
            msg = (f"{stage.name}: category {c} ({shares[c]:.0%}) has no data; "
                   f"its share is spread over the others in proportion")
            if cfg.strict:
                raise MixError(msg)
            warnings.append(msg)
        present = _split(1.0, {c: v for c, v in shares.items() if c in by_cat})
        weights: list[tuple[Source, float]] = []
        for cat, share in present.items():
            cat_tokens = share * stage.tokens
            members = by_cat[cat]
            if cat in LANGUAGE_GROUPS:
                langs: dict[str, list[Source]] = defaultdict(list)
                for s in members:
                    langs[s.language].append(s)
                lang_w = {lang: 1.0 if cfg.within_group == "equal" else float(sum(s.tokens for s in ss))
                          for lang, ss in langs.items()}
                for lang, lang_tokens in _split(cat_tokens, lang_w).items():
                    for s, t in _split(lang_tokens, {s: float(s.tokens) for s in langs[lang]}).items():
                        weights.append((s, t))
            else:
                weights.extend(_split(cat_tokens, {s: float(s.tokens) for s in members}).items())
        for s, t in weights:
            drawn[s.name][stage.name] = t
        entries = [{"name": s.name, "prefix": s.prefix, "category": mix_category(s, cfg), "tokens": t,
                    "weight": t / stage.tokens, "epochs": t / s.tokens} for s, t in weights]
        data_path = None
        if all(s.prefix for s, _ in weights):
            data_path = [x for e in entries for x in (f"{e['weight']:.8f}", e["prefix"])]
        elif any(s.prefix for s, _ in weights):
            warnings.append(f"{stage.name}: some datasets have no prefix (counts not from curate tokenize); "
                            f"no --data-path list")
        stages_out.append({
            "name": stage.name, "tokens": stage.tokens, "peak_lr": stage.peak_lr,
            "category_shares": {c: present.get(c, 0.0) for c in CATEGORIES},
            "datasets": entries, "data_path": data_path,
        })
    source_rows = []
    for cat in CATEGORIES:
        for s in sorted(by_cat.get(cat, []), key=lambda x: x.name):
            used = sum(drawn[s.name].values())
            epochs = used / s.tokens
            source_rows.append({"name": s.name, "category": cat, "language": s.language, "prefix": s.prefix,
                                "available_tokens": s.tokens, "stage_tokens": drawn[s.name], "used_tokens": used,
                                "epochs": epochs})
            if epochs > cfg.repetition_cap:
                msg = (f"{s.name} would be repeated {epochs:.2f} epochs, past the cap of {cfg.repetition_cap:g} "
                       f"({used:.4g} tokens drawn of {s.tokens:.4g})")
                if cfg.strict:
                    raise MixError(msg)
                warnings.append(msg)
    return {
        "version": 1,
        "config": cfg.model_dump(),
        "stages": stages_out,
        "sources": source_rows,
        "utilisation": utilisation_table(source_rows),
        "warnings": warnings,
    }


def utilisation_table(source_rows: list[dict[str, Any]]) -> list[dict[str, Any]]:
    """Table 1's form: one row per language (monolingual) or per category (the rest), then total."""
    rows: dict[str, dict[str, Any]] = {}
    for r in source_rows:
        key = r["language"] if r["category"] in LANGUAGE_GROUPS else CATEGORY_TITLES[r["category"]]
        row = rows.setdefault(key, {"source": key, "total_tokens": 0, "used_tokens": 0.0})
        row["total_tokens"] += r["available_tokens"]
        row["used_tokens"] += r["used_tokens"]
    table = list(rows.values())
    table.append({"source": "total", "total_tokens": sum(r["total_tokens"] for r in table),
                  "used_tokens": sum(r["used_tokens"] for r in table)})
    for r in table:
        r["utilisation"] = r["used_tokens"] / r["total_tokens"]
    return table


def format_table(plan: dict[str, Any], unit: float = 1e9) -> str:
    """The utilisation table as text, in billions of tokens (Table 1's unit) by default."""
    suffix = {1e9: "B", 1e6: "M", 1.0: ""}.get(unit, f"x{unit:g}")
    lines = [f"{'source':<24}{'total':>12}{'used':>12}{'utilisation':>13}"]
    for r in plan["utilisation"]:
        lines.append(f"{r['source']:<24}{r['total_tokens'] / unit:>11,.1f}{suffix}{r['used_tokens'] / unit:>11,.1f}"
                     f"{suffix}{r['utilisation']:>12.1%}")
    return "\n".join(lines)


def write_plan(plan: dict[str, Any], out: str | Path) -> Path:
    d = Path(out)
    d.mkdir(parents=True, exist_ok=True)
    tmp = d / (PLAN_FILE + ".tmp")
    tmp.write_text(json.dumps(plan, indent=2) + "\n", encoding="utf-8")
    return tmp.replace(d / PLAN_FILE)
