"""The FAQ in batch: `cedp-bot ask` answers one question per stdin line, as the chat would."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

from bot.commandline import CliCommands, Invocation, argument
from bot.settings import Settings
from knowledge.base import KnowledgeBase, load_knowledge
from knowledge.engine import MatchResult
from knowledge.semantic import choose_encoder

cli = CliCommands()

KB_OPTION = argument(
    "--kb",
    type=Path,
    metavar="PATH",
    help="knowledge base file or folder (default: CEDP_KNOWLEDGE_PATH)",
)


def knowledge_for(settings: Settings, path: Path | None) -> KnowledgeBase:
    """The knowledge base a command works on: `--kb PATH`, else the configured one, with the
    semantic matcher when the settings turn it on."""
    return load_knowledge(path or settings.knowledge_path, choose_encoder(settings.semantic))


def _question(line: str) -> str:
    """A stdin line is plain text or a JSON object with "q"."""
    stripped = line.strip()
    if stripped.startswith("{"):
        try:
            parsed = json.loads(stripped)
        except json.JSONDecodeError:
            return stripped
        if isinstance(parsed, dict) and isinstance(parsed.get("q"), str):
            return parsed["q"]
    return stripped


def ask_record(question: str, result: MatchResult) -> dict[str, Any]:
    """One line of `ask --json`."""
    best = result.answer
    top = result.candidates[0].score if result.candidates else 0.0
    return {
        "q": question,
        "id": best.entry.id if best else None,
        "score": best.score if best else top,
        "answer": best.entry.answer if best else None,
        "candidates": [{"id": m.entry.id, "score": m.score} for m in result.candidates],
    }


@cli.tool(
    "ask",
    KB_OPTION,
    argument("--json", dest="as_json", action="store_true", help="print one JSON object per line"),
    help="answer questions from stdin, one per line",
)
async def ask(invocation: Invocation, *, kb: Path | None, as_json: bool) -> int:
    knowledge = knowledge_for(invocation.settings, kb)
    for line in invocation.stdin:
        question = _question(line)
        record = ask_record(question, knowledge.match(question))
        if as_json:
            invocation.stdout.write(json.dumps(record, ensure_ascii=False) + "\n")
        else:
            answer = record["answer"] or "(not answered confidently)"
            invocation.stdout.write(
                f"Q: {question}\n   {record['id']} ({record['score']}): {answer}\n"
            )
    return 0
