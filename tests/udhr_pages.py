"""The UDHR pages of the 29 languages in shared/data (file stem -> ISO 639-1), and a WARC of them."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

from warcio.archiveiterator import ArchiveIterator

# Standard-orthography versions only (dialect transcriptions such as cmn_hans_beijing are left out).
UDHR_29 = {"arb": "ar", "azj_latn": "az", "ben": "bn", "ces": "cs", "deu_1996": "de", "deu_1901": "de",
           "ell_monotonic": "el", "eng": "en", "spa": "es", "fra": "fr", "heb": "he", "hun": "hu", "ind": "id",
           "ita": "it", "jpn": "ja", "kaz": "kk", "kor": "ko", "mly_latn": "ms", "nep": "ne", "nld": "nl",
           "pol": "pl", "por_BR": "pt", "por_PT": "pt", "ron_2006": "ro", "ron_1993": "ro", "rus": "ru",
           "tha": "th", "tur": "tr", "ukr": "uk", "urd": "ur", "vie": "vi", "cmn_hans": "zh", "cmn_hant": "zh"}


def url_language(url: str) -> str | None:
    return UDHR_29.get(url.rsplit("/", 1)[-1].removesuffix(".html"))


def copy_records(src: Path, keep: Callable[[int, str], bool], dest: Path) -> Path:
    """Copy the response records for which ``keep(index, url)`` holds, byte for byte (the
    pages-*.warc.gz files are one gzip member per record), into ``dest``."""
    spans: list[tuple[int, int]] = []
    with open(src, "rb") as fh:
        it = ArchiveIterator(fh)
        index = 0
        for record in it:
            url = record.rec_headers.get_header("WARC-Target-URI") or ""
            record.content_stream().read()
            if record.rec_type == "response":
                if keep(index, url):
                    spans.append((it.get_record_offset(), it.get_record_length()))
                index += 1
    with open(src, "rb") as fh, open(dest, "wb") as out:
        for offset, length in spans:
            fh.seek(offset)
            out.write(fh.read(length))
    return dest


def udhr_29_warc(warc_dir: Path, dest: Path) -> Path:
    """The UDHR-29 pages of pages-udhr.warc.gz as their own WARC file."""
    return copy_records(warc_dir / "pages-udhr.warc.gz", lambda _i, url: url_language(url) is not None, dest)
