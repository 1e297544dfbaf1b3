"""Bitext rule evaluation on FLORES-200 devtest: keep rate of real pairs, reject rate per negative kind.

Positives: FLORES-200 devtest pairs among the 29 languages (every language to and from English,
plus as many non-English directions), ``--per-direction`` lines each. Negatives, built from the
same pairs, one set per kind:
- shuffled: the target is another sentence of the same language (only an embedding catches it);
- truncated: the target cut at 20-60% of its length (at a space where the script has spaces);
- wrong_language: half swapped sides, half a target in a third language (same FLORES line);
- source_copied: the target replaced by the source, or the source pasted before/after the target;
- numbers_altered: one digit of a number in the target changed (pairs with numbers on both sides);
- boilerplate: web boilerplate built from each side's own words (menus, breadcrumbs, pagination,
  share links, template residue, timestamps, copyright lines).
It prints one summary table (a row per set) and then a table per set (positives and each
negative kind): pairs per reject reason and the rejected share per target script.
Baseline in the same invocation: a length-ratio-only filter (ratio <= 3, the OpusFilter default),
the classic minimal bitext cleaner. Throughput is pairs/s of BitextRulesStage in this one process.

Run: ``.venv/bin/python bench/bitext_eval.py [--per-direction 200] [--no-write]``
"""

from __future__ import annotations

import argparse
import random
import re
import sys
import time
from collections import Counter
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from bench._common import DATA, command_line, cpu_model, md_table, now, update_results  # noqa: E402
from curation import schema  # noqa: E402
from curation.io.bitext_schema import from_rows  # noqa: E402
from filters.bitext_rules import BitextRulesStage  # noqa: E402
from filters.bitext_signals import length_ratio  # noqa: E402
from pipelines.parallel_config import BitextRulesConfig  # noqa: E402

FLORES_FILES = {
    "en": "eng_Latn", "zh": "zho_Hans", "ar": "arb_Arab", "de": "deu_Latn", "es": "spa_Latn", "fr": "fra_Latn",
    "ko": "kor_Hang", "ja": "jpn_Jpan", "pt": "por_Latn", "tr": "tur_Latn", "bn": "ben_Beng", "he": "heb_Hebr",
    "id": "ind_Latn", "it": "ita_Latn", "ms": "zsm_Latn", "nl": "nld_Latn", "pl": "pol_Latn", "ru": "rus_Cyrl",
    "th": "tha_Thai", "uk": "ukr_Cyrl", "ur": "urd_Arab", "vi": "vie_Latn", "cs": "ces_Latn", "el": "ell_Grek",
    "hu": "hun_Latn", "kk": "kaz_Cyrl", "ro": "ron_Latn", "az": "azj_Latn", "ne": "npi_Deva",
}
NO_SPACES = {"zh", "ja", "th"}
KINDS = ["shuffled", "truncated", "wrong_language", "source_copied", "numbers_altered", "boilerplate"]
Pair = tuple[str, str, str, str]  # src_lang, tgt_lang, src, tgt


def load_flores() -> dict[str, list[str]]:
    root = DATA / "flores200"
    return {lang: (root / f"{name}.devtest").read_text(encoding="utf-8").splitlines()
            for lang, name in FLORES_FILES.items()}


def directions(rng: random.Random) -> list[tuple[str, str]]:
    others = [lang for lang in FLORES_FILES if lang != "en"]
    dirs = [("en", x) for x in others] + [(x, "en") for x in others]
    for x in others:  # one non-English direction per language, as many as English-centric ones
        y = rng.choice([o for o in others if o != x])
        dirs += [(x, y), (y, x)]
    return dirs


def positives(flores: dict[str, list[str]], per_dir: int, rng: random.Random) -> list[tuple[Pair, int]]:
    out = []
    for s, t in directions(rng):
        for i in rng.sample(range(len(flores["en"])), per_dir):
            out.append(((s, t, flores[s][i], flores[t][i]), i))
    return out


def truncate(text: str, lang: str, rng: random.Random) -> str:
    cut = int(len(text) * rng.uniform(0.2, 0.6))
    if lang not in NO_SPACES:
        space = text.rfind(" ", 0, cut)
        cut = space if space > 0 else cut
    return text[:max(cut, 1)].rstrip()


_DIGIT = re.compile(r"\d")


def alter_number(text: str, rng: random.Random) -> str | None:
    spots = [m.start() for m in _DIGIT.finditer(text) if text[m.start()].isascii()]
    if not spots:
        return None
    i = rng.choice(spots)
    new = str((int(text[i]) + rng.randint(1, 9)) % 10)
    return text[:i] + new + text[i + 1:]


def _some_words(text: str, lang: str, n: int, rng: random.Random) -> list[str]:
    from filters.words import words

    ws = [w for w in words(text, lang) if len(w) > 1] or words(text, lang) or [text[:10]]
    start = rng.randrange(max(1, len(ws) - n))
    return ws[start:start + n]


def boilerplate(text: str, lang: str, style: int, rng: random.Random) -> str:
    w = _some_words(text, lang, rng.randint(4, 6), rng)
    year, num = rng.randint(2005, 2024), rng.randint(2, 40)
    styles = [
        lambda: " | ".join(w),                                           # navigation menu
        lambda: " > ".join(w),                                           # breadcrumb
        lambda: f"« {w[0]} 1 2 3 … {num} {w[-1]} »",                     # pagination
        lambda: f"{' '.join(w[:3])}: https://example.com/{'-'.join(w[:2]).lower()}?ref=share",  # share link
        lambda: f"{{{{ {w[0]} }}}} {' '.join(w[1:])}",                   # template residue
        lambda: f"<br>{' '.join(w)}&nbsp;",                              # HTML residue
        lambda: f"{year}-0{rng.randint(1, 9)}-1{rng.randint(0, 9)} 10:{num:02d} | {w[0]} | {len(w) * 7} {w[-1]}",
        lambda: f"© {year} {' '.join(w[:2])} | {' | '.join(w[2:])}",     # copyright footer
    ]
    return styles[style % len(styles)]()


def negatives(pos: list[tuple[Pair, int]], flores: dict[str, list[str]], rng: random.Random) -> dict[str, list[Pair]]:
    neg: dict[str, list[Pair]] = {k: [] for k in KINDS}
    n_lines = len(flores["en"])
    for k, ((s, t, a, b), i) in enumerate(pos):
        j = rng.choice([x for x in range(n_lines) if x != i] if n_lines > 1 else [i])
        neg["shuffled"].append((s, t, a, flores[t][j]))
        neg["truncated"].append((s, t, a, truncate(b, t, rng)))
        if k % 2:
            neg["wrong_language"].append((s, t, b, a))
        else:
            third = rng.choice([x for x in FLORES_FILES if x not in (s, t)])
            neg["wrong_language"].append((s, t, a, flores[third][i]))
        sep = "" if t in NO_SPACES else " "
        neg["source_copied"].append((s, t, a, [a, b + sep + a, a + sep + b][k % 3]))
        altered = alter_number(b, rng) if _DIGIT.search(a) else None
        if altered is not None:
            neg["numbers_altered"].append((s, t, a, altered))
        neg["boilerplate"].append((s, t, boilerplate(a, s, k, rng), boilerplate(b, t, k, rng)))
    return neg


def to_table(pairs: list[Pair]):  # type: ignore[no-untyped-def]
    rows = [{"id": str(i), "source": "bench", "src_lang": s, "tgt_lang": t, "pair": f"{s}-{t}", "src": a,
             "tgt": b, schema.UNIT_ID: "bench", schema.RECORD_INDEX: i} for i, (s, t, a, b) in enumerate(pairs)]
    return from_rows(rows)


def run_rules(stage: BitextRulesStage, pairs: list[Pair]) -> tuple[list[str | None], float]:
    """Reject reasons and the CPU seconds this process spent (the machine is shared: wall time lies)."""
    table = to_table(pairs)
    t0 = time.process_time()
    reasons: list[str | None] = []
    for start in range(0, table.num_rows, stage.batch_size):
        reasons += stage(table.slice(start, stage.batch_size)).column("reject_reason").to_pylist()
    return reasons, time.process_time() - t0


def baseline(pairs: list[Pair]) -> list[bool]:
    return [length_ratio(a, b, s, t) > 3.0 for s, t, a, b in pairs]


def top(reasons: list[str | None], n: int = 3) -> str:
    c = Counter(r for r in reasons if r)
    return ", ".join(f"{r} {v}" for r, v in c.most_common(n)) or "-"


SCRIPTS = {"Latin": "en de es fr pt tr id it ms nl pl vi cs hu ro az", "CJK/Thai": "zh ja ko th",
           "Cyrillic/Greek": "ru uk kk el", "Arabic/Hebrew": "ar ur he", "Brahmic": "bn ne"}


def kind_table(kind: str, pairs: list[Pair], reasons: list[str | None]) -> str:
    """One set's table: pairs rejected by each reason, then the rejected share per target script."""
    n = len(pairs)
    counts = Counter(r for r in reasons if r)
    rows = [[r, c, f"{c / n:.2%}"] for r, c in counts.most_common()] or [["(none)", 0, "0.00%"]]
    for name, langs in SCRIPTS.items():
        idx = [i for i, p in enumerate(pairs) if p[1] in langs.split()]
        if idx:
            bad = sum(reasons[i] is not None for i in idx)
            rows.append([f"all reasons, target {name}", f"{bad}/{len(idx)}", f"{bad / len(idx):.1%}"])
    return f"**{kind}** ({n} pairs)\n\n" + md_table(["reason", "pairs", "share of the set"], rows)


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--per-direction", type=int, default=200, help="FLORES lines per direction")
    ap.add_argument("--seed", type=int, default=0)
    ap.add_argument("--no-write", action="store_true", help="print only; leave bench/RESULTS.md alone")
    args = ap.parse_args()
    rng = random.Random(args.seed)
    flores = load_flores()
    pos = positives(flores, args.per_direction, rng)
    neg = negatives(pos, flores, rng)
    stage = BitextRulesStage(BitextRulesConfig())
    stage.setup()
    stage._ready = True
    pos_pairs = [p for p, _ in pos]
    t_base = time.process_time()
    for s, t, a, b in pos_pairs:
        length_ratio(a, b, s, t)
    base_rate = len(pos_pairs) / max(time.process_time() - t_base, 1e-9)
    reasons, secs = run_rules(stage, pos_pairs)
    total_pairs, total_secs = len(pos_pairs), secs
    kept = sum(r is None for r in reasons) / len(reasons)
    base_kept = 1 - sum(baseline(pos_pairs)) / len(pos_pairs)
    rows = [["positives (kept)", len(pos_pairs), f"{kept:.1%}", f"{base_kept:.1%}", "≥ 97% kept",
             "ok" if kept >= 0.97 else "MISSED", top(reasons)]]
    ok = kept >= 0.97
    per_lang = Counter()
    for (s, t, _, _), r in zip(pos_pairs, reasons):
        if r:
            per_lang[f"{s}-{t}"] += 1
    details = [kind_table("positives", pos_pairs, reasons)]
    for kind in KINDS:
        pairs = neg[kind]
        reasons, secs = run_rules(stage, pairs)
        details.append(kind_table(kind, pairs, reasons))
        total_pairs, total_secs = total_pairs + len(pairs), total_secs + secs
        rate = sum(r is not None for r in reasons) / len(pairs)
        base = sum(baseline(pairs)) / len(pairs)
        target = "(embedding only)" if kind == "shuffled" else "≥ 90% rejected"
        met = "-" if kind == "shuffled" else ("ok" if rate >= 0.9 else "MISSED")
        ok = ok and met != "MISSED"
        rows.append([f"{kind} (rejected)", len(pairs), f"{rate:.1%}", f"{base:.1%}", target, met, top(reasons)])
    rate = total_pairs / total_secs
    table = md_table(["set", "pairs", "rules", "length-ratio baseline", "target", "met", "top reasons"], rows)
    worst = ", ".join(f"{d} {n}" for d, n in per_lang.most_common(5)) or "-"
    body = (f"Date: {now()}. Machine: {cpu_model()}, one process (one core).\n"
            f"Command: `{command_line()}`\n\n"
            f"FLORES-200 devtest, {len(directions(random.Random(args.seed)))} directions × {args.per_direction} "
            f"lines; negatives built from the same pairs (see the script's docstring).\n\n{table}\n\n"
            f"Rule throughput (BitextRulesStage incl. fastText LID of both sides, CPU time of this process): "
            f"**{rate:,.0f} pairs/s per core** over {total_pairs:,} pairs; the length-ratio baseline alone: "
            f"{base_rate:,.0f} pairs/s (ratio {rate / base_rate:.3f}).\n"
            f"Positive directions losing most pairs: {worst}.\n\n"
            "Per set: every reason that rejected pairs (the first failing rule of each pair), and the "
            "rejected share by script of the target side.\n\n" + "\n\n".join(details) + "\n")
    print(body)
    if not args.no_write:
        update_results("Bitext rules on FLORES-200 (issue 6)", body)
    return 0 if ok else 1


if __name__ == "__main__":
    sys.exit(main())
