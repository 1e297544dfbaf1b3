"""A child-process entry point for tests of curation.child: misbehaves on request."""

from __future__ import annotations

import os
import time
from collections.abc import Callable

from curation.child import serve


def make(_: object) -> Callable[[str], str]:
    def handle(item: str) -> str:
        if item == "hang":
            time.sleep(3600)
        if item == "nap":  # slow on the wall clock, as on a loaded node, but computes nothing
            time.sleep(1.5)
        if item == "die":
            os._exit(3)
        if item == "raise":
            raise ValueError("bad item")
        if item == "hog":
            bytearray(8 << 30)  # far above the child's memory limit
        return item.upper()

    return handle


if __name__ == "__main__":
    serve(make)
