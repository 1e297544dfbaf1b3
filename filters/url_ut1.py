"""The UT1 URL blacklists, as shipped inside the datatrove wheel, for the URL filter.

UT1 (Université Toulouse 1 Capitole, https://dsi.ut-capitole.fr/blacklists/, CC BY-SA 4.0)
is the list FineWeb filters with. ``datatrove==0.10.1`` ships a merged copy of it as
``datatrove/assets/url_filterblacklistsv0_3_0.tar.gz`` with two files and no categories:
``domains`` (4.56 million domains: adult, plus phishing/malware look-alikes such as
``paypal-...`` hosts, and the ``adult``/``porn``/``sex``/``xxx`` top-level domains) and
``urls`` (19.6 thousand ``host/path`` entries). Its hits therefore get one reason,
``url_blocklist``.

Four and a half million domains as a Python ``set`` cost ~450 MB in every worker, so the
build step (``scripts/setup.d/31-url-lists.sh``) stores each domain as a 64-bit BLAKE2b hash
in one sorted NumPy array (36 MB, memory-mapped, shared by all workers through the page
cache). A lookup hashes each suffix of the host (``a.b.example.com``, ``b.example.com``,
``example.com``, ``com``) and binary-searches them; a false hit needs a 64-bit collision
(probability ~2.5e-13 per lookup).

Usage: ``python -m filters.url_ut1 --wheel datatrove-0.10.1-py3-none-any.whl [--out DIR]``
"""

from __future__ import annotations

import argparse
import hashlib
import io
import json
import os
import sys
import tarfile
import zipfile
from collections.abc import Iterable, Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import IO, Any

import numpy as np

from curation.assets import asset_dir

DATATROVE_VERSION = "0.10.1"
WHEEL_MEMBER = "datatrove/assets/url_filterblacklistsv0_3_0.tar.gz"
DOMAINS_FILE = "ut1_domains.npy"
URLS_FILE = "ut1_urls.txt"
MANIFEST = "ut1.json"
BUILD_VERSION = 1
README = f"""# UT1 URL blacklists (built by scripts/setup.d/31-url-lists.sh)

Source: the UT1 blacklists of Université Toulouse 1 Capitole (https://dsi.ut-capitole.fr/blacklists/),
as merged and shipped by the datatrove {DATATROVE_VERSION} wheel (PyPI) in `{WHEEL_MEMBER}`
(files `domains` and `urls`; datatrove does not keep the UT1 categories apart).
Licence: CC BY-SA 4.0 (UT1). Not committed to git: rebuilt by the set-up step.

- `{DOMAINS_FILE}`: sorted unique uint64, the first 8 bytes (little-endian) of BLAKE2b of each
  lower-cased domain (filters/url_ut1.py, `domain_hash`); a URL is blocked when its host or a
  parent domain of it is in the list.
- `{URLS_FILE}`: `host/path` entries; a URL is blocked when its host and path start with one.
- `{MANIFEST}`: counts, the wheel's SHA-256 and the build version.
"""


def domain_hash(domain: str) -> int:
    """Stable 64-bit key of a lower-case domain (Python's ``hash`` differs per process)."""
    return int.from_bytes(hashlib.blake2b(domain.encode("utf-8"), digest_size=8).digest(), "little")


def _suffixes(host: str) -> list[str]:
    parts = host.split(".")
    return [".".join(parts[i:]) for i in range(len(parts))]


def _lines(stream: IO[bytes]) -> Iterator[str]:
    for raw in io.TextIOWrapper(stream, encoding="utf-8", errors="replace"):
        entry = raw.strip().lower().rstrip(".")
        if entry and not entry.startswith("#"):
            yield entry


def hash_domains(domains: Iterable[str]) -> np.ndarray:
    keys = np.fromiter((domain_hash(d) for d in domains), dtype=np.uint64)
    return np.unique(keys)


@dataclass
class Ut1Lists:
    """Loaded lists; :meth:`check` takes a host (already lower-case) and a lower-case path."""

    domains: np.ndarray
    urls: dict[str, tuple[str, ...]] = field(default_factory=dict)  # host -> path prefixes

    @classmethod
    def load(cls, folder: Path) -> Ut1Lists:
        domains = np.load(folder / DOMAINS_FILE, mmap_mode="r")
        if domains.dtype != np.uint64 or domains.ndim != 1:
            raise ValueError(f"{folder / DOMAINS_FILE}: expected a 1-d uint64 array, got {domains.dtype}")
        urls: dict[str, list[str]] = {}
        for entry in (folder / URLS_FILE).read_text(encoding="utf-8").splitlines():
            host, slash, path = entry.partition("/")
            if host:
                urls.setdefault(host, []).append(slash + path)
        return cls(domains, {h: tuple(p) for h, p in urls.items()})

    def blocked_domain(self, host: str) -> str | None:
        """The host or parent domain of ``host`` that is listed, else None."""
        if not host or not len(self.domains):
            return None
        suffixes = _suffixes(host)
        keys = np.array([domain_hash(s) for s in suffixes], dtype=np.uint64)
        idx = np.minimum(np.searchsorted(self.domains, keys), len(self.domains) - 1)
        hits = np.nonzero(self.domains[idx] == keys)[0]
        return suffixes[int(hits[0])] if len(hits) else None

    def blocked_url(self, host: str, path: str) -> str | None:
        """The listed ``host/path`` prefix that the URL starts with, else None."""
        for h in (host, host.removeprefix("www.")):
            for prefix in self.urls.get(h, ()):
                if path.startswith(prefix):
                    return h + prefix
        return None


def default_dir() -> Path:
    return asset_dir("urls")


def built(folder: Path) -> bool:
    meta = folder / MANIFEST
    if not all((folder / f).exists() for f in (DOMAINS_FILE, URLS_FILE, meta)):
        return False
    try:
        return json.loads(meta.read_text(encoding="utf-8")).get("build_version") == BUILD_VERSION
    except ValueError:
        return False


def build_from_tarball(tar: IO[bytes], out: Path) -> dict[str, Any]:
    """Write the lists of a ``domains``/``urls`` tarball into ``out`` (atomically per file)."""
    out.mkdir(parents=True, exist_ok=True)
    counts: dict[str, Any] = {}
    with tarfile.open(fileobj=tar, mode="r:gz") as archive:
        names = {Path(m.name).name: m for m in archive.getmembers() if m.isfile()}
        if "domains" not in names or "urls" not in names:
            raise ValueError(f"UT1 tarball without 'domains' and 'urls' files (has {sorted(names)})")
        stream = archive.extractfile(names["domains"])
        assert stream is not None
        keys = hash_domains(_lines(stream))
        counts["domains"] = int(len(keys))
        tmp = out / (DOMAINS_FILE + ".partial.npy")
        np.save(tmp, keys)
        os.replace(tmp, out / DOMAINS_FILE)
        stream = archive.extractfile(names["urls"])
        assert stream is not None
        urls = sorted(set(_lines(stream)))
        counts["urls"] = len(urls)
        (out / (URLS_FILE + ".partial")).write_text("\n".join(urls) + "\n", encoding="utf-8")
        os.replace(out / (URLS_FILE + ".partial"), out / URLS_FILE)
    return counts


def build_from_wheel(wheel: Path, out: Path) -> dict[str, Any]:
    with zipfile.ZipFile(wheel) as zf, zf.open(WHEEL_MEMBER) as member:
        data = io.BytesIO(member.read())
    counts = build_from_tarball(data, out)
    manifest = {"build_version": BUILD_VERSION, "source": f"datatrove=={DATATROVE_VERSION} {WHEEL_MEMBER}",
                "wheel_sha256": hashlib.sha256(wheel.read_bytes()).hexdigest(), "licence": "CC BY-SA 4.0 (UT1)",
                **counts}
    (out / "README.md").write_text(README, encoding="utf-8")
    (out / MANIFEST).write_text(json.dumps(manifest, indent=1), encoding="utf-8")
    return manifest


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--wheel", type=Path, help=f"datatrove-{DATATROVE_VERSION}-py3-none-any.whl")
    ap.add_argument("--out", type=Path, default=None, help="default: asset_dir('urls')")
    ap.add_argument("--if-missing", action="store_true", help="exit 0 when the lists are built, 1 when not")
    args = ap.parse_args(argv)
    out = args.out or default_dir()
    if args.if_missing:
        return 0 if built(out) else 1
    if args.wheel is None or not args.wheel.exists():
        print(f"url lists: datatrove wheel not found: {args.wheel}", file=sys.stderr)
        return 2
    manifest = build_from_wheel(args.wheel, out)
    print(f"url lists: UT1 {manifest['domains']:,} domains, {manifest['urls']:,} urls -> {out}", file=sys.stderr)
    return 0


if __name__ == "__main__":
    sys.exit(main())
