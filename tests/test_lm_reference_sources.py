"""Extra KenLM reference text: LibreOffice help (Korean) and the UA-GEC corpus wheel (Ukrainian)."""

from pathlib import Path

import pytest

from curation.assets import asset_dir
from filters.lm_lohelp import lohelp_pages, lohelp_paragraphs, lohelp_sentences
from filters.lm_reference_text import SOURCES
from filters.lm_uagec import target_members, uagec_files, uagec_sentences

TEXT = asset_dir("kenlm-text")  # filled by scripts/setup.d/20-kenlm-text.sh
KO_LO_PAGE = TEXT / "libreoffice-help-ko" / "ko" / "text" / "shared" / "optionen" / "01010400.html"
UK_ESSAY = TEXT / "ua-gec" / "0000.a1.txt"


def need(path: Path, package: str) -> Path:
    if not path.is_file():
        pytest.skip(f"{path} absent: {package} not fetched (scripts/setup.d/20-kenlm-text.sh)")
    return path


def test_lohelp_paragraphs_keep_running_text_and_drop_chrome_menu_paths_and_code():
    page = ('<html><body><header><p class="paragraph">LibreOffice Help</p></header>'
            '<div id="DisplayArea"><h1>Title</h1>'
            '<p class="paragraph">Click <span class="emph">Edit</span> to change the entry.</p>'
            '<div class="howtoget"><p class="paragraph">Choose Tools - Options.</p></div>'
            '<p class="paragraph">Menu <span hidden="true">LibreOffice - Preferences</span>'
            '<span>Tools</span> opens.</p>'
            '<p class="paragraph">Type <span class="input">=SUM(A1)</span> in the cell.</p>'
            '<div class="bascode"><p class="paragraph">Dim a As Integer</p></div>'
            '<p class="howtogetheader">To use this command</p></div></body></html>')
    assert lohelp_paragraphs(page) == ["Click Edit to change the entry.", "Menu Tools opens."]
    assert lohelp_paragraphs("<html><body><p class='paragraph'>No display area.</p></body></html>") == []
    assert lohelp_paragraphs("") == []


def test_korean_libreoffice_help_page_gives_its_korean_sentences_only():
    html = need(KO_LO_PAGE, "libreoffice-help-ko").read_text(encoding="utf-8")
    assert "Specifies the properties of the spelling, thesaurus and hyphenation." in lohelp_paragraphs(html)
    sents = lohelp_sentences(html, "ko")
    assert sents[:3] == ["사전을 편집하면 파일 상태에 대한 검사가 이루어집니다.",
                         "파일이 쓰기 금지되어 있으면 변경할 수 없습니다.",
                         "이때는 새로 만들기와 삭제 버튼이 비활성화됩니다."]
    assert not any("Specifies" in s for s in sents)  # untranslated English is not Korean prose


def test_lohelp_pages_lists_the_html_under_text():
    need(KO_LO_PAGE, "libreoffice-help-ko")
    pages = lohelp_pages(TEXT / "libreoffice-help-ko", "ko")
    assert KO_LO_PAGE in pages and all(p.suffix == ".html" and "/ko/text/" in str(p) for p in pages)


def test_uagec_takes_the_first_annotators_fluency_correction_of_each_document():
    names = ["ua_gec/data/gec-fluency/train/target-sentences/0001.a2.txt",
             "ua_gec/data/gec-fluency/train/target-sentences/0001.a1.txt",
             "ua_gec/data/gec-fluency/test/target-sentences/1500.a3.txt",
             "ua_gec/data/gec-fluency/train/source-sentences/0002.txt",
             "ua_gec/data/gec-only/train/target-sentences/0003.a1.txt",
             "ua_gec/data/gec-fluency/train/target/0001.a1.txt"]
    assert target_members(names) == ["ua_gec/data/gec-fluency/train/target-sentences/0001.a1.txt",
                                      "ua_gec/data/gec-fluency/test/target-sentences/1500.a3.txt"]


def test_uagec_sentences_keep_whole_ukrainian_sentences():
    text = "\n".join(["Моє бачення Instagram",  # a heading: no sentence end
                      "Колись давно я прочитав статтю чи просто коментар – уже не згадаю.",
                      "Сьогодні розповім про те, як і навіщо мене занесло в Instagram.",  # >10% Latin letters
                      "Дуже просто!"])  # fewer than 5 words
    assert uagec_sentences(text) == ["Колись давно я прочитав статтю чи просто коментар – уже не згадаю."]


def test_a_real_uagec_essay_gives_its_sentences_in_order():
    sents = uagec_sentences(need(UK_ESSAY, "ua-gec wheel").read_text(encoding="utf-8"))
    assert sents[:2] == [
        "Останні 3 місяці мого життя видалися аж занадто насиченими на події та емоції, але ось нарешті у мене "
        "з’явилося кілька вільних годин та трохи енергії, щоб продовжити серію записів щодо свого досвіду "
        "блогерства.",
        "Колись давно я прочитав статтю чи просто коментар – уже не згадаю."]
    assert len(sents) == 50
    assert UK_ESSAY in uagec_files(TEXT / "ua-gec")


def test_ukrainian_and_korean_take_the_new_sources_and_chinese_none():
    assert "ua-gec" in {s.package for s in SOURCES["uk"]}
    assert "libreoffice-help-ko" in {s.package for s in SOURCES["ko"]}
    assert "zh" not in SOURCES  # manpages-zh and libreoffice-help-zh-cn both lowered zh's AUC
