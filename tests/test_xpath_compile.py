"""trafilatura's selectors evaluated in Python select exactly what lxml's XPath selects."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
import trafilatura
from lxml import etree, html

from curation.config import ExtractConfig, ReadConfig
from curation.io.warc import iter_rows
from filters.extract import child_options, trafilatura_options
from filters.extract_child import make_extractor
from filters.trafilatura_accel import install, restore, selector_lists, snapshot
from filters.xpath_compile import Unsupported, compile_selector

RE = {"re": "http://exslt.org/regular-expressions"}
PAGE = html.fromstring(
    "<html><body>"
    "<div class='nav-top' id='main'><p id='x'>a</p><p class='Fulltext'>b</p></div>"
    "<div id='story' class='social'><span style='display: none'>c</span><h1>t</h1></div>"
    "<section role='Navigation'><div class='post'>d</div><div class='post'>e</div></section>"
    "</body></html>"
)


def same(source: str, tree: Any = PAGE) -> list[Any]:
    """The compiled selector's result, after checking it equals lxml's."""
    expected = etree.XPath(source, namespaces=RE)(tree)
    got = compile_selector(source)(tree)
    assert got == expected
    return got  # type: ignore[no-any-return]


def test_first_attribute_in_source_order_is_the_string_value_of_a_union() -> None:
    # <div class='nav-top' id='main'>: class comes first, so @id|@class reads 'nav-top'
    assert [e.get("class") for e in same(".//*[starts-with(@id|@class, 'nav')]")] == ["nav-top"]
    assert same(".//*[starts-with(@id|@class, 'main')]") == []


def test_leading_self_predicate_filters_by_tag() -> None:
    assert [e.text for e in same(".//*[self::p or self::span][@id or @style]")] == ["a", "c"]


def test_translate_contains_and_regex_groups() -> None:
    got = same(".//*[contains(translate(@role, 'N', 'n'), 'nav') or re:test(@class, '^soc|xyz')]")
    assert [e.tag for e in got] == ["div", "section"]


def test_regex_flag_i_is_case_insensitive() -> None:
    assert [e.text for e in same(".//*[re:test(@class, 'fulltext', 'i')]")] == ["b"]
    assert same(".//*[re:test(@class, 'fulltext')]") == []


def test_not_and_descendant_existence() -> None:
    assert [e.get("id") for e in same(".//*[self::div][@id][not(.//h1)]")] == ["main"]


def test_attribute_equality_and_existence() -> None:
    assert [e.text for e in same(".//*[@class='post']")] == ["d", "e"]
    assert len(same(".//*[@style]")) == 1


def test_position_one_on_the_step_is_per_parent_and_in_parentheses_is_global() -> None:
    assert [e.text for e in same(".//*[self::p or self::div][1]")] == [None, "a", "d"]
    assert [e.text for e in same("(.//*[self::p or self::div][@class])[1]")] == [None]
    assert [e.text for e in same("(.//*[@class='post'])[1]")] == ["d"]


@pytest.mark.parametrize("source", [
    "//*[@id]",                       # from the document root
    ".//div[@id]",                    # a named step
    ".//*[position() = 2]",           # positions other than a final [1]
    ".//*[@id][2]",
    "(.//*[@id])[1]|(.//main)[1]",    # unions of paths
    ".//*[@id != 'x']",
])
def test_outside_the_subset_is_unsupported(source: str) -> None:
    with pytest.raises(Unsupported):
        compile_selector(source)


@pytest.fixture
def restored_selectors() -> Iterator[None]:
    """Every list of trafilatura.xpaths as it was (wrapped or compiled items put back)."""
    saved = snapshot()
    yield
    restore(saved)


def pages(warc_dir: Path, limit: int) -> list[str]:
    """The HTML of the shared pages as the pipeline's reader decodes it."""
    out: list[str] = []
    for i, path in enumerate(sorted(warc_dir.glob("pages-*.warc.gz"))):
        out.extend(row["_html"] for row in iter_rows(str(path), f"t{i}", ReadConfig()) if row.get("_html"))
        if len(out) >= limit:
            break
    return out[:limit]


class Checked:
    """Calls lxml's XPath and the compiled selector on the same tree and records any difference."""

    def __init__(self, xpath: etree.XPath, log: dict[str, int]) -> None:
        self.xpath, self.compiled, self.log = xpath, compile_selector(xpath.path), log

    def __call__(self, tree: Any) -> list[Any]:
        expected = self.xpath(tree)
        self.log["calls"] += 1
        self.log["differ"] += self.compiled(tree) != expected
        return expected  # type: ignore[no-any-return]


def check_inside_extractions(htmls: list[str]) -> dict[str, int]:
    log = {"calls": 0, "differ": 0}
    for exprs in selector_lists().values():
        for i, expr in enumerate(exprs):
            try:
                exprs[i] = Checked(expr, log)
            except Unsupported:
                pass
    options = trafilatura_options(ExtractConfig())
    for page in htmls:
        trafilatura.extract(page, **options)
    return log


def test_every_compiled_selector_equals_lxml_inside_real_extractions(warc_dir: Path, restored_selectors: None) -> None:
    log = check_inside_extractions(pages(warc_dir, 200))
    assert log["calls"] > 2000
    assert log["differ"] == 0


@pytest.mark.slow
def test_every_compiled_selector_equals_lxml_on_all_shared_pages(warc_dir: Path, restored_selectors: None) -> None:
    log = check_inside_extractions(pages(warc_dir, 10_000))
    assert log["calls"] > 15_000
    assert log["differ"] == 0


def test_accelerated_extraction_gives_the_same_text(warc_dir: Path, restored_selectors: None) -> None:
    htmls = pages(warc_dir, 200)
    options = trafilatura_options(ExtractConfig())
    stock = [trafilatura.extract(page, **options) for page in htmls]
    replaced = install()
    assert replaced["OVERALL_DISCARD_XPATH"] == 2 and replaced["BODY_XPATH"] >= 2
    assert [trafilatura.extract(page, **options) for page in htmls] == stock
    assert sum(text is not None for text in stock) > 150


def test_the_extraction_child_installs_them_when_configured(restored_selectors: None) -> None:
    options = child_options(ExtractConfig())
    assert options["accelerate_selectors"] is True
    make_extractor({**options, "accelerate_selectors": False})
    assert not any(type(x).__name__ == "CompiledSelector" for exprs in selector_lists().values() for x in exprs)
    make_extractor(options)
    assert any(type(x).__name__ == "CompiledSelector" for x in selector_lists()["OVERALL_DISCARD_XPATH"])


def test_a_full_memo_starts_afresh_with_the_same_answers(monkeypatch: pytest.MonkeyPatch) -> None:
    import filters.xpath_compile as xc

    monkeypatch.setattr(xc, "MEMO_SIZE", 1)
    selector = compile_selector(".//*[re:test(@class, '^soc|post') or contains(@id, 'ai')]")
    expected = etree.XPath(selector.path, namespaces=RE)(PAGE)
    assert selector(PAGE) == expected and selector(PAGE) == expected
    assert [e.get("class") for e in expected] == ["nav-top", "social", "post", "post"]


def test_long_attribute_values_are_not_remembered() -> None:
    import filters.xpath_compile as xc

    seen: dict[str, bool] = {}
    assert xc._remember(seen, "x" * (xc.MEMO_MAX_CHARS + 1), True) is True
    assert xc._remember(seen, "nav", False) is False
    assert seen == {"nav": False}
