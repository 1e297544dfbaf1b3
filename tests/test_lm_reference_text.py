"""Extra KenLM reference text: prose sentences out of Debian man pages (roff) and GNOME help (Mallard)."""

import json
from pathlib import Path

import pytest

from curation.assets import asset_dir
from filters.lm_mallard import mallard_paragraphs, mallard_sentences
from filters.lm_manpages import is_prose, package_pages, prose_sentences, read_page, roff_paragraphs, unescape
from filters.lm_reference_text import SOURCES, in_language, language_pages

RU_CAT = Path("/usr/share/man/ru/man1/cat.1.gz")  # manpages-ru (set-up: scripts/setup.d/20-kenlm-text.sh)
KO_HELP = asset_dir("kenlm-text") / "gnome-user-docs" / "ko" / "gnome-help" / "a11y-mag.page"


def need(path: Path, package: str) -> Path:
    if not path.is_file():
        pytest.skip(f"{path} absent: Debian package {package} not installed (scripts/setup.d/20-kenlm-text.sh)")
    return path


def test_unescape_resolves_fonts_dashes_and_named_characters():
    assert unescape(r"\fBls\fP \- list \(lqall\(rq files\& \" a comment") == "ls - list “all” files "


def test_option_tags_synopsis_and_examples_are_not_prose():
    page = "\n".join([
        ".TH LS 1", ".SH NAME", r"ls \- list", ".SH SYNOPSIS", r"\fBls\fP [\fIOPTION\fP]...",
        ".SH DESCRIPTION", "List information about the files in the current directory by default.",
        ".TP", r"\fB\-a\fP, \fB\-\-all\fP", "do not ignore entries starting with a dot.",
        ".nf", "ls -l /etc | sort > listing.txt.", ".fi",
        "See", ".BR dir (1)", "for a list of the entries in the same format."])
    assert roff_paragraphs(page) == [
        "ls - list", "ls [OPTION]...", "List information about the files in the current directory by default.",
        "do not ignore entries starting with a dot.", "See dir(1) for a list of the entries in the same format."]
    assert prose_sentences(page, "en") == [
        "List information about the files in the current directory by default.",
        "do not ignore entries starting with a dot.",
        "See dir(1) for a list of the entries in the same format."]


def test_prose_needs_a_whole_sentence_in_the_languages_own_script():
    assert is_prose("Объединяет ФАЙЛ(ы) и выводит данные в стандартный вывод.", "ru")
    assert not is_prose("нумеровать непустые строки при выводе", "ru")  # no sentence end: an option description
    assert not is_prose("Legal values are auto, gzip and none.", "ru")  # another script
    assert not is_prose("Set the value with key=value in the file.", "en")  # code-like characters
    assert not is_prose("или более позднюю, чтобы узнать об условиях.", "ru")  # starts mid-sentence


def test_russian_cat_page_gives_its_prose_sentences():
    src = read_page(need(RU_CAT, "manpages-ru"))
    sents = prose_sentences(src, "ru")
    assert sents[:3] == ["Объединяет ФАЙЛ(ы) и выводит данные в стандартный вывод.",
                         "Если ФАЙЛ не задан или задан как -, читает стандартный ввод.",
                         "Выводит содержимое f, потом стандартный ввод, потом g."]
    assert not any("--show-all" in s or "эквивалентно" in s for s in sents)  # option list gone


def test_language_id_drops_untranslated_english_sentences():
    kept = in_language(["Objects are returned in the order in which they were found on disk.",
                        "Wypisuje informacje o plikach, domyślnie o bieżącym katalogu."], "pl")
    assert kept == ["Wypisuje informacje o plikach, domyślnie o bieżącym katalogu."]


def test_package_pages_lists_only_the_packages_man_pages():
    pages = package_pages("manpages-ru")
    if not pages:
        pytest.skip("Debian package manpages-ru not installed (scripts/setup.d/20-kenlm-text.sh)")
    assert RU_CAT in pages and all("/usr/share/man/" in str(p) for p in pages)
    assert language_pages("manpages-ru", "ru") == pages  # every page of the package is Russian
    assert package_pages("no-such-package-here") == []


def test_mallard_paragraphs_keep_inline_words_and_drop_info_code_and_comments():
    page = ('<page xmlns="http://projectmallard.org/1.0/"><info><desc>Zoom in.</desc></info>'
            "<title>Magnify</title><p>Click <gui>Zoom</gui> to turn it on.</p>"
            "<p>Run <cmd>gsettings set x y</cmd> in a terminal.</p><!-- <p>draft</p> -->"
            "<steps><item><p>Open the <link xref='a'>Settings</link> panel.</p></item></steps></page>")
    assert mallard_paragraphs(page) == ["Click Zoom to turn it on.", "Open the Settings panel."]
    assert mallard_paragraphs("<page><p>broken") == []


def test_korean_help_page_gives_its_sentences():
    sents = mallard_sentences(need(KO_HELP, "gnome-user-docs").read_text(encoding="utf-8"), "ko")
    assert sents[0] == "화면 확대는 글씨 크기를 크게 하는 개념과는 다릅니다."
    assert sents[1] == ("이 기능은 돋보기 유리를 가지고 화면에서 "
                        "확대해 보고 싶은 부분 주변을 움직여볼 수 있는 기능입니다.")
    assert len(sents) == 14


def test_setup_wrote_the_text_with_a_manifest_of_packages_licences_and_lines():
    d = asset_dir("kenlm-text")
    if not (d / "manifest.json").is_file():
        pytest.fail(f"extra KenLM text missing in {d}: run scripts/setup.sh")
    m = json.loads((d / "manifest.json").read_text(encoding="utf-8"))
    assert set(m["languages"]) == set(SOURCES)
    for entry in m["languages"].values():
        lines = (d / entry["file"]).read_text(encoding="utf-8").splitlines()
        assert entry["lines"] == len(lines) == len(set(lines)) > 1000
        assert all(r["licence"] and r["version"] for r in entry["packages"])
    ru = {r["package"]: r for r in m["languages"]["ru"]["packages"]}
    assert ru["manpages-ru"]["licence"].startswith("GPL-3+") and ru["gnome-user-docs"]["licence"].startswith("CC-BY-SA")


def test_no_flores_devtest_sentence_is_in_the_extra_text(shared_data):
    d = asset_dir("kenlm-text")
    m = json.loads((d / "manifest.json").read_text(encoding="utf-8")) if (d / "manifest.json").is_file() else {}
    if not m:
        pytest.fail(f"extra KenLM text missing in {d}: run scripts/setup.sh")
    flores = {"ru": "rus_Cyrl", "uk": "ukr_Cyrl", "pl": "pol_Latn", "cs": "ces_Latn", "ko": "kor_Hang",
              "en": "eng_Latn", "kk": "kaz_Cyrl", "he": "heb_Hebr"}
    for lang, entry in m["languages"].items():
        test = set((shared_data / "flores200" / f"{flores[lang]}.devtest").read_text(encoding="utf-8").splitlines())
        assert not test & set((d / entry["file"]).read_text(encoding="utf-8").splitlines()), lang
