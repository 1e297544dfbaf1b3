"""Entry point of the extraction child process (see curation.child)."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from curation.child import serve


def make_extractor(options: dict[str, Any]) -> Callable[[str | bytes], str | None]:
    """``options`` as built by :func:`filters.extract.child_options`."""
    import trafilatura

    if options["accelerate_selectors"]:
        from filters.trafilatura_accel import install

        install()
    kwargs = options["trafilatura"]

    def extract(html: str | bytes) -> str | None:
        # Bytes are the UTF-8 of an Arrow string column: decoded here, never by trafilatura's
        # own charset guessing, so it sees the text the reader decoded.
        if isinstance(html, bytes):
            html = html.decode("utf-8")
        return trafilatura.extract(html, **kwargs)

    return extract


if __name__ == "__main__":
    serve(make_extractor)
