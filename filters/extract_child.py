"""Entry point of the extraction child process (see curation.child)."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from curation.child import serve


def make_extractor(options: dict[str, Any]) -> Callable[[str], str | None]:
    import trafilatura

    def extract(html: str) -> str | None:
        return trafilatura.extract(html, **options)

    return extract


if __name__ == "__main__":
    serve(make_extractor)
