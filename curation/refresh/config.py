"""The ``refresh:`` section of a pipeline config (``curate refresh``)."""

from __future__ import annotations

from pydantic import BaseModel, ConfigDict, Field


class RefreshConfig(BaseModel):
    model_config = ConfigDict(extra="forbid")

    # Listing files (Common Crawl's warc.paths.gz style: one path/URL per line, gzip or plain),
    # read in addition to input.paths (globs).
    listings: list[str] = Field(default_factory=list)
    # Joined to relative listing entries; None: relative to the listing's own directory.
    # (Common Crawl: "https://data.commoncrawl.org/".)
    listing_prefix: str | None = None
    # Object-store or local prefixes (s3://bucket/crawl/) walked for *.warc[.gz] / *.wet[.gz].
    prefixes: list[str] = Field(default_factory=list)
    # A lock from another host older than this is taken over (same host: dead pid is enough).
    # 24 h: a nightly job never legitimately runs through the next night's start (our choice).
    lock_stale_after_s: float = Field(86_400.0, gt=0)
    # Published snapshots kept on disk (hard links, so old ones cost only replaced files).
    # 14: two weeks of nightly rollbacks (our choice).
    keep_snapshots: int = Field(14, ge=2)
