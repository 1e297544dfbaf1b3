"""Readers for sentence-pair files: Moses (``corpus.xx`` + ``corpus.yy``), TSV, TMX and Parquet.

One input file is one work unit (for Moses, the source-side file; its partner is found beside
it). Language codes come from ``parallel.read.src_lang``/``tgt_lang`` or, when unset, from the
file names (``corpus.fra``, ``news.en-de.tsv``), TMX ``xml:lang`` attributes or Parquet columns,
and are normalised to ISO 639-1. Problems with a whole file (mismatched line counts, bad XML,
missing columns, unknown languages) become one ``input_error`` row with the cause; a bad line
becomes a ``malformed_pair`` row. Neither stops the job.
"""

from __future__ import annotations

import gzip
import io
import posixpath
import re
import xml.etree.ElementTree as ET
from collections.abc import Iterator
from typing import IO, Any

import fsspec
import pyarrow as pa
import pyarrow.parquet as pq

from curation import schema
from curation.io.bitext_schema import WINDOW, WINDOW_ROWS, from_rows
from curation.io.fs import is_url, open_input
from filters.language_names import normalise_code
from pipelines.parallel_config import BitextReadConfig

_XML_LANG = "{http://www.w3.org/XML/1998/namespace}lang"
_INLINE_CODES = {"bpt", "ept", "it", "ph", "ut"}  # TMX markup whose content is formatting code
# "xx-yy" (or "xxx_Scrp-yyy_Scrp") at a name boundary: news.en-de.tsv, eng-fra, de-en.parquet.
_PAIR_IN_NAME = re.compile(r"(?:^|[._/-])([a-z]{2,3}(?:_[A-Za-z]{4})?)-([a-z]{2,3}(?:_[A-Za-z]{4})?)(?=[._/]|$)")


class BitextInputError(Exception):
    """A file that cannot be read as pairs; becomes one input_error row."""


def _strip_gz(name: str) -> str:
    return name[:-3] if name.endswith(".gz") else name


def detect_format(uri: str, cfg: BitextReadConfig) -> str:
    if cfg.format != "auto":
        return cfg.format
    name = _strip_gz(posixpath.basename(uri.rstrip("/"))).lower()
    for ext in ("tsv", "tmx", "parquet"):
        if name.endswith("." + ext):
            return ext
    return "moses"


def langs_from_name(uri: str) -> tuple[str, str] | None:
    """The last ``xx-yy`` in the file name, else in its folder name (``eng-fra/``)."""
    path = uri.split("://", 1)[-1]
    for part in (posixpath.basename(path), posixpath.basename(posixpath.dirname(path))):
        found = _PAIR_IN_NAME.findall(_strip_gz(part))
        if found:
            src, tgt = found[-1]
            return normalise_code(src), normalise_code(tgt)
    return None


def _open(uri: str) -> IO[bytes]:
    fh = open_input(uri)
    return gzip.open(fh) if uri.endswith(".gz") else fh  # type: ignore[return-value]


def _siblings(pattern: str) -> list[str]:
    fs, _ = fsspec.core.url_to_fs(pattern)
    found = fs.glob(pattern)
    return sorted(fs.unstrip_protocol(p) if is_url(pattern) else p for p in found)


def moses_partner(uri: str, cfg: BitextReadConfig) -> tuple[str, str, str]:
    """(target uri, src_lang, tgt_lang) for a Moses source file ``stem.xx[.gz]``."""
    gz = ".gz" if uri.endswith(".gz") else ""
    stem, dot, ext = _strip_gz(uri).rpartition(".")
    if not dot or "/" in ext:
        raise BitextInputError(f"{uri}: a Moses file is named <stem>.<lang> (e.g. corpus.en + corpus.fr)")
    src = normalise_code(cfg.src_lang or ext)
    candidates = []
    for other in _siblings(glob_escape(stem) + ".*"):
        if other.removeprefix("file://") == uri.removeprefix("file://"):
            continue
        code = _strip_gz(other)[len(stem) + 1:]
        if "." in code or not other.endswith(gz) or normalise_code(code) == normalise_code(ext):
            continue  # corpus.en.labels, a different compression, or the source itself
        candidates.append((other, normalise_code(code)))
    if cfg.tgt_lang:  # the file named for the configured language, else the only other file
        named = [(u, c) for u, c in candidates if c == normalise_code(cfg.tgt_lang)]
        candidates = named or candidates
    if len(candidates) != 1:
        what = f"'{stem}.<{cfg.tgt_lang}>'" if cfg.tgt_lang else f"exactly one '{stem}.<lang>'"
        found = ", ".join(u for u, _ in candidates) or "none"
        raise BitextInputError(f"{uri}: Moses target file not found: expected {what} beside it (found: {found})")
    tgt_uri, tgt = candidates[0]
    return tgt_uri, src, normalise_code(cfg.tgt_lang or tgt)


def glob_escape(path: str) -> str:
    return re.sub(r"([*?\[\]])", r"[\1]", path)


def _count_lines(uri: str) -> int:
    n = 0
    with _open(uri) as fh:
        for _ in fh:
            n += 1
    return n


def _decode(raw: bytes) -> str:
    return raw.rstrip(b"\r\n").decode("utf-8")


def _pair_row(uri: str, line: int, src_lang: str, tgt_lang: str, src: Any, tgt: Any) -> dict:
    return {"id": schema.stable_id(uri, str(line)), "source": uri, "line": line, "src_lang": src_lang,
            "tgt_lang": tgt_lang, "pair": f"{src_lang}-{tgt_lang}", "src": src, "tgt": tgt}


def _malformed(uri: str, line: int, src_lang: str | None, tgt_lang: str | None, detail: str) -> dict:
    row = _pair_row(uri, line, src_lang or "und", tgt_lang or "und", None, None)
    row.update(reject_reason="malformed_pair", reject_detail=detail[:500])
    return row


def _iter_moses(uri: str, cfg: BitextReadConfig) -> Iterator[dict]:
    tgt_uri, src_lang, tgt_lang = moses_partner(uri, cfg)
    n_src, n_tgt = _count_lines(uri), _count_lines(tgt_uri)
    if n_src != n_tgt:
        raise BitextInputError(f"mismatched line counts: {uri} has {n_src} lines, {tgt_uri} has {n_tgt}; "
                               "Moses files must be line-aligned")
    with _open(uri) as fs, _open(tgt_uri) as ft:
        for line, (a, b) in enumerate(zip(fs, ft)):
            try:
                yield _pair_row(uri, line, src_lang, tgt_lang, _decode(a), _decode(b))
            except UnicodeDecodeError as err:
                yield _malformed(uri, line, src_lang, tgt_lang, f"line {line + 1} is not UTF-8: {err}")


def _langs(uri: str, cfg: BitextReadConfig) -> tuple[str | None, str | None]:
    named = langs_from_name(uri)
    src = cfg.src_lang or (named[0] if named else None)
    tgt = cfg.tgt_lang or (named[1] if named else None)
    return (normalise_code(src) if src else None), (normalise_code(tgt) if tgt else None)


def _need_langs(uri: str, src: str | None, tgt: str | None) -> tuple[str, str]:
    if not src or not tgt:
        raise BitextInputError(f"{uri}: cannot tell the languages: set parallel.read.src_lang/tgt_lang or "
                               "name the file like corpus.en-fr.tsv")
    return src, tgt


def _iter_tsv(uri: str, cfg: BitextReadConfig) -> Iterator[dict]:
    src_lang, tgt_lang = _need_langs(uri, *_langs(uri, cfg))
    with _open(uri) as fh:
        for line, raw in enumerate(fh):
            try:
                fields = _decode(raw).split("\t")
            except UnicodeDecodeError as err:
                yield _malformed(uri, line, src_lang, tgt_lang, f"line {line + 1} is not UTF-8: {err}")
                continue
            if len(fields) < 2:
                yield _malformed(uri, line, src_lang, tgt_lang, f"line {line + 1} has no tab (src<TAB>tgt expected)")
                continue
            yield _pair_row(uri, line, src_lang, tgt_lang, fields[0], fields[1])


def _seg_text(seg: ET.Element) -> str:
    """Text of a TMX <seg>, leaving out inline formatting codes but keeping their tails."""
    parts = [seg.text or ""]
    for child in seg:
        if child.tag not in _INLINE_CODES:
            parts.append(_seg_text(child))
        parts.append(child.tail or "")
    return "".join(parts)


def _iter_tmx(uri: str, cfg: BitextReadConfig) -> Iterator[dict]:
    src_cfg, tgt_cfg = (normalise_code(c) if c else None for c in (cfg.src_lang, cfg.tgt_lang))
    header_src: str | None = None
    index = 0
    with _open(uri) as fh:
        for event, elem in ET.iterparse(fh, events=("start", "end")):
            if event == "start" and elem.tag == "header":
                declared = elem.get("srclang")
                header_src = normalise_code(declared) if declared and declared != "*all*" else None
            if event != "end" or elem.tag != "tu":
                continue
            segs: dict[str, str] = {}
            for tuv in elem.iter("tuv"):
                lang = tuv.get(_XML_LANG) or tuv.get("lang")
                seg = tuv.find("seg")
                if lang and seg is not None:
                    segs.setdefault(normalise_code(lang), _seg_text(seg))
            src = src_cfg or header_src or next(iter(segs), None)
            tgt = tgt_cfg or next((lang for lang in segs if lang != src), None)
            if src in segs and tgt in segs:
                yield _pair_row(uri, index, src, tgt, segs[src], segs[tgt])  # type: ignore[arg-type]
            else:
                yield _malformed(uri, index, src, tgt, f"translation unit {index + 1} lacks a {src} or {tgt} "
                                 f"segment (has: {', '.join(segs) or 'none'})")
            index += 1
            elem.clear()


def _iter_parquet(uri: str, cfg: BitextReadConfig) -> Iterator[dict]:
    with open_input(uri) as fh:
        pf = pq.ParquetFile(io.BytesIO(fh.read()) if is_url(uri) else fh)
        names = pf.schema_arrow.names
        if "src" not in names or "tgt" not in names:
            raise BitextInputError(f"{uri}: Parquet pairs need columns 'src' and 'tgt' (found: {', '.join(names)})")
        lang_cols = [c for c in ("src_lang", "tgt_lang") if c in names]
        src_lang, tgt_lang = _langs(uri, cfg)
        if len(lang_cols) < 2:
            src_lang, tgt_lang = _need_langs(uri, src_lang, tgt_lang)
        line = 0
        for batch in pf.iter_batches(columns=["src", "tgt", *lang_cols], batch_size=cfg.chunk_rows):
            for row in batch.to_pylist():
                s = normalise_code(row["src_lang"]) if row.get("src_lang") and not cfg.src_lang else src_lang
                t = normalise_code(row["tgt_lang"]) if row.get("tgt_lang") and not cfg.tgt_lang else tgt_lang
                if not s or not t:
                    yield _malformed(uri, line, s, t, f"row {line} has no src_lang/tgt_lang")
                else:
                    yield _pair_row(uri, line, s, t, row["src"], row["tgt"])
                line += 1


_READERS = {"moses": _iter_moses, "tsv": _iter_tsv, "tmx": _iter_tmx, "parquet": _iter_parquet}


def iter_pairs(uri: str, unit_id: str, cfg: BitextReadConfig) -> Iterator[dict]:
    """Yield one row per pair; a file-level problem ends the file with one input_error row."""
    index = 0
    try:
        for row in _READERS[detect_format(uri, cfg)](uri, cfg):
            row[schema.UNIT_ID], row[schema.RECORD_INDEX] = unit_id, index
            yield row
            index += 1
    except Exception as err:  # noqa: BLE001 - a broken input ends this file only, never the job
        cause = str(err) if isinstance(err, BitextInputError) else f"{type(err).__name__} after pair {index}: {err}"
        yield {"id": schema.stable_id(uri, f"input_error@{index}"), "source": uri, "reject_reason": "input_error",
               "reject_detail": cause[:500], schema.UNIT_ID: unit_id, schema.RECORD_INDEX: index}


def _text_bytes(row: dict) -> int:
    return sum(len(row[k].encode("utf-8")) for k in ("src", "tgt") if isinstance(row.get(k), str))


def _chunk(rows: list[dict], window: int) -> pa.Table:
    for row in rows:
        row[WINDOW], row[WINDOW_ROWS] = window, len(rows)
    return from_rows(rows)


def read_bitext_unit(uri: str, unit_id: str, cfg: BitextReadConfig) -> Iterator[pa.Table]:
    """Chunks of at most ``cfg.chunk_rows`` pairs and ``cfg.max_chunk_bytes`` of text.

    Chunks are cut from the data alone, so each is a LASER scoring window whose rows are the
    same under every runner (rows carry ``_window``/``_window_rows``). The last chunk's rows
    carry the unit total; it is never empty.
    """
    pending: list[dict] = []
    size = window = total = 0
    for row in iter_pairs(uri, unit_id, cfg):
        n = _text_bytes(row)
        if pending and (len(pending) >= cfg.chunk_rows or size + n > cfg.max_chunk_bytes):
            yield _chunk(pending, window)
            pending, size, window = [], 0, window + 1
        pending.append(row)
        size += n
        total += 1
    if total == 0:
        pending = [{"id": schema.stable_id(uri, "input_empty"), "source": uri, "reject_reason": "input_empty",
                    "reject_detail": "no pairs in the file", schema.UNIT_ID: unit_id, schema.RECORD_INDEX: 0}]
        total = 1
    for row in pending:
        row[schema.UNIT_TOTAL] = total
    yield _chunk(pending, window)
