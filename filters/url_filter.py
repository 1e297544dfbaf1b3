"""URL filter: domain/URL blocklists, banned words in URLs, an allow-list override.

It needs only the URL, so it runs before extraction and no CPU is spent extracting a blocked
page (Marco-LLM 3.1.1: fraudulent and adult sites, pornographic, violent, gambling). The
hand-curated lists live in ``filters/assets/urls`` (see its README for sources and format) and
are always used; the UT1 blacklists (4.56 million domains, :mod:`filters.url_ut1`) are added
when built by ``scripts/setup.d/31-url-lists.sh``.
"""

from __future__ import annotations

import logging
import re
from dataclasses import dataclass, field
from pathlib import Path
from urllib.parse import unquote, urlsplit

import pyarrow as pa

from curation.config import UrlFilterConfig
from curation.stage import Resources, Stage, active_mask, reject
from filters.url_ut1 import Ut1Lists, built
from filters.url_ut1 import default_dir as ut1_default_dir

ASSETS = Path(__file__).resolve().parent / "assets" / "urls"
# Blocklist file -> reject reason, checked in this order.
CATEGORIES = {"adult": "url_adult", "gambling": "url_gambling", "fraud": "url_fraud", "violence": "url_violence"}
BANNED_WORD_REASON = "url_banned_word"
UT1_REASON = "url_blocklist"  # datatrove's UT1 copy merges its categories, so one reason
log = logging.getLogger(__name__)
_TOKEN = re.compile(r"[^\W\d_]+|\d+")  # runs of letters, runs of digits (splits "xxx69", "bet365")


def _entries(path: Path) -> list[str]:
    out = []
    for line in path.read_text(encoding="utf-8").splitlines():
        line = line.split("#", 1)[0].strip().lower()
        if line:
            out.append(line)
    return out


def url_tokens(url: str) -> list[str]:
    """Lower-cased letter runs and digit runs of the percent-decoded URL."""
    return _TOKEN.findall(unquote(url).lower())


def host_of(url: str) -> str:
    """Lower-case host without port, user info or trailing dot ('' when there is none)."""
    try:
        host = urlsplit(url if "//" in url else "//" + url).hostname or ""
    except ValueError:
        return ""
    return host.rstrip(".")


def _path_of(url: str) -> str:
    """Lower-case path plus ``?query`` ('' when the URL has no scheme or cannot be parsed)."""
    if "//" not in url:
        return ""
    try:
        parts = urlsplit(url)
    except ValueError:
        return ""
    return (parts.path + ("?" + parts.query if parts.query else "")).lower()


def _domain_suffixes(host: str) -> list[str]:
    parts = host.split(".")
    return [".".join(parts[i:]) for i in range(len(parts))]


@dataclass
class UrlRules:
    """The loaded lists; :meth:`check` is the pure per-URL function."""

    domains: dict[str, str] = field(default_factory=dict)                 # domain -> reason
    prefixes: list[tuple[str, str, str]] = field(default_factory=list)    # (domain, path prefix, reason)
    words: dict[str, str] = field(default_factory=dict)                   # whole-token word -> category
    substrings: dict[str, str] = field(default_factory=dict)              # in-token word -> category
    allow: set[str] = field(default_factory=set)
    ut1: Ut1Lists | None = None

    @classmethod
    def load(cls, folder: Path = ASSETS, extra_allow: list[str] | None = None,
             banned_words: bool = True) -> UrlRules:
        rules = cls()
        for name, reason in CATEGORIES.items():
            path = folder / f"{name}.txt"
            if not path.exists():
                raise FileNotFoundError(f"URL blocklist missing: {path}")
            for entry in _entries(path):
                domain, _, rest = entry.partition("/")
                if rest:
                    rules.prefixes.append((domain, "/" + rest, reason))
                else:
                    rules.domains.setdefault(domain, reason)
        if banned_words:
            for entry in _entries(folder / "banned_words.txt"):
                parts = entry.split()
                if len(parts) not in (2, 3) or parts[0] not in CATEGORIES or parts[2:] not in ([], ["substring"]):
                    raise ValueError(f"{folder / 'banned_words.txt'}: bad line {entry!r}")
                (rules.substrings if parts[2:] else rules.words)[parts[1]] = parts[0]
        allow_file = folder / "allow.txt"
        rules.allow = set(_entries(allow_file)) if allow_file.exists() else set()
        rules.allow |= {d.lower() for d in extra_allow or []}
        return rules

    def check(self, url: str | None) -> tuple[str, str] | None:
        """(reason, detail) for a blocked URL, None when it passes (or has no URL)."""
        if not url:
            return None
        host = host_of(url)
        suffixes = _domain_suffixes(host) if host else []
        if any(s in self.allow for s in suffixes):
            return None
        for s in suffixes:
            if s in self.domains:
                return self.domains[s], f"domain {s}"
        if self.ut1 is not None and (listed := self.ut1.blocked_domain(host)):
            return UT1_REASON, f"ut1 domain {listed}"
        path = _path_of(url)
        for domain, prefix, reason in self.prefixes:
            if domain in suffixes and path.startswith(prefix):
                return reason, f"url {domain}{prefix}"
        if self.ut1 is not None and host and (entry := self.ut1.blocked_url(host, path)):
            return UT1_REASON, f"ut1 url {entry}"
        if "@" in url.split("//", 1)[-1].split("/", 1)[0]:
            return "url_fraud", "user info before the host (disguised destination)"
        for token in url_tokens(url):
            if token in self.words:
                return BANNED_WORD_REASON, f"{self.words[token]}: {token}"
            for word, category in self.substrings.items():
                if word in token:
                    return BANNED_WORD_REASON, f"{category}: {word} in {token}"
        return None


class UrlFilterStage(Stage):
    name = "url_filter"
    resources = Resources(cpus=0.25, memory_mb=256)
    _unpicklable = ("_rules",)

    def __init__(self, cfg: UrlFilterConfig) -> None:
        super().__init__()
        self.cfg = cfg
        self.batch_size = cfg.batch_size
        self._rules: UrlRules | None = None

    def setup(self) -> None:
        folder = Path(self.cfg.lists_dir) if self.cfg.lists_dir else ASSETS
        self._rules = UrlRules.load(folder, self.cfg.allow_domains, self.cfg.banned_words)
        if self.cfg.ut1:
            ut1 = Path(self.cfg.ut1_dir) if self.cfg.ut1_dir else ut1_default_dir()
            if built(ut1):
                self._rules.ut1 = Ut1Lists.load(ut1)
            elif self.cfg.ut1_dir:
                raise FileNotFoundError(f"url_filter.ut1_dir has no built UT1 lists: {ut1}")
            else:  # the hand-curated lists are the always-present fallback
                log.warning("UT1 URL lists not built at %s (scripts/setup.d/31-url-lists.sh); "
                            "using the hand-curated lists only", ut1)

    def process(self, batch: pa.Table) -> pa.Table:
        assert self._rules is not None
        urls = batch.column("url").to_pylist()
        reasons: list[str | None] = [None] * batch.num_rows
        details: list[str | None] = [None] * batch.num_rows
        for i, (url, ok) in enumerate(zip(urls, active_mask(batch))):
            hit = self._rules.check(url) if ok else None
            if hit is not None:
                reasons[i], details[i] = hit
        return reject(batch, reasons, details)
