"""Extra KenLM reference text for Hebrew: the Wikipedia sentences of hebpipe's training data."""

from pathlib import Path

import pytest

from curation.assets import asset_dir
from filters.lm_hebpipe import (
    detokenize,
    hebpipe_files,
    hebpipe_sentences,
    htb_texts,
    sentence_text,
    tab_sentences,
    wiki_block,
)
from filters.lm_reference_text import SOURCES

KEPT = asset_dir("kenlm-text") / "hebpipe"  # filled by scripts/setup.d/20-kenlm-text.sh
FIRST = ("מדד ההכרה גלאזגו (או סולם גלאזגו; באנגלית: Glasgow Coma Scale ובקיצור: GCS) הוא מדד נוירולוגי "
         "להערכת רמת ההכרה של אדם.")
# Sentence 4150 of hebpipe 4.0.2.0's mtldatafile_train.tab, as shipped: a possessive suffix (שיר+ו) and a quotation.
EINSTEIN = """איינשטיין\tPROPN\tB-SENT\tO\t\tאיינשטיין\tאיינשטיין
שר\tVERB\tO\tO\tGender=Masc|HebBinyan=PAAL|Number=Sing|Person=3|Tense=Past|Voice=Act\tשר\tשר
את\tADP\tO\tO\t\tאת\tאת
שיר\tNOUN\tO\tB\tGender=Masc|Number=Sing\tשיר\tשיר
ו\tPRON\tO\tE\tCase=Gen|Definite=Def|Gender=Masc|Number=Sing|Person=3|Poss=Yes|PronType=Prs\tו\tהוא
"\tPUNCT\tO\tO\t\t"\t"
אחד\tNUM\tO\tO\tGender=Masc|Number=Plur|NumType=Card\tאחד\tאחת
עשר\tNUM\tO\tO\tGender=Masc|Number=Plur|NumType=Card\tעשר\tעשר
מטר\tPROPN\tO\tO\t\tמטר\tמטר
"\tPUNCT\tO\tO\t\t"\t"
.\tPUNCT\tO\tO\t\t.\t."""
# Sentence 34 (its first four columns): גלאזגו+ל+תרדמת joins two words, a space the segmentation lost.
LOST_SPACE = ("מדד\tNOUN\tB-SENT\tO\nגלאזגו\tPROPN\tO\tB\nל\tADP\tO\tI\nתרדמת\tNOUN\tO\tE\n"
              "עבור\tADP\tO\tO\nילדים\tNOUN\tO\tO")


def need(path: Path) -> Path:
    if not path.is_file():
        pytest.skip(f"{path} absent: hebpipe not fetched (scripts/setup.d/20-kenlm-text.sh)")
    return path


def test_a_word_is_its_pieces_joined_and_punctuation_is_reattached():
    [sentence] = tab_sentences(EINSTEIN)
    assert sentence_text(sentence) == 'איינשטיין שר את שירו "אחד עשר מטר".'


def test_a_sentence_whose_segmentation_joined_two_words_is_dropped():
    [sentence] = tab_sentences(LOST_SPACE)
    assert sentence_text(sentence) is None


def test_detokenize_attaches_brackets_quotes_and_prefix_hyphens_but_keeps_dashes_spaced():
    assert detokenize(["(", "או", "סולם", ")", "הוא", "."]) == "(או סולם) הוא."
    assert detokenize(["ה", "-", "GCS", "ו", "-", "SOFA", "."]) == "ה-GCS ו-SOFA."
    assert detokenize(["תחומים", "-", "כולל", "רפואה", "."]) == "תחומים - כולל רפואה."
    assert detokenize(["ושילמתי", "עליה", '"', "."]) == 'ושילמתי עליה".'  # a quotation opened earlier


def test_the_wikipedia_block_ends_at_the_first_htb_sentence():
    wiki, lost, htb = tab_sentences(EINSTEIN + "\n" + LOST_SPACE + "\n" + EINSTEIN.replace("איינשטיין", "אריק"))
    conll = ("1\tאריק\tאריק\tPROPN\tPROPN\t_\t2\tnsubj\t_\t_\n2\tשר\tשר\tVERB\tVERB\t_\t0\troot\t_\t_\n\n"
             "1\tלא\tלא\tADV\tADV\t_\t0\troot\t_\t_\n")
    assert htb_texts(conll) == {"אריקשר", "לא"}
    assert wiki_block([wiki, lost, htb], {"".join(m[0] for m in htb)}) == [wiki, lost]
    assert wiki_block([wiki, lost], {"לא"}) == [wiki, lost]


def test_the_kept_files_hold_the_rebuilt_wikipedia_sentences_of_train_and_dev():
    train = need(KEPT / "mtldatafile_train.txt")
    assert hebpipe_files(KEPT) == [KEPT / "mtldatafile_dev.txt", train]
    lines = train.read_text(encoding="utf-8").splitlines()
    assert len(lines) == 4198 and lines[0] == FIRST
    assert not any("הקהל איתר סוף סוף ערבי" in x for x in lines)  # HTB (non-commercial) starts after the block
    prose = hebpipe_sentences(train.read_text(encoding="utf-8"))
    assert prose[:2] == ["לפי מדד זה המטופל מוערך לפי מספר קריטריונים קבועים, וסיכום הנקודות מהווה הערכה כללית "
                         "על פי מדד הגלאזגו.", "תוצאת מדד הגלאזגו מסייעת לניבוי סיכויי ההתאוששות של החולה."]
    assert FIRST not in prose  # a quarter of its letters are Latin (Glasgow Coma Scale)


def test_hebrew_reads_only_hebpipe_with_the_treebanks_licence():
    [src] = SOURCES["he"]
    assert (src.package, src.kind) == ("hebpipe", "sdist") and src.licence.startswith("CC-BY-SA-4.0")
