"""Swap trafilatura's selector XPaths for their Python-evaluated equivalents (same elements).

trafilatura keeps its selectors in module-level lists of ``lxml.etree.XPath`` objects
(``trafilatura.xpaths``) and only ever calls them, ``expr(tree)``. Replacing list items in
place reaches every module that imported a list. Selectors outside the subset of
:mod:`filters.xpath_compile` stay lxml's. Installed in the extraction child only
(``extract.accelerate_selectors``), never in the benchmarks' plain-trafilatura baselines.
"""

from __future__ import annotations

from lxml import etree

from filters.xpath_compile import CompiledSelector, Unsupported, compile_selector


def selector_lists() -> dict[str, list]:
    """trafilatura's lists of XPath selectors, by name."""
    import trafilatura.xpaths as xpaths

    return {name: value for name, value in vars(xpaths).items()
            if isinstance(value, list) and value and all(isinstance(x, (etree.XPath, CompiledSelector)) for x in value)}


def snapshot() -> dict[str, list]:
    """Every list of ``trafilatura.xpaths`` as it is now (for :func:`restore`)."""
    import trafilatura.xpaths as xpaths

    return {name: list(value) for name, value in vars(xpaths).items() if isinstance(value, list)}


def restore(saved: dict[str, list]) -> None:
    """Put the lists' items back as :func:`snapshot` saw them (compiled or wrapped ones out)."""
    import trafilatura.xpaths as xpaths

    for name, items in saved.items():
        getattr(xpaths, name)[:] = items


def install() -> dict[str, int]:
    """Replace every compilable selector; returns {list name: selectors replaced}."""
    done: dict[str, int] = {}
    for name, exprs in selector_lists().items():
        for i, expr in enumerate(exprs):
            if not isinstance(expr, etree.XPath):
                continue
            try:
                exprs[i] = compile_selector(expr.path)
            except Unsupported:
                continue
            done[name] = done.get(name, 0) + 1
    return done
