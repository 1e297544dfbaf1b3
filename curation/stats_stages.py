"""Which pipeline stage set a reject reason: the rows of the filter funnel.

Reasons come from many filters written by different people and grow over time, so the map is an
exact table of the reasons we know plus prefix/keyword rules for the families each filter uses
(``url_*``, ``extract_*``, ``language_*``, ``quality_*``, ``perplexity_*``, dedup reasons);
anything else lands in ``other`` instead of failing.
"""

from __future__ import annotations

# Funnel order (DESIGN.md data flow); ``other`` = a reason no rule knows; ``kept`` = survivors.
STAGES = ["reader", "url", "extract", "langid", "quality", "perplexity", "dedup", "other"]
KEPT = "kept"

_EXACT = {
    # curation/io/warc.py and curation/io/payload.py
    "input_error": "reader", "input_empty": "reader", "revisit_record": "reader",
    "no_http_headers": "reader", "http_status": "reader", "payload_too_large": "reader",
    "content_encoding_error": "reader", "unsupported_content_encoding": "reader",
    "non_html": "reader", "empty_payload": "reader", "conversion_record": "reader",
    # dedup/ (issue 5)
    "near_duplicate": "dedup", "exact_duplicate": "dedup", "substring_dedup_short": "dedup",
}

# (prefix, stage), first match wins.
_PREFIXES = [
    ("url", "url"), ("extract", "extract"), ("language", "langid"), ("langid", "langid"),
    ("quality", "quality"), ("perplexity", "perplexity"), ("ppl", "perplexity"),
    ("dedup", "dedup"), ("minhash", "dedup"), ("substring", "dedup"), ("dup", "dedup"),
]


def stage_of(reason: object) -> str:
    """The funnel stage of a reject reason (``kept`` for None, ``other`` when unknown)."""
    if not isinstance(reason, str) or not reason:
        return KEPT
    r = reason.strip().lower()
    if r in _EXACT:
        return _EXACT[r]
    for prefix, stage in _PREFIXES:
        if r.startswith(prefix):
            return stage
    if "duplicate" in r:
        return "dedup"
    return "other"


def stage_order(stage: str) -> int:
    """Sort key: funnel order, ``kept`` last."""
    return STAGES.index(stage) if stage in STAGES else len(STAGES)
