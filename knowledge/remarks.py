"""Messages that are not questions: greetings, thanks, acknowledgements, goodbyes, and text with
nothing in it to look up.

They must never be answered from the knowledge base ("thank you so much" is not a question about
funding), recorded as missed questions or offered to the team; the FAQ handler answers each in
kind. A message counts as a remark only when it holds nothing but such phrases and filler words:
"thanks, how do I join?" is a question.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from enum import StrEnum

from knowledge.analysis import words
from knowledge.lexicon import STOP_WORDS


class Remark(StrEnum):
    GREETING = "greeting"
    ACKNOWLEDGEMENT = "acknowledgement"
    THANKS = "thanks"
    GOODBYE = "goodbye"
    UNCLEAR = "unclear"  # nothing to look up: punctuation, numbers, "1 OR 1=1", a keyboard mash


# In a message with several kinds ("ok thanks, bye"), the one latest in this order answers.
_PRECEDENCE = (Remark.GREETING, Remark.ACKNOWLEDGEMENT, Remark.THANKS, Remark.GOODBYE)

_PHRASES: dict[Remark, tuple[str, ...]] = {
    Remark.GREETING: (
        "hi",
        "hello",
        "hey",
        "hiya",
        "howdy",
        "greetings",
        "yo",
        "good morning",
        "good afternoon",
        "good evening",
        "good day",
        "morning",
        "afternoon",
        "evening",
        "how are you",
        "how are you doing",
        "how is it going",
        "how do you do",
        "nice to meet you",
        "pleased to meet you",
        "who are you",
        "what are you",
        "what can you do",
    ),
    Remark.ACKNOWLEDGEMENT: (
        "yes",
        "yeah",
        "yep",
        "yup",
        "no",
        "nope",
        "nah",
        "okay",
        "okey dokey",
        "alright",
        "all right",
        "fine",
        "sure",
        "good",
        "cool",
        "nice",
        "right",
        "understood",
        "got it",
        "i see",
        "makes sense",
        "noted",
        "sounds good",
        "fair enough",
        "never mind",
        "nevermind",
        "no problem",
        "no worries",
        "not really",
        "not now",
        "maybe",
        "will do",
        "no thanks",
        "no thank you",
    ),
    Remark.THANKS: (
        "thanks",
        "thank you",
        "thx",
        "ty",
        "cheers",
        "ta",
        "appreciated",
        "appreciate it",
        "much appreciated",
        "great",
        "perfect",
        "excellent",
        "brilliant",
        "lovely",
        "wonderful",
        "awesome",
        "fantastic",
        "helpful",
        "useful",
        "that helps",
        "that helped",
    ),
    Remark.GOODBYE: (
        "bye",
        "goodbye",
        "bye bye",
        "see you",
        "see you later",
        "see ya",
        "cya",
        "good night",
        "goodnight",
        "night",
        "farewell",
        "take care",
        "talk later",
        "have a nice day",
        "have a good day",
    ),
}
_BY_PHRASE = {
    tuple(words(phrase)): remark for remark, phrases in _PHRASES.items() for phrase in phrases
}
_LONGEST = max(len(phrase) for phrase in _BY_PHRASE)
_EMOJI = {"👍": Remark.ACKNOWLEDGEMENT, "👌": Remark.ACKNOWLEDGEMENT, "🙂": Remark.ACKNOWLEDGEMENT}
_EMOJI |= {"😊": Remark.ACKNOWLEDGEMENT, "🙏": Remark.THANKS, "👋": Remark.GREETING}
# Words that may surround a remark without making it a question: "oh thank you so much".
_FILLER = STOP_WORDS | {"so", "much", "again", "too", "oh", "ah", "um", "well", "now", "indeed"}
# Whom a remark is addressed to, right after it: "thanks bot" (but "what is this bot for?").
_ADDRESSEES = frozenset({"bot", "team", "all", "everyone", "everybody", "folks", "mate", "friend"})
_LETTER = re.compile(r"[a-z]")


def remark_in(text: str, folded: Sequence[str]) -> Remark | None:
    """The remark `text` is (`folded` being its words), or None when it may be a question."""
    small_talk = _small_talk(text, folded)
    if small_talk:
        return max(small_talk, key=_PRECEDENCE.index)
    if not any(_LETTER.search(word) for word in folded if word not in STOP_WORDS):
        return Remark.UNCLEAR
    return None


def _small_talk(text: str, folded: Sequence[str]) -> list[Remark]:
    """Every kind of small talk in the message, or none when it holds anything else as well."""
    found = [remark for emoji, remark in _EMOJI.items() if emoji in text]
    position = 0
    while position < len(folded):
        phrase = _phrase_at(folded, position)
        if phrase:
            found.append(_BY_PHRASE[phrase])
            position += len(phrase)
            if folded[position : position + 1] and folded[position] in _ADDRESSEES:
                position += 1
        elif folded[position] in _FILLER:
            position += 1
        else:
            return []
    return found


def _phrase_at(folded: Sequence[str], position: int) -> tuple[str, ...]:
    """The longest remark phrase starting at `position`, or () when none does."""
    for length in range(_LONGEST, 0, -1):
        phrase = tuple(folded[position : position + length])
        if len(phrase) == length and phrase in _BY_PHRASE:
            return phrase
    return ()
