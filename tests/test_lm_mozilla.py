"""Kazakh KenLM training text from Firefox's and Thunderbird's language packs (filters/lm_mozilla.py)."""

import json

import pytest

from curation.assets import asset_dir
from filters.lm_mozilla import clean_value, langpack_files, mozilla_sentences, string_values

# Lines of Firefox ESR 153's Kazakh netError.ftl (firefox-esr-l10n-kk, MPL-2.0), unchanged.
NET_ERROR = """neterror-try-again-button-2 = Қайтадан көру
    .accesskey = т
neterror-pref-reset = Сіздің желілік қауіпсіздік баптаулар осыны туғызатын сияқты. \
Бастапқы баптауларды қалпына келтіруді қалайсыз ба?
neterror-generic-error = { -brand-short-name } осы парақты белгісіз себептермен жүктей алмайды.
neterror-http-empty-response-description = { $hostname } бос бетті қайтарды.
neterror-dns-not-found-hint-header = <strong>Дұрыс адресті енгізсеңіз, келесі әрекеттерді орындауға болады:</strong>
"""


def test_each_message_and_attribute_is_one_value():
    assert string_values(NET_ERROR)[:3] == [
        "Қайтадан көру", "т",
        "Сіздің желілік қауіпсіздік баптаулар осыны туғызатын сияқты. Бастапқы баптауларды қалпына келтіруді "
        "қалайсыз ба?"]
    assert len(string_values(NET_ERROR)) == 6


def test_indented_lines_continue_a_value_and_comments_end_it():
    text = "a = Бір\n    екі үш.\n# түсініктеме\n    .label = Жазба\nb.c=Мән %1$S\n"
    assert string_values(text) == ["Бір екі үш.", "Жазба", "Мән %1$S"]


def test_placeables_and_placeholders_are_removed_and_plural_selectors_skipped():
    assert clean_value("{ -brand-short-name } осы парақты жүктей алмайды.") == "осы парақты жүктей алмайды."
    assert clean_value("Сервер %S адресі { $host } табылмады.") == "Сервер адресі табылмады."
    assert clean_value("{ $count ->\n [one] бір файл\n *[other] { $count } файл\n}") == ""


def test_only_whole_sentences_in_the_language_survive():
    assert mozilla_sentences(NET_ERROR, "kk") == [
        "Сіздің желілік қауіпсіздік баптаулар осыны туғызатын сияқты.",
        "Бастапқы баптауларды қалпына келтіруді қалайсыз ба?",
    ]  # not the brand-less "осы парақты ..." (starts lower-case: a fragment) nor 3-word or unended texts


def test_a_nepali_sentence_may_end_with_a_danda():
    assert mozilla_sentences("x = हामी सर्भर सँग जडान गर्न सक्दैनौं।\n", "ne") == ["हामी सर्भर सँग जडान गर्न सक्दैनौं।"]


def test_setup_extracted_the_kazakh_packs_and_listed_them_in_the_manifest():
    out = asset_dir("kenlm-text")
    manifest = json.loads((out / "manifest.json").read_text(encoding="utf-8"))
    if "kk" not in manifest.get("languages", {}):
        pytest.fail("Kazakh KenLM text missing: run scripts/setup.sh (scripts/setup.d/20-kenlm-text.sh)")
    kk = manifest["languages"]["kk"]
    assert [p["package"] for p in kk["packages"]] == ["firefox-esr-l10n-kk", "thunderbird-l10n-kk"]
    assert all(p["licence"].startswith("MPL-2.0") and p["version"] and p["language_id_kept"] > 1000
               for p in kk["packages"])
    assert kk["lines"] == len((out / "kk.txt").read_text(encoding="utf-8").splitlines())
    files = langpack_files(out / "firefox-esr-l10n-kk", "firefox-esr/browser/extensions")
    assert any(f.name == "netError.ftl" for f in files) and all(f.suffix in (".ftl", ".properties") for f in files)
