"""Input locations: local paths and globs, or any fsspec URL (s3://, gs://, https://)."""

from __future__ import annotations

import glob
import os
from typing import IO

import fsspec


class InputError(Exception):
    """An input that cannot be found or opened."""


def is_url(path: str) -> bool:
    return "://" in path and not path.startswith("file://")


def expand_inputs(patterns: list[str]) -> list[str]:
    """Resolve globs to a sorted, de-duplicated list; a pattern that matches nothing is an error."""
    found: list[str] = []
    for pattern in patterns:
        if is_url(pattern):
            fs, _, paths = fsspec.get_fs_token_paths(pattern)
            matches = sorted(fs.unstrip_protocol(p) for p in paths if not fs.isdir(p))
        else:
            local = pattern.removeprefix("file://")
            matches = sorted(glob.glob(os.path.expanduser(local))) if glob.has_magic(local) else (
                [local] if os.path.exists(os.path.expanduser(local)) else [])
            matches = [os.path.abspath(os.path.expanduser(m)) for m in matches if not os.path.isdir(m)]
        if not matches:
            raise InputError(f"input not found: {pattern}")
        found.extend(matches)
    return sorted(dict.fromkeys(found))


def open_input(uri: str) -> IO[bytes]:
    if is_url(uri):
        return fsspec.open(uri, "rb").open()
    return open(uri.removeprefix("file://"), "rb")
