"""Synthetic knowledge bases and queries for the FAQ benchmark, grown from a real sample.

Each synthetic entry starts from one sample entry and is perturbed so that a large base has
the variety of a real one rather than thousands of copies:

* one or two topic words of the question (not intent or question words) are swapped, in the
  question, alternates and answer alike, for words from a pool of a few hundred domain and
  general English words (plural kept);
* the question is put through one of several sentence templates and tied to a place and unit
  ("for the Ashbury cohort"), with an ordinal or number now and then;
* 3-5 alternates: the sample's own (perturbed) plus keyword-style and conversational templates;
* an answer of 40-120 words: the sample's answer, sometimes reordered, topped up with sentences
  borrowed from other sample answers and from templates, cut at a sentence boundary.

Everything is driven by one `random.Random`, so a seed gives the same base every time.
"""

from __future__ import annotations

import json
import random
import re
import textwrap
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from pathlib import Path

from knowledge.analysis import Analyzer, words
from knowledge.base import Entry
from knowledge.lexicon import STOP_WORDS

DOMAIN_WORDS = """
    appraisal governance commissioning workforce board trust budget placement secondment
    fellowship portfolio network conference residential workshop induction revalidation audit
    assurance compliance strategy leadership succession talent pipeline cohort module seminar
    webinar retreat masterclass bursary grant allowance reimbursement expenses contract tender
    procurement partnership alliance integration merger acquisition transformation improvement
    quality safety incident inspection regulator registration licence accreditation certificate
    diploma qualification credential transcript syllabus curriculum timetable rota roster shift
    handover escalation complaint grievance disciplinary tribunal appeal ombudsman advocate
    steward chair deputy director executive manager trustee governor clinician consultant
    registrar nurse midwife therapist pharmacist paramedic surgeon physician practitioner
    commissioner analyst adviser facilitator assessor examiner sponsor ambassador champion
    fellow alumnus delegate observer secretariat committee subcommittee panel forum council
    assembly caucus taskforce directorate division department ward clinic hospital hospice
    practice surgery pharmacy laboratory theatre outpatient inpatient admission discharge
    referral waiting backlog capacity demand forecast dashboard scorecard benchmark indicator
    target outcome milestone deliverable objective priority roadmap blueprint framework toolkit
    handbook guidance protocol policy procedure standard charter constitution mandate remit
    agenda minutes briefing bulletin newsletter circular digest memo dossier casebook logbook
    journal diary planner calendar schedule deadline extension deferral sabbatical leave
    absence vacancy recruitment retention turnover payroll pension salary stipend honorarium
    invoice receipt voucher ledger account reserve surplus deficit efficiency productivity
    innovation pilot evaluation review survey census feedback appraisal coaching mentoring
    shadowing buddying supervision reflection resilience wellbeing burnout stress sickness
    occupational dispute mediation negotiation arbitration consultation engagement
    communication stakeholder patient carer volunteer community population locality
    neighbourhood county borough district parish region estate campus premises facility annexe
""".split()

GENERAL_WORDS = """
    window garden kitchen bicycle ticket parcel letter envelope stamp notebook pencil folder
    binder stapler printer scanner laptop tablet keyboard monitor speaker microphone camera
    headset charger cable adapter router password username badge lanyard locker drawer cabinet
    shelf desk chair table sofa lamp curtain carpet blanket pillow umbrella jacket scarf glove
    boot sandwich biscuit coffee teacup kettle flask lunchbox canteen restaurant hotel hostel
    station platform train coach ferry taxi parking garage driveway motorway junction bridge
    tunnel river harbour beach valley forest meadow orchard village town city capital suburb
    street avenue square market bakery library museum gallery cinema stadium arena chapel
    cathedral castle tower lighthouse cottage mansion apartment studio basement attic balcony
    corridor staircase elevator entrance exit doorway gateway fence hedge pathway journey
    voyage holiday weekend morning afternoon evening midnight season winter spring summer
    autumn weather sunshine thunder breeze snowfall harvest festival ceremony celebration
    birthday anniversary wedding reunion picnic barbecue concert recital rehearsal audition
    lecture tutorial exam quiz puzzle riddle story novel poem chapter paragraph sentence
    headline caption footnote index glossary summary outline sketch diagram chart graph table
    spreadsheet document template signature stamp seal ribbon medal trophy award prize
    voucher coupon discount bargain purchase delivery shipment courier postcode address
    telephone extension voicemail message reminder notification alert signal beacon
    allotment apron backpack balloon basket battery bench blackboard bookcase bottle bucket
    calculator candle canvas cardigan carton ceiling chalk clipboard clock compass cushion
    dashboard dictionary doormat easel eraser fountain freezer frying funnel gazebo hammer
    hammock jigsaw jug kiosk ladder lantern lawn magnet mailbox mattress microwave mirror
    napkin needle padlock paintbrush pavement pedal pitcher plaque porch postbox pottery
    projector quilt rucksack ruler saucepan scissors shoebox skylight sponge spotlight
    suitcase teapot thermos toaster toolbox torch tray tripod trolley tumbler typewriter
    vase wallet wardrobe whistle windmill workbench wristband yardstick
    archive atlas ballot banner brochure catalogue checklist column deed edition emblem
    estimate exhibit fixture flyer gazette handout itinerary label leaflet manifest map
    marker motto notice pamphlet petition placard poster questionnaire quota ranking
    rating recipe register report roll sample scorecard slogan statement sticker
    subscription tally tariff testimonial ticketing token transcript valuation warrant
""".split()

ADJECTIVES = """
    annual quarterly monthly weekly regional national local central northern southern eastern
    western rural urban senior junior interim permanent temporary virtual hybrid online
    in-person residential advanced introductory intensive flexible optional mandatory formal
    informal confidential public private joint shared individual collective strategic
    operational clinical financial digital practical reflective extended accelerated
""".split()

PLACE_HEADS = """
    Ash Brad Brook Car Clay Dun East Elm Fair Fern Green Hal Hart Hazel King Lang Lyn Mar
    Mill North Oak Pen Red Rose Stan Stone Thorn West Whit Wood York Bel Cot Dal Glen Hol
""".split()
PLACE_TAILS = """
    bury field ford ham ley mouth stead ton wick worth borough combe dale gate hurst port
    minster bridge well more
""".split()
UNITS = ("cohort", "region", "network", "trust", "board", "partnership", "group", "site", "intake")
SURNAME_HEADS = """
    Ab Bar Chal Dray Ever Fin Gold Hay Ire Jen Kel Lock Mor Nor Ox Pres Quin Rad Sel Tal
    Up Vaugh War Yar
""".split()
SURNAME_TAILS = "ton son well ridge croft man er by ley hall wood shaw".split()
FIRST_NAMES = """
    Alan Amira Bethan Carys Daniel Deepa Eamon Fatima Gareth Hannah Imran Joanna Kwame Laura
    Mohammed Niamh Owen Priya Rhys Sanjay Tessa Uma Victor Wendy Yusuf Zara
""".split()

# Content words for out-of-scope questions; any that the base happens to contain are dropped.
OUT_OF_SCOPE_NOUNS = """
    volcano guitar lasagne trampoline submarine penguin snorkel karaoke parrot saxophone
    skateboard hamster lawnmower jacuzzi marmalade croissant dinosaur telescope kayak surfboard
    crossword sudoku aquarium goldfish tortoise hedgehog badminton snooker darts bowling
    marathon triathlon yoga pilates zumba tattoo piercing haircut manicure perfume lipstick
    wallpaper plumbing boiler radiator chimney gutter patio decking conservatory greenhouse
    allotment compost tomato courgette aubergine pumpkin pancake omelette risotto curry sushi
    burrito smoothie milkshake cocktail whisky cider lager vineyard brewery distillery casino
    lottery jackpot horoscope astrology tarot unicorn dragon wizard pirate zombie vampire
    spaceship asteroid comet galaxy nebula satellite rocket drone hovercraft helicopter glider
    caravan campervan motorbike scooter tractor bulldozer crane forklift mortgage pawnshop
""".split()
OUT_OF_SCOPE_VERBS = """
    defrost tune juggle knit paddle bake repaint unclog descale hoover iron polish sharpen
    water prune harvest ferment brew pickle marinate whisk skate surf ski hike climb sail
""".split()
# Kept as they are: question words, names, and common verbs (the swapped words are nouns).
_PROTECTED = frozenset(
    """how when where who why cedp nhs executive executives chief look send make find give
    take work need turn reach ring speak happen mean meet count include keep come go put
    happens means works share stay hear leave move start pass ask reply answer offer run
    runs show shows say says call help talk happy unhappy suggest""".split()
)
_TOKEN = re.compile(r"[A-Za-z][A-Za-z'-]*")
_LONG_WORD = re.compile(r"\b[A-Za-z]{5,}\b")
_SENTENCE = re.compile(r"(?<=[.!?])\s+")


@dataclass(frozen=True, slots=True)
class SyntheticEntry:
    id: str
    question: str
    alternates: tuple[str, ...]
    answer: str
    tags: tuple[str, ...]
    follow_ups: tuple[str, ...]
    place: str


def plural(word: str) -> str:
    if word.endswith(("s", "x", "ch", "sh")):
        return f"{word}es"
    if word.endswith("y") and word[-2:-1] not in set("aeiou"):
        return f"{word[:-1]}ies"
    return f"{word}s"


def ordinal(number: int) -> str:
    suffix = (
        "th" if 10 <= number % 100 <= 20 else {1: "st", 2: "nd", 3: "rd"}.get(number % 10, "th")
    )
    return f"{number}{suffix}"


def place_names() -> list[str]:
    return [head + tail for head in PLACE_HEADS for tail in PLACE_TAILS]


def known_words(texts: Iterable[str]) -> set[str]:
    """The words the engine will know: folded words of every text, plus concept words."""
    known = set(Analyzer().concept_words())
    for text in texts:
        known.update(words(text))
    return known


def entry_texts(entries: Iterable[SyntheticEntry]) -> Iterable[str]:
    for entry in entries:
        yield entry.question
        yield from entry.alternates
        yield entry.answer


class _Substitution:
    """Swaps an entry's topic words, case and plural kept, consistently across its texts."""

    def __init__(self, mapping: dict[str, str]) -> None:
        self.mapping = mapping
        self._pattern = (
            re.compile(r"\b(" + "|".join(map(re.escape, mapping)) + r")(s?)\b", re.IGNORECASE)
            if mapping
            else None
        )

    def __call__(self, text: str) -> str:
        if self._pattern is None:
            return text
        return self._pattern.sub(self._replace, text)

    def _replace(self, match: re.Match[str]) -> str:
        new = self.mapping[match.group(1).lower()]
        if match.group(2):
            new = plural(new)
        return new.capitalize() if match.group(1)[0].isupper() else new


class Generator:
    def __init__(self, sample: Sequence[Entry], seed: int = 20240501) -> None:
        if not sample:
            raise ValueError("the sample knowledge base holds no entries")
        self.sample = list(sample)
        self.rng = random.Random(seed)
        self.places = place_names()
        self.pool = sorted(set(DOMAIN_WORDS) | set(GENERAL_WORDS))
        self._concept_words = Analyzer().concept_words()
        self._sentences = [
            (e.id, s) for e in self.sample for s in _SENTENCE.split(e.answer.replace("\n", " "))
        ]

    # --- entries ---------------------------------------------------------------------------

    def entries(self, count: int) -> list[SyntheticEntry]:
        ids = [f"{self.sample[i % len(self.sample)].id}-{i:05d}" for i in range(count)]
        return [self._entry(ids[i], self.sample[i % len(self.sample)], ids) for i in range(count)]

    def _topic_words(self, text: str) -> list[str]:
        found = []
        for token in _TOKEN.findall(text):
            word = token.lower()
            if word.endswith("s") and not word.endswith("ss"):
                word = word[:-1]
            if (
                len(word) >= 4
                and word.isalpha()
                and word not in STOP_WORDS
                and word not in _PROTECTED
                and not word.endswith("ed")
                and word not in self._concept_words
                and word not in found
            ):
                found.append(word)
        return found

    def _entry(self, entry_id: str, base: Entry, ids: Sequence[str]) -> SyntheticEntry:
        rng = self.rng
        topics = self._topic_words(base.question) or self._topic_words(" ".join(base.phrasings))
        chosen = rng.sample(topics, k=min(len(topics), rng.choice((1, 2, 2))))
        swap = _Substitution({word: rng.choice(self.pool) for word in chosen})
        place, unit = rng.choice(self.places), rng.choice(UNITS)
        if rng.random() < 0.1:
            unit = f"{unit} {rng.randint(2, 40)}"
        elif rng.random() < 0.1:
            place = f"{ordinal(rng.randint(1, 12))} {place}"
        topic = " ".join(swap.mapping.values()) or rng.choice(self.pool)
        core = swap(base.question).rstrip("?.! ")
        lowered = core[0].lower() + core[1:]
        question = rng.choice(
            (
                f"{core} for the {place} {unit}?",
                f"{core} in the {place} {unit}?",
                f"For the {place} {unit}: {lowered}?",
                f"{core}? ({place} {unit})",
                f"{place} {unit}: {lowered}?",
            )
        )
        alternates = [swap(text) for text in base.alternates]
        if alternates and rng.random() < 0.5:
            alternates[0] = f"{alternates[0].rstrip('?.! ')} in {place}?"
        adjective = rng.choice(ADJECTIVES)
        generated = rng.sample(
            [
                f"{topic} {place}",
                f"{place} {unit} {topic}?",
                f"{lowered} {place}".lower(),
                f"how does the {topic} work for the {place} {unit}",
                f"question about {adjective} {topic} in {place}",
                f"Where can I find out about {topic} for {place}?",
                f"{adjective} {topic} at {place}",
                f"Is there anything on {topic} for the {place} {unit}?",
                f"{topic} rules for {place} members",
                f"I am in the {place} {unit} - {lowered}?",
                f"{topic} and the {place} {unit}",
                f"{place}: {topic}",
            ],
            k=3,
        )
        wanted = rng.randint(3, 5)
        alternates = (alternates + generated)[:wanted]
        follow_ups = tuple(rng.sample(ids, k=rng.randint(1, 2))) if rng.random() < 0.3 else ()
        return SyntheticEntry(
            id=entry_id,
            question=question,
            alternates=tuple(alternates),
            answer=self._answer(base, swap, place, unit, topic),
            tags=(*base.tags, unit.split()[0]),
            follow_ups=tuple(f for f in follow_ups if f != entry_id),
            place=place,
        )

    def _answer(self, base: Entry, swap: _Substitution, place: str, unit: str, topic: str) -> str:
        rng = self.rng
        sentences = [swap(s) for s in _SENTENCE.split(base.answer.replace("\n", " ")) if s]
        if len(sentences) > 2 and rng.random() < 0.3:
            middle = sentences[1:]
            rng.shuffle(middle)
            sentences = [sentences[0], *middle]
        target = rng.randint(40, 120)
        while sum(len(s.split()) for s in sentences) < target:
            source, borrowed = rng.choice(self._sentences)
            if source != base.id and rng.random() < 0.5:
                sentences.append(swap(borrowed))
            else:
                sentences.append(self._filler(place, unit, topic))
        kept: list[str] = []
        total = 0
        for sentence in sentences:
            length = len(sentence.split())
            if total + length > 120:
                break
            kept.append(sentence)
            total += length
        while total < 40:  # only when one long sentence would overflow: pad with short ones
            short = f"Ask the {place} {unit} lead about {rng.choice(self.pool)}."
            kept.append(short)
            total += len(short.split())
        return " ".join(kept)

    def _filler(self, place: str, unit: str, topic: str) -> str:
        rng = self.rng
        a, b = rng.sample(self.pool, 2)
        adjective = rng.choice(ADJECTIVES)
        person = f"{rng.choice(FIRST_NAMES)} {rng.choice(SURNAME_HEADS)}{rng.choice(SURNAME_TAILS)}"
        return rng.choice(
            (
                f"The {place} {unit} office can answer questions about {a} and {b}.",
                f"Arrangements for {adjective} {topic} are sent to members each {b}.",
                f"For anything about {a}, write to {person} in the {place} {unit}.",
                f"Members of the {place} {unit} usually combine this with the {adjective} {a}.",
                f"A short note on {topic} and {b} is in the {place} {unit} handbook.",
                f"The {ordinal(rng.randint(1, 9))} {adjective} {a} review covers {topic} too.",
                f"{person} looks after {a} for the {place} {unit}.",
                f"The {adjective} {b} is unaffected by this.",
                f"Some {place} members also ask about {a}; the answer is much the same.",
                f"This applies equally to {adjective} {topic} and {a}.",
            )
        )

    # --- queries ---------------------------------------------------------------------------

    def typo(self, text: str, known: set[str], used: set[str]) -> tuple[str, str | None]:
        """`text` with one word of five letters or more misspelt (two adjacent letters swapped,
        or one dropped) into a form neither in the base nor used before; the new form too."""
        rng = self.rng
        spans = [m.span() for m in _LONG_WORD.finditer(text) if m.group().lower() not in STOP_WORDS]
        rng.shuffle(spans)
        for start, end in spans:
            word = text[start:end]
            for _ in range(6):
                at = rng.randrange(1, len(word) - 1)
                if rng.random() < 0.5:
                    wrong = word[:at] + word[at + 1] + word[at] + word[at + 2 :]
                else:
                    wrong = word[:at] + word[at + 1 :]
                folded = wrong.lower()
                if folded != word.lower() and folded not in known and folded not in used:
                    used.add(folded)
                    return text[:start] + wrong + text[end:], folded
        return text, None

    def rephrase(self, entry: SyntheticEntry) -> str:
        """One of the entry's phrasings as someone might type it."""
        rng = self.rng
        text = rng.choice((entry.question, *entry.alternates))
        if rng.random() < 0.6:
            text = text.lower()
        if rng.random() < 0.5:
            text = text.rstrip("?")
        tokens = text.split()
        stop = [i for i, t in enumerate(tokens) if t.lower() in STOP_WORDS]
        if stop and len(tokens) > 4 and rng.random() < 0.3:
            del tokens[rng.choice(stop)]
        prefix = rng.choice(
            ("", "", "", "hi, ", "quick question: ", "can you tell me ", "hello - ")
        )
        suffix = rng.choice(("", "", "", " please", " thanks", "?"))
        return prefix + " ".join(tokens) + suffix

    def out_of_scope(self, known: set[str]) -> str:
        rng = self.rng
        nouns = [w for w in OUT_OF_SCOPE_NOUNS if w not in known]
        verbs = [w for w in OUT_OF_SCOPE_VERBS if w not in known]
        n1, n2, n3 = rng.sample(nouns, 3)
        verb = rng.choice(verbs)
        return rng.choice(
            (
                f"how do I {verb} my {n1}",
                f"where is the nearest {n1} {n2}",
                f"is my {n1} compatible with the {n2}?",
                f"{n1} {n2} {n3}",
                f"can you {verb} a {n1} with a {n2}",
                f"why does my {n1} smell of {n2}",
                f"when does the {n1} {n2} open",
            )
        )


# --- writing YAML in the format of knowledge/content ------------------------------------------

_PLAIN = re.compile(r"^[A-Za-z0-9(£/][^#:\"'\[\]{}]*$")


def _scalar(text: str) -> str:
    """Plain when YAML reads it back unchanged, else double quoted (JSON is valid YAML)."""
    if _PLAIN.match(text) and not text.endswith(" ") and text.lower() not in {"yes", "no", "on"}:
        return text
    return json.dumps(text, ensure_ascii=False)


def _yaml_entry(entry: SyntheticEntry) -> str:
    lines = [f"- id: {entry.id}", f"  question: {_scalar(entry.question)}", "  alternates:"]
    lines += [f"    - {_scalar(text)}" for text in entry.alternates]
    lines.append("  answer: |")
    lines += textwrap.wrap(entry.answer, width=100, initial_indent="    ", subsequent_indent="    ")
    lines.append(f"  tags: [{', '.join(entry.tags)}]")
    if entry.follow_ups:
        lines.append(f"  follow_ups: [{', '.join(entry.follow_ups)}]")
    return "\n".join(lines)


def write_yaml(entries: Sequence[SyntheticEntry], folder: Path, files: int = 10) -> list[Path]:
    """The entries as `files` YAML files in `folder`, commented like the shipped content."""
    per_file = -(-len(entries) // files)
    written = []
    for number in range(files):
        chunk = entries[number * per_file : (number + 1) * per_file]
        if not chunk:
            break
        path = folder / f"synthetic-{number + 1:02d}.yaml"
        header = (
            f"# Synthetic entries {number * per_file + 1}-{number * per_file + len(chunk)}.\n\n"
        )
        path.write_text(header + "\n\n".join(map(_yaml_entry, chunk)) + "\n", encoding="utf-8")
        written.append(path)
    return written
