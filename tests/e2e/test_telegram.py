"""Telegram end to end: genuine updates POSTed to the running server, replies read at the fake
Bot API. Everything between is the real python-telegram-bot code path."""

from __future__ import annotations

import asyncio
import contextlib
import io
import json
import time
from typing import Any

import pytest
from sqlalchemy import func, select

from bot.adapters.telegram import SECRET_HEADER, WEBHOOK_PATH, TelegramAdapter
from bot.cli import main
from bot.messages import File
from bot.middleware import NOT_YOURS
from bot.settings import Settings
from domain.people import Role
from handlers.faq import HANDED_OVER
from storage.models import Delivery, Identity
from storage.repositories import Repositories
from tests.conftest import create_invite
from tests.e2e.conftest import TELEGRAM_SECRET, Endpoint, Served, ServerFactory
from tests.e2e.loopback import LoopbackPlatforms
from tests.e2e.payloads import TELEGRAM_GROUP_ID, telegram_callback, telegram_message

ALICE = 5001
HEADERS = {SECRET_HEADER: TELEGRAM_SECRET, "Content-Type": "application/json"}


async def post_update(server: Endpoint, update: dict[str, Any], **headers: str) -> int:
    status, _ = await server.post(WEBHOOK_PATH, json.dumps(update).encode(), headers or HEADERS)
    return status


def buttons(call: Any) -> list[dict[str, str]]:
    markup = call.params.get("reply_markup") or {"inline_keyboard": []}
    return [button for row in markup["inline_keyboard"] for button in row]


def button(call: Any, label: str) -> str:
    for found in buttons(call):
        if found["text"] == label:
            return found["callback_data"]
    raise AssertionError(f"no button {label!r} in {buttons(call)}")


async def count_processed(server: Served) -> int:
    async with server.bot.services.database.transaction() as session:
        return (await session.execute(select(func.count()).select_from(Delivery))).scalar()


async def test_a_whole_conversation_with_buttons(
    served: Served, platforms: LoopbackPlatforms
) -> None:
    await platforms.wait_for("setMyCommands")
    commands = [c["command"] for c in platforms.calls_to("setMyCommands")[0].params["commands"]]
    assert {"start", "help", "join", "link"} <= set(commands)
    assert "invite" not in commands  # staff commands stay out of everyone's menu

    assert await post_update(served, telegram_message(1, ALICE, "/start")) == 200
    [menu] = await platforms.wait_for("sendMessage")
    assert menu.params["chat_id"] == ALICE
    assert "Hello, Alice" in menu.params["text"]

    await post_update(served, telegram_callback(2, ALICE, button(menu, "Help"), message_id=9))
    await platforms.wait_for("answerCallbackQuery")  # the button stops spinning
    sent = await platforms.wait_for("sendMessage", count=2)
    assert "Here's what I can do" in sent[1].params["text"]

    await post_update(served, telegram_message(3, ALICE, "what is the programme?"))
    sent = await platforms.wait_for("sendMessage", count=3)
    answer = sent[2]
    assert len(answer.params["text"]) > 50
    vote = button(answer, "👍 Helpful")
    await post_update(served, telegram_callback(4, ALICE, vote, message_id=42))
    sent = await platforms.wait_for("sendMessage", count=4)
    assert "thank" in sent[3].params["text"].lower()


async def test_a_flow_that_moves_on_edits_the_message_whose_button_was_pressed(
    served: Served, platforms: LoopbackPlatforms
) -> None:
    await _join(served, platforms, ALICE, Role.STAFF)
    await post_update(served, telegram_message(1, ALICE, "/invite"))
    [*_, prompt] = await platforms.wait_for("sendMessage", count=2)
    await post_update(served, telegram_callback(2, ALICE, button(prompt, "Member"), message_id=77))
    [edited] = await platforms.wait_for("editMessageText")
    assert edited.params["message_id"] == 77
    assert edited.params["chat_id"] == ALICE
    assert "Invite code" in edited.params["text"]


@pytest.mark.parametrize(
    "headers",
    [
        {"Content-Type": "application/json"},
        {SECRET_HEADER: "wrong", "Content-Type": "application/json"},
        {SECRET_HEADER: TELEGRAM_SECRET[:-1], "Content-Type": "application/json"},
    ],
    ids=["missing", "wrong", "almost-right"],
)
async def test_forged_updates_are_refused_and_nothing_is_processed(
    served: Served, platforms: LoopbackPlatforms, headers: dict[str, str]
) -> None:
    assert await post_update(served, telegram_message(1, ALICE, "/start"), **headers) == 403
    await asyncio.sleep(0.3)
    assert platforms.calls_to("sendMessage") == []
    assert await count_processed(served) == 0


@pytest.mark.parametrize("body", [b"{not json", b"[1, 2]", b'{"no_update_id": 1}', b""], ids=str)
async def test_malformed_updates_get_400(served: Served, body: bytes) -> None:
    status, _ = await served.post(WEBHOOK_PATH, body, HEADERS)
    assert status == 400


async def test_the_webhook_answers_before_the_work_is_done(
    served: Served, platforms: LoopbackPlatforms
) -> None:
    platforms.rate_limit_next("sendMessage", times=1, retry_after=2)
    started = time.monotonic()
    assert await post_update(served, telegram_message(1, ALICE, "/help")) == 200
    assert time.monotonic() - started < 1.0
    await platforms.wait_for("sendMessage", timeout=10)


async def test_a_redelivered_update_is_answered_once_even_after_a_restart(
    start_server: ServerFactory, platforms: LoopbackPlatforms
) -> None:
    update = telegram_message(7, ALICE, "/help")
    async with start_server() as first:
        await post_update(first, update)
        await platforms.wait_for("sendMessage")
        await post_update(first, update)
        await asyncio.sleep(0.3)
    async with start_server() as second:
        assert await post_update(second, update) == 200
        await post_update(second, telegram_message(8, ALICE, "/start"))
        await platforms.wait_for("sendMessage", count=2)
    texts = [call.params["text"] for call in platforms.calls_to("sendMessage")]
    assert sum("Here's what I can do" in text for text in texts) == 1


async def test_a_429_is_waited_out_and_the_message_still_arrives(
    served: Served, platforms: LoopbackPlatforms
) -> None:
    platforms.rate_limit_next("sendMessage", times=2, retry_after=1)
    await post_update(served, telegram_message(1, ALICE, "/help"))
    [delivered] = await platforms.wait_for("sendMessage", timeout=10)
    refused = [c for c in platforms.calls_to("sendMessage", ok_only=False) if c.answered == 429]
    assert len(refused) == 2
    assert delivered.at - refused[0].at >= 1.9  # two waits of a second each


async def test_in_a_group_the_bot_speaks_only_when_addressed_and_keeps_personal_data_out(
    served: Served, platforms: LoopbackPlatforms
) -> None:
    group = {"chat_type": "supergroup"}
    await post_update(served, telegram_message(1, ALICE, "what is the programme?", **group))
    await post_update(served, telegram_message(2, ALICE, "/help@another_bot", **group))
    await asyncio.sleep(0.3)
    assert platforms.calls_to("sendMessage") == []

    asked = "@cedp_test_bot what is the programme?"
    await post_update(served, telegram_message(3, ALICE, asked, **group))
    [answer] = await platforms.wait_for("sendMessage")
    assert answer.params["chat_id"] == TELEGRAM_GROUP_ID

    await post_update(served, telegram_message(4, ALICE, "/me@cedp_test_bot", **group))
    sent = await platforms.wait_for("sendMessage", count=2)
    assert "direct message" in sent[1].params["text"]
    assert "Name:" not in sent[1].params["text"]


async def test_in_a_group_a_button_works_only_for_the_member_it_answered(
    served: Served, platforms: LoopbackPlatforms
) -> None:
    group = {"chat_type": "supergroup"}
    await post_update(
        served, telegram_message(1, ALICE, "@cedp_test_bot can I bring my dog?", **group)
    )
    [offer] = await platforms.wait_for("sendMessage")
    ask_team = button(offer, "Ask the programme team")

    bob = ALICE + 1
    await post_update(served, telegram_callback(2, bob, ask_team, message_id=9, **group))
    [_, refusal] = await platforms.wait_for("sendMessage", count=2)
    assert refusal.params["text"] == NOT_YOURS
    async with served.bot.services.database.transaction() as session:
        assert await Repositories.bound_to(session).team_questions.open() == []

    await post_update(served, telegram_callback(3, ALICE, ask_team, message_id=9, **group))
    [*_, handed_over] = await platforms.wait_for("sendMessage", count=3)
    assert handed_over.params["text"] == HANDED_OVER


async def test_a_reply_to_the_bot_in_a_group_counts_as_addressed(
    served: Served, platforms: LoopbackPlatforms
) -> None:
    update = telegram_message(1, ALICE, "and who runs it?", chat_type="group", reply_to_bot=True)
    await post_update(served, update)
    [reply] = await platforms.wait_for("sendMessage")
    assert reply.params["chat_id"] == TELEGRAM_GROUP_ID


async def _join(server: Served, platforms: LoopbackPlatforms, user_id: int, role: Role) -> None:
    code = await create_invite(server.bot, role)
    before = len(platforms.calls_to("sendMessage"))
    await post_update(server, telegram_message(user_id * 10, user_id, f"/join {code}"))
    [*_, welcome] = await platforms.wait_for("sendMessage", count=before + 1)
    assert "Welcome" in welcome.params["text"]


async def test_a_person_who_blocked_the_bot_is_marked_for_staff_and_nothing_crashes(
    served: Served, platforms: LoopbackPlatforms, monkeypatch: pytest.MonkeyPatch
) -> None:
    await _join(served, platforms, ALICE, Role.MEMBER)
    platforms.block_chat(ALICE)
    await post_update(served, telegram_message(2, ALICE, "/help"))
    await asyncio.sleep(0.5)
    assert await _unreachable_reason(served, ALICE) == "Forbidden: bot was blocked by the user"

    monkeypatch.setenv("CEDP_DATABASE_URL", served.bot.services.settings.database_url)
    listing = await asyncio.to_thread(_cli, "members", "list")
    assert "unreachable since" in listing and "blocked" in listing

    platforms.unblock_chat(ALICE)
    await post_update(served, telegram_message(3, ALICE, "/help"))
    await platforms.wait_for("sendMessage", count=2)
    assert await _unreachable_reason(served, ALICE) is None  # writing again proves them back


async def test_blocking_the_bot_is_recorded_from_telegrams_own_notice(
    served: Served, platforms: LoopbackPlatforms
) -> None:
    await _join(served, platforms, ALICE, Role.MEMBER)
    user = {"id": ALICE, "is_bot": False, "first_name": "Alice"}
    bot_user = {"id": LoopbackPlatforms.BOT_ID, "is_bot": True, "first_name": "CEDP"}
    notice = {
        "update_id": 99,
        "my_chat_member": {
            "chat": {"id": ALICE, "type": "private", "first_name": "Alice"},
            "from": user,
            "date": int(time.time()),
            "old_chat_member": {"status": "member", "user": bot_user},
            "new_chat_member": {"status": "kicked", "user": bot_user, "until_date": 0},
        },
    }
    await post_update(served, notice)
    for _ in range(50):
        if await _unreachable_reason(served, ALICE):
            break
        await asyncio.sleep(0.05)
    assert await _unreachable_reason(served, ALICE) == "blocked the bot"


async def _unreachable_reason(server: Served, user_id: int) -> str | None:
    async with server.bot.services.database.transaction() as session:
        query = select(Identity.unreachable_reason).where(
            Identity.platform == "telegram", Identity.external_id == str(user_id)
        )
        return (await session.execute(query)).scalar_one()


def _cli(*args: str) -> str:
    """Run the command line and return what it printed."""
    out = io.StringIO()
    with contextlib.redirect_stdout(out):
        assert main(list(args)) == 0
    return out.getvalue()


async def test_staff_are_notified_on_telegram_without_writing_first(
    served: Served, platforms: LoopbackPlatforms
) -> None:
    staff = 9001
    await _join(served, platforms, staff, Role.STAFF)
    await post_update(served, telegram_message(1, ALICE, "xylophone repair near leeds?"))
    sent = await platforms.wait_for("sendMessage", count=2)
    await post_update(
        served,
        telegram_callback(2, ALICE, button(sent[-1], "Ask the programme team"), message_id=5),
    )
    deadline = time.monotonic() + 5
    while time.monotonic() < deadline:
        to_staff = [c for c in platforms.calls_to("sendMessage") if c.params["chat_id"] == staff]
        if len(to_staff) >= 2:  # the welcome, then the notification
            break
        await asyncio.sleep(0.05)
    assert "xylophone" in to_staff[-1].params["text"]


async def test_long_replies_are_split_at_paragraphs_and_html_is_escaped(
    served: Served, platforms: LoopbackPlatforms
) -> None:
    async with served.bot.services.database.transaction() as session:
        paragraphs = [f"<Part {n}> & more: " + "x" * 1500 for n in range(5)]
        await Repositories.bound_to(session).outbox.enqueue(
            "telegram", str(ALICE), "\n\n".join(paragraphs), served.bot.services.clock()
        )
    sent = await platforms.wait_for("sendMessage", count=3)
    texts = [call.params["text"] for call in sent]
    assert all(len(text) <= 4096 + 200 for text in texts)  # entities count as one character
    assert texts[0].startswith("&lt;Part 0&gt; &amp; more: ")
    assert all(call.params["parse_mode"] == "HTML" for call in sent)
    assert sum(text.count("&lt;Part") for text in texts) == 5  # no paragraph cut in two


async def test_long_polling_serves_without_a_webhook(
    start_server: ServerFactory, platforms: LoopbackPlatforms
) -> None:
    async with start_server(telegram_polling=True) as server:
        platforms.queue_update(telegram_message(1, ALICE, "/help"))
        [reply] = await platforms.wait_for("sendMessage")
        assert "Here's what I can do" in reply.params["text"]
        status, _ = await server.post(WEBHOOK_PATH, b"{}", HEADERS)
        assert status in {404, 405}


async def test_set_webhook_registers_the_secret_and_the_update_types(
    platforms: LoopbackPlatforms, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("TELEGRAM_BOT_TOKEN", platforms.TELEGRAM_TOKEN)
    monkeypatch.setenv("TELEGRAM_API_BASE_URL", platforms.telegram_base_url)
    monkeypatch.setenv("TELEGRAM_WEBHOOK_SECRET", TELEGRAM_SECRET)
    url = "https://cedp.example.nhs.uk/telegram/webhook"
    assert await asyncio.to_thread(main, ["telegram", "set-webhook", "--url", url]) == 0
    [call] = platforms.calls_to("setWebhook")
    assert call.params["url"] == url
    assert call.params["secret_token"] == TELEGRAM_SECRET
    assert set(call.params["allowed_updates"]) == {"message", "callback_query", "my_chat_member"}


async def test_set_webhook_refuses_to_register_without_a_secret(
    platforms: LoopbackPlatforms, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("TELEGRAM_BOT_TOKEN", platforms.TELEGRAM_TOKEN)
    monkeypatch.setenv("TELEGRAM_API_BASE_URL", platforms.telegram_base_url)
    monkeypatch.delenv("TELEGRAM_WEBHOOK_SECRET", raising=False)
    code = await asyncio.to_thread(main, ["telegram", "set-webhook", "--url", "https://x.test/"])
    assert code == 1
    assert platforms.calls_to("setWebhook") == []


async def test_the_webhook_is_registered_at_start_when_its_url_is_set(
    start_server: ServerFactory, platform_settings: Settings, platforms: LoopbackPlatforms
) -> None:
    url = "https://cedp.example.nhs.uk/telegram/webhook"
    settings = platform_settings.model_copy(update={"telegram_webhook_url": url})
    async with start_server(settings=settings):
        [call] = platforms.calls_to("setWebhook")
    assert call.params["url"] == url
    assert call.params["secret_token"] == TELEGRAM_SECRET


async def test_files_go_as_documents_with_their_caption(
    served: Served, platforms: LoopbackPlatforms
) -> None:
    adapter = TelegramAdapter(served.bot)
    invite = File("session.ics", b"BEGIN:VCALENDAR\r\nEND:VCALENDAR\r\n", "text/calendar", "Add it")
    async with adapter.api:
        await adapter.send(str(ALICE), [invite])
    [call] = platforms.calls_to("sendDocument")
    assert call.params["chat_id"] == ALICE
    assert call.params["caption"] == "Add it"
    assert call.params["document"]["filename"] == "session.ics"
    assert call.params["document"]["content"] == invite.content
