"""Entry point of the extraction child process (see curation.child)."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from curation.child import serve


def make_extractor(options: dict[str, Any]) -> Callable[[str], str | None]:
    """``options`` as built by :func:`filters.extract.child_options`."""
    import trafilatura

    if options["accelerate_selectors"]:
        from filters.trafilatura_accel import install

        install()
    kwargs = options["trafilatura"]

    def extract(html: str) -> str | None:
        return trafilatura.extract(html, **kwargs)

    return extract


if __name__ == "__main__":
    serve(make_extractor)
