"""A model directory replaced whole, never file by file: built beside its target, published in one step.

A pipeline run that overlapped a rebuild in place loaded some languages' new models and others'
old ones, against thresholds made for one set. So ``<target>`` (e.g. ``asset_dir("kenlm")``) is
a symlink to a versioned sibling ``<target>.<recipe>.<UTC time>``; a build fills a hidden
``.<target>.<recipe>.*.partial`` sibling, renames it to its version when complete and swaps the
link with ``os.replace`` of a new symlink (atomic). A reader that resolved the link once
(``PerplexityStage.setup``) keeps its set: the build removes older versions but keeps the one it
replaced. A killed build leaves only a hidden partial directory, removed by the next build.
"""

from __future__ import annotations

import fcntl
import json
import os
import re
import shutil
import tempfile
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import datetime, timezone
from pathlib import Path

PARTIAL = ".partial"
_STAMP = "%Y%m%dT%H%M%S.%fZ"


class TargetError(RuntimeError):
    """The target cannot take a new set now: another build holds it, or it is not a set of ours."""


def version_name(target: Path, recipe: str, when: datetime) -> str:
    return f"{target.name}.{recipe}.{when.strftime(_STAMP)}"


def versions(target: Path) -> list[Path]:
    """The published versions beside ``target`` (real directories), oldest first."""
    pattern = re.compile(re.escape(target.name) + r"\.[0-9A-Za-z_-]+\.\d{8}T\d{6}\.\d{6}Z")
    found = [p for p in target.parent.glob(f"{target.name}.*")
             if pattern.fullmatch(p.name) and p.is_dir() and not p.is_symlink()]
    return sorted(found, key=lambda p: p.name.rsplit(".", 2)[-2:])


def manifest_recipe(model_dir: Path) -> str | None:
    """The ``recipe`` key of ``model_dir/manifest.json``; None without a readable one."""
    try:
        value = json.loads((model_dir / "manifest.json").read_text(encoding="utf-8")).get("recipe")
    except (OSError, ValueError, AttributeError):
        return None
    return str(value) if value else None


@contextmanager
def _lock(target: Path) -> Iterator[None]:
    path = target.parent / f".{target.name}.lock"
    with open(path, "a") as fh:
        try:
            fcntl.flock(fh, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError:
            raise TargetError(f"another build of {target} is running (it holds {path})") from None
        yield


def _check_target(target: Path) -> None:
    """Refuse to adopt a plain directory that no build of ours wrote (a user's own models)."""
    if target.is_dir() and not target.is_symlink() and any(target.iterdir()) and manifest_recipe(target) is None:
        raise TargetError(f"{target} is a directory without a build manifest (not a default-model set): "
                         "choose another --out")


@contextmanager
def building(target: Path, recipe: str) -> Iterator[Path]:
    """A fresh hidden directory beside ``target`` to fill; published when the block ends normally,
    removed when it raises. One build per target at a time (a lock file beside it)."""
    target = Path(os.path.abspath(target))  # not resolve(): the link itself is what gets swapped
    target.parent.mkdir(parents=True, exist_ok=True)
    _check_target(target)
    with _lock(target):
        for stale in target.parent.glob(f".{target.name}.*{PARTIAL}"):  # killed builds'
            shutil.rmtree(stale, ignore_errors=True)
        for stale in target.parent.glob(f".{target.name}.link-*"):
            stale.unlink(missing_ok=True)
        tmp = Path(tempfile.mkdtemp(prefix=f".{target.name}.{recipe}.", suffix=PARTIAL, dir=target.parent))
        try:
            yield tmp
        except BaseException:
            shutil.rmtree(tmp, ignore_errors=True)
            raise
        publish(target, tmp, recipe)


def publish(target: Path, built: Path, recipe: str) -> Path:
    """Make ``built`` the version ``target`` points at; keep the one it replaced, remove older ones."""
    now = datetime.now(timezone.utc)
    final = target.parent / version_name(target, recipe, now)
    built.chmod(0o755)  # mkdtemp's 0700 would hide the models from other users' runs
    built.rename(final)
    previous = target.parent / Path(os.readlink(target)).name if target.is_symlink() else None
    if target.is_dir() and not target.is_symlink() and not any(target.iterdir()):
        target.rmdir()  # an empty directory (e.g. made for --out): nothing to keep
    elif target.is_dir() and not target.is_symlink():
        # An older set-up's plain directory: kept as the previous version. rename(2) cannot
        # put a link over a directory, so this one swap has a moment with no target.
        mtime = datetime.fromtimestamp(target.stat().st_mtime, timezone.utc)
        previous = target.parent / version_name(target, manifest_recipe(target) or "legacy", mtime)
        target.rename(previous)
    link = target.parent / f".{target.name}.link-{os.getpid()}"
    link.unlink(missing_ok=True)
    link.symlink_to(final.name)  # relative: the assets root may be mounted elsewhere
    os.replace(link, target)
    keep = {final.name} | ({previous.name} if previous else set())
    for old in versions(target):
        if old.name not in keep:
            shutil.rmtree(old, ignore_errors=True)
    return final
