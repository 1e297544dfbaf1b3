"""Render kept pairs into training text: Marco's Table 13 templates or LLaMAX's connected format.

- ``marco``: one of the 11 templates A–K (Marco-LLM Table 13, ``◇`` = ``\\n``) per pair, chosen
  by a hash of (seed, pair id), with English language names.
- ``llamax``: ``"<src> <tgt>"`` joined by one space, the direction flipped (``"<tgt> <src>"``)
  with probability ``flip_probability`` (LLaMAX §3: 0.5), also by hash.
With a lexicon, ``augmented_text`` is the same rendering of a code-switched source
(:mod:`filters.bitext_augment`). Choices depend only on the seed and the pair id, so reruns
and both runners give the same text.
"""

from __future__ import annotations

from typing import Any

import pyarrow as pa

from curation.stage import Resources, Stage, active_mask, set_column
from filters.bitext_augment import Lexicon, code_switch, load_lexicon, unit_random
from filters.language_names import language_name
from pipelines.parallel_config import RenderConfig

# Marco-LLM Table 13, verbatim; "◇" rendered as a single "\n".
TEMPLATES: dict[str, str] = {
    "A": "<src_lang> phrase: <input>\n<tgt_lang> phrase: <output>",
    "B": "<src_lang> text: <input>\n<tgt_lang> text: <output>",
    "C": "Translate the text from <src_lang> to <tgt_lang>:\n<src_lang> text: <input>\n<tgt_lang> text: <output>",
    "D": "Translate the words from <src_lang> to <tgt_lang>:\n<src_lang> words: <input>\n<tgt_lang> words: <output>",
    "E": "Convert the phrase from <src_lang> to <tgt_lang>:\n<src_lang> phrase: <input>\n<tgt_lang> phrase: <output>",
    "F": "Render the <src_lang> sentence <input> to <tgt_lang>: <output>",
    "G": "Provide the translation of the sentence <input> from <src_lang> to <tgt_lang>: <output>",
    "H": "Change the phrase <input> to <tgt_lang>, the translated phrase is: <output>",
    "I": "Please change the sentence <input> to <tgt_lang>, and the resulting translation is: <output>",
    "J": "Change the phrase <input> to <tgt_lang>, resulting in: <output>",
    "K": "The sentence <input> in <src_lang> means <output> in <tgt_lang>",
}


def render_marco(template: str, src: str, tgt: str, src_lang: str, tgt_lang: str) -> str:
    """Fill one Table 13 template; placeholders are replaced in one pass (texts may contain '<input>')."""
    values = {"<src_lang>": language_name(src_lang), "<tgt_lang>": language_name(tgt_lang),
              "<input>": src, "<output>": tgt}
    out, rest = [], TEMPLATES[template]
    while rest:
        starts = [(rest.find(k), k) for k in values if rest.find(k) >= 0]
        if not starts:
            out.append(rest)
            break
        pos, key = min(starts)
        out.append(rest[:pos])
        out.append(values[key])
        rest = rest[pos + len(key):]
    return "".join(out)


def render_llamax(src: str, tgt: str, flip: bool) -> str:
    """LLaMAX connected format: both sides in one entry, joined by a single space."""
    return f"{tgt} {src}" if flip else f"{src} {tgt}"


def choose_template(pair_id: str, seed: int, templates: list[str]) -> str:
    return templates[int(unit_random(seed, pair_id, "template") * len(templates))]


def choose_flip(pair_id: str, seed: int, probability: float) -> bool:
    return unit_random(seed, pair_id, "flip") < probability


class RenderStage(Stage):
    name = "bitext_render"
    resources = Resources(cpus=0.25, memory_mb=256)
    batch_size = 2048
    _unpicklable = ("_lexicon",)

    def __init__(self, cfg: RenderConfig) -> None:
        super().__init__()
        self.cfg = cfg
        self._lexicon: Lexicon | None = None

    def setup(self) -> None:
        if self.cfg.augment.lexicon_path:
            self._lexicon = load_lexicon(self.cfg.augment.lexicon_path)

    def render(self, pair_id: str, src: str, tgt: str, src_lang: str, tgt_lang: str) -> tuple[str, str]:
        """(text, how): how is the template letter, or 'connected'/'connected-flipped'."""
        if self.cfg.format == "marco":
            template = choose_template(pair_id, self.cfg.seed, list(self.cfg.templates))
            return render_marco(template, src, tgt, src_lang, tgt_lang), template
        flip = choose_flip(pair_id, self.cfg.seed, self.cfg.flip_probability)
        return render_llamax(src, tgt, flip), "connected-flipped" if flip else "connected"

    def process(self, batch: pa.Table) -> pa.Table:
        n = batch.num_rows
        text: list[str | None] = batch.column("text").to_pylist()
        how: list[str | None] = [None] * n
        augmented: list[str | None] = [None] * n
        cols: dict[str, list[Any]] = {c: batch.column(c).to_pylist() for c in ("id", "src", "tgt", "src_lang",
                                                                              "tgt_lang")}
        for i, ok in enumerate(active_mask(batch)):
            if not ok:
                continue
            pid, src, tgt, sl, tl = (cols[c][i] for c in ("id", "src", "tgt", "src_lang", "tgt_lang"))
            src, tgt = src.strip(), tgt.strip()
            text[i], how[i] = self.render(pid, src, tgt, sl, tl)
            if self._lexicon is not None:
                switched = code_switch(src, sl, tl, self._lexicon, self.cfg.augment.replace_ratio, self.cfg.seed, pid)
                augmented[i] = self.render(pid, switched, tgt, sl, tl)[0]
        batch = set_column(batch, "text", text)
        batch = set_column(batch, "template", pa.array(how, type=pa.string()))
        return set_column(batch, "augmented_text", pa.array(augmented, type=pa.string()))
