"""Malay vs Indonesian: a dedicated fastText model plus word-marker evidence.

The two standards share most of their vocabulary, and lid.176 calls 66% of Malay sentences
Indonesian. Inside lid.176's ms/id group we therefore use a model trained on ms and id only
(NTREX training documents + Tatoeba, built by :mod:`filters.langid_msid_train`) and add the
evidence of *marker words*: words one standard uses where the other uses another word or
spelling (kerana/karena, wang/uang, polis/polisi, universiti/universitas). Markers come from
two lists, both read here:

- ``filters/assets/langid/ms_id_contrast.tsv``: curated pairs (see its header);
- ``asset_dir("langid")/ms_id_markers.tsv``: derived at set-up from the NTREX training
  documents, where Malay and Indonesian translate the same English sentences line by line
  (:func:`derive_markers`), so a word frequent on one side and rare on the other is a
  choice between the standards, not a topic.

Each marker adds ``MARKER_WEIGHT`` to the ms-vs-id log-odds of the model (minus for id):
chosen on held-out NTREX and Tatoeba, never FLORES (numbers at the constant).
"""

from __future__ import annotations

import collections
import math
import re
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from pathlib import Path

from curation.assets import asset_dir

CURATED = Path(__file__).resolve().parent / "assets" / "langid" / "ms_id_contrast.tsv"
DERIVED_NAME = "ms_id_markers.tsv"
FREQ_NAME = "ms_id_wordfreq.tsv"  # built at set-up by filters/langid_msid_freq.py
MODEL_NAME = "msid.ftz"
# Log-odds added per marker word. The quantized model is over-sure on short sentences
# (P(id) = 0.9999 for "Sila duduk."), so a marker must be able to outvote it: on the held-out
# NTREX + Tatoeba sets (mean of the four ms/id accuracies) 4 -> 0.881, 8 -> 0.889,
# 12 -> 0.894, 20 -> 0.894; 12 kept. Our calibration, never on FLORES.
MARKER_WEIGHT = 12.0
# Weight of the wordfreq log-frequency evidence (filters/langid_msid_freq.py), added to the same
# log-odds. Held-out NTREX + Tatoeba, mean of the four ms/id accuracies, markers at 12:
# 0 -> 0.894, 1 -> 0.916, 2 -> 0.923, 4 -> 0.927; 4 kept (a grid that also rescaled the model and
# markers and added a bias found at most 0.928). Our calibration, never on FLORES.
FREQ_WEIGHT = 4.0
# Log-odds added per distinct Malay-only dictionary word (filters/langid_msid_dict.py). Chosen by
# filters/langid_msid_cv.py: 10-fold document cross-validation over NTREX (each of ~2,000 sentences
# per language held out once) + the held-out Tatoeba fifth, markers 12 and wordfreq 4 as above;
# mean of the four accuracies 0 -> 0.9198, 4 -> 0.9244, 8 -> 0.9243, 12 -> 0.9266, 14 -> 0.9267,
# 16 -> 0.9260, 20 -> 0.9254 (NTREX ms 0.9324 -> 0.9399, id 0.9780 -> 0.9745 at 14); the argmax
# kept. Our calibration, never on FLORES.
DICT_WEIGHT = 14.0
# derive_markers: a word is a marker when it occurs in >= MIN_COUNT training sentences of
# one side and >= RATIO times as often as on the other side (+1 smoothing). Our calibration
# on held-out NTREX/Tatoeba (3/4 beat 4/8 and 2/3).
MIN_COUNT, RATIO = 3, 4
_WORD = re.compile(r"[^\W\d_]+(?:-[^\W\d_]+)*")


def words(text: str) -> set[str]:
    """Distinct lower-cased words (hyphenated reduplications such as kanak-kanak stay whole)."""
    return set(_WORD.findall(text.lower()))


@dataclass(frozen=True)
class Markers:
    malay: frozenset[str]
    indonesian: frozenset[str]

    def vote(self, text: str) -> int:
        """Malay markers minus Indonesian markers among the text's distinct words."""
        w = words(text)
        return len(w & self.malay) - len(w & self.indonesian)

    def __or__(self, other: Markers) -> Markers:
        return Markers(self.malay | other.malay, self.indonesian | other.indonesian)


def read_markers(path: Path) -> Markers:
    """A ``<malay> TAB <indonesian>`` file (``-`` = no counterpart, ``#`` comments)."""
    ms: set[str] = set()
    ind: set[str] = set()
    for n, line in enumerate(path.read_text(encoding="utf-8").splitlines(), 1):
        if not line.strip() or line.startswith("#"):
            continue
        parts = line.split("\t")
        if len(parts) != 2:
            raise ValueError(f"{path}:{n}: expected '<malay>\\t<indonesian>', got {line!r}")
        for word, side in zip(parts, (ms, ind)):
            if word.strip() != "-":
                side.add(word.strip().lower())
    return Markers(frozenset(ms - ind), frozenset(ind - ms))


def derive_markers(malay: Sequence[str], indonesian: Sequence[str], min_count: int = MIN_COUNT,
                   ratio: float = RATIO) -> Markers:
    """Words far more frequent (in sentences) on one side of a parallel ms/id corpus."""
    counts = [collections.Counter(w for s in side for w in words(s)) for side in (malay, indonesian)]

    def side(a: collections.Counter[str], b: collections.Counter[str]) -> frozenset[str]:
        return frozenset(w for w, n in a.items() if n >= min_count and n >= ratio * (b[w] + 1))

    return Markers(side(counts[0], counts[1]), side(counts[1], counts[0]))


def write_markers(markers: Markers, path: Path, note: str) -> None:
    rows = [f"{w}\t-" for w in sorted(markers.malay)] + [f"-\t{w}" for w in sorted(markers.indonesian)]
    path.write_text(f"# {note}\n" + "\n".join(rows) + "\n", encoding="utf-8")


def default_model_path() -> Path:
    return asset_dir("langid") / MODEL_NAME


def load_markers(derived: Path | None = None) -> Markers:
    """Curated pairs, plus the derived list when it has been built."""
    markers = read_markers(CURATED)
    derived = derived or asset_dir("langid") / DERIVED_NAME
    return markers | read_markers(derived) if derived.exists() else markers


def combine(p_ms: float, p_id: float, vote: int, weight: float = MARKER_WEIGHT, freq: float = 0.0,
            freq_weight: float = FREQ_WEIGHT, dict_vote: int = 0,
            dict_weight: float = DICT_WEIGHT) -> tuple[float, float]:
    """(P(ms), P(id)) after adding ``weight * vote + freq_weight * freq + dict_weight * dict_vote``
    to the model's log-odds.

    ``freq`` is the wordfreq evidence (:meth:`filters.langid_msid_freq.FreqTable.score`),
    ``dict_vote`` the number of Malay-only dictionary words (:func:`filters.langid_msid_dict.vote`).
    The two results sum to 1.
    """
    eps = 1e-6
    logit = (math.log(p_ms + eps) - math.log(p_id + eps) + weight * vote + freq_weight * freq
             + dict_weight * dict_vote)
    logit = max(-50.0, min(50.0, logit))
    ms = 1.0 / (1.0 + math.exp(-logit))
    return ms, 1.0 - ms


def pair_scores(labels: Iterable[str], scores: Iterable[float]) -> tuple[float, float]:
    """(P(ms), P(id)) from a fastText prediction with ``k=-1`` (labels already mapped to codes)."""
    d = dict(zip(labels, scores))
    return float(d.get("ms", 0.0)), float(d.get("id", 0.0))
