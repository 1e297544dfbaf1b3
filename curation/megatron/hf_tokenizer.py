"""A Hugging Face ``tokenizer.json`` seen through megatron-core's tokenizer interface.

megatron-core's own HF wrapper needs ``transformers``; the ``tokenizers`` library alone reads
any ``tokenizer.json`` (Qwen2's included), and GPTDataset only needs ``vocab_size`` and ``eod``.
"""

from __future__ import annotations

from collections import OrderedDict
from collections.abc import Sequence
from pathlib import Path

import numpy as np
from megatron.core.datasets.indexed_dataset import DType
from megatron.core.tokenizers import MegatronTokenizerBase
from tokenizers import Tokenizer

# End-of-document tokens tried in order when none is named: Qwen2 / GPT-2 first, then common others.
EOD_CANDIDATES = ("<|endoftext|>", "</s>", "<eos>", "<|end_of_text|>", "[SEP]")


class TokenizerError(ValueError):
    """A tokenizer that cannot be used (missing file, no end-of-document token)."""


def load_tokenizer(path: str | Path) -> Tokenizer:
    p = Path(path)
    if p.is_dir():
        p = p / "tokenizer.json"
    if not p.is_file():
        raise TokenizerError(f"tokenizer.json not found: {p}")
    try:
        return Tokenizer.from_file(str(p))
    except Exception as err:  # noqa: BLE001 - the tokenizers library raises plain Exception
        raise TokenizerError(f"{p}: not a Hugging Face tokenizer.json ({err})") from None


def find_eod(tok: Tokenizer, name: str | None = None) -> int:
    """Id of the end-of-document token: ``name`` if given, else the first known candidate present."""
    for cand in [name] if name else EOD_CANDIDATES:
        idx = tok.token_to_id(cand)
        if idx is not None:
            return int(idx)
    wanted = name or " / ".join(EOD_CANDIDATES)
    raise TokenizerError(f"tokenizer has no end-of-document token {wanted}; name one with --eod-token")


def vocab_size(tok: Tokenizer) -> int:
    return int(tok.get_vocab_size(with_added_tokens=True))


def token_dtype(n_vocab: int) -> type[np.number]:
    """Megatron's own choice: uint16 below 65,500 ids, int32 otherwise (``DType.optimal_dtype``)."""
    return DType.optimal_dtype(n_vocab)


class HFTokenizer(MegatronTokenizerBase):
    """What GPTDataset and the training script need from a tokenizer, over ``tokenizers.Tokenizer``."""

    def __init__(self, path: str | Path, eod_token: str | None = None) -> None:
        super().__init__(str(path), {})
        self._tok = load_tokenizer(path)
        self._eod = find_eod(self._tok, eod_token)

    def tokenize(self, text: str) -> list[int]:
        return list(self._tok.encode(text, add_special_tokens=False).ids)

    def detokenize(self, ids: Sequence[int]) -> str:
        return str(self._tok.decode(list(ids), skip_special_tokens=False))

    @property
    def unique_identifiers(self) -> OrderedDict:
        """What makes datasets built with this tokenizer distinct (part of megatron's cache key)."""
        return OrderedDict([("class", f"{type(self).__module__}.{type(self).__qualname__}"),
                            ("tokenizer_path", self.path), ("eod", self._eod)])

    @property
    def vocab(self) -> dict[str, int]:
        return dict(self._tok.get_vocab(with_added_tokens=True))

    @property
    def vocab_size(self) -> int:
        return vocab_size(self._tok)

    @property
    def eod(self) -> int:
        return self._eod

    def apply_chat_template(self, *args: object, **kwargs: object) -> str:
        raise NotImplementedError("chat templates are not used for pretraining data")
