"""The optional semantic matcher: offline MiniLM embeddings that meet questions sharing no word
with their entry. Skipped without the extra, unless CEDP_REQUIRE_SEMANTIC=1 (as in CI)."""

from __future__ import annotations

import os

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


def test_the_model_loads_from_the_installed_package_offline(encoder) -> None:
    vector = encoder.encode_question("hello")
    assert vector.shape == (384,)
    assert abs(float((vector**2).sum()) - 1.0) < 1e-4
    assert os.environ.get("HF_HUB_OFFLINE") == "1"


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
