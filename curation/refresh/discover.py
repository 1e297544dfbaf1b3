"""Find a night's input files: globs, a listing file, or an object-store prefix.

A listing is what Common Crawl publishes per crawl (``warc.paths.gz``): one path or URL per
line, gzip or plain; relative entries are joined to a prefix (``https://data.commoncrawl.org/``).
A prefix is walked with fsspec (``s3://bucket/crawl/``) and keeps names with a WARC suffix.
"""

from __future__ import annotations

import gzip
import os

import fsspec

from curation.io.fs import InputError, expand_inputs, is_url, open_input

MAX_LINE_BYTES = 8192  # a path or URL; read.max_url_chars is 8192 too
WARC_SUFFIXES = (".warc", ".warc.gz", ".wet", ".wet.gz", ".warc.wet.gz")


def read_listing(uri: str, prefix: str | None = None, max_lines: int = 10_000_000) -> list[str]:
    """Entries of a listing file; blank lines and ``#`` comments are skipped.

    Capped in lines and line length, so a hostile (or gzip-bomb) listing fails with a clear
    error instead of filling memory. 10M lines: a Common Crawl crawl lists ~100k WARCs.
    """
    try:
        with open_input(uri) as fh:
            head = fh.read(2)
            fh.seek(0)
            stream = gzip.open(fh) if head == b"\x1f\x8b" else fh
            lines = []
            for i in range(max_lines + 1):
                raw = stream.readline(MAX_LINE_BYTES + 1)  # a line cap: a gzip bomb stops here
                if not raw:
                    break
                if i == max_lines:
                    raise InputError(f"listing {uri}: more than {max_lines} lines")
                if len(raw) > MAX_LINE_BYTES:
                    raise InputError(f"listing {uri}: line {i + 1} longer than {MAX_LINE_BYTES} bytes")
                line = raw.decode("utf-8", "replace").strip()
                if line and not line.startswith("#"):
                    lines.append(line)
    except (OSError, EOFError) as err:
        raise InputError(f"cannot read listing {uri}: {err}") from None
    return [_resolve(line, prefix, uri) for line in lines]


def _resolve(entry: str, prefix: str | None, listing: str) -> str:
    if is_url(entry) or os.path.isabs(entry):
        return entry
    if prefix:
        return prefix.rstrip("/") + "/" + entry.lstrip("/")
    base = listing.rsplit("/", 1)[0] if is_url(listing) else os.path.dirname(os.path.abspath(listing))
    return base + "/" + entry if is_url(listing) else os.path.join(base, entry)


def walk_prefix(prefix: str, suffixes: tuple[str, ...] = WARC_SUFFIXES) -> list[str]:
    """Every file under an fsspec prefix (or local directory) whose name ends with a suffix."""
    fs, _, paths = fsspec.get_fs_token_paths(prefix)
    root = paths[0]
    if not fs.exists(root):
        raise InputError(f"prefix not found: {prefix}")
    found = [p for p in fs.find(root) if p.endswith(suffixes)]
    if is_url(prefix):
        return sorted(fs.unstrip_protocol(p) for p in found)
    return sorted(os.path.abspath(p) for p in found)


def discover(globs: list[str], listings: list[str], listing_prefix: str | None, prefixes: list[str]) -> list[str]:
    """All inputs, sorted and de-duplicated; an empty result is an error."""
    found: list[str] = []
    if globs:
        found += expand_inputs(globs)
    for listing in listings:
        found += read_listing(listing, listing_prefix)
    for prefix in prefixes:
        found += walk_prefix(prefix)
    found = [os.path.abspath(f) if not is_url(f) else f for f in found]
    if not found:
        raise InputError("no inputs: set input.paths, refresh.listings or refresh.prefixes")
    return sorted(dict.fromkeys(found))
