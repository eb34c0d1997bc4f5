"""Tests of the Telegram stand-in itself, driven through the real aiogram HTTP session."""

from __future__ import annotations

import asyncio
import json
import time
from collections.abc import AsyncIterator
from pathlib import Path
from typing import Any

import aiohttp
import pytest
from aiogram import Bot, Dispatcher, F, Router
from aiogram.client.default import DefaultBotProperties
from aiogram.client.session.aiohttp import AiohttpSession
from aiogram.client.telegram import TelegramAPIServer
from aiogram.exceptions import (
    TelegramBadRequest,
    TelegramForbiddenError,
    TelegramRetryAfter,
    TelegramUnauthorizedError,
)
from aiogram.filters import Command, CommandObject, CommandStart
from aiogram.types import (
    BotCommand,
    BufferedInputFile,
    CallbackQuery,
    ChatFullInfo,
    ChatMemberAdministrator,
    ChatMemberBanned,
    ChatMemberLeft,
    ChatMemberMember,
    ChatMemberOwner,
    ForumTopic,
    InlineKeyboardButton,
    InlineKeyboardMarkup,
    KeyboardButton,
    Message,
    ReactionTypeEmoji,
    ReplyKeyboardMarkup,
    ReplyKeyboardRemove,
    ReplyParameters,
    Update,
)

from tests.fakegram import (
    EXTRA_PARAMS,
    FakeTelegram,
    HtmlParseError,
    TelegramUser,
    load_spec,
    parse_html,
)
from tests.fakegram.spec import SPEC_PATH
from tests.fakegram.trim_spec import DEFAULT_SOURCE, KEPT_METHODS, trim

STAFF_CHAT = -1001234567890


@pytest.fixture
async def server() -> AsyncIterator[FakeTelegram]:
    async with FakeTelegram() as fake:
        yield fake
        # Tests that provoke violations on purpose clear them after checking.
        assert fake.violations == []


def make_bot(server: FakeTelegram, token: str | None = None) -> Bot:
    session = AiohttpSession(api=TelegramAPIServer.from_base(server.base_url))
    return Bot(
        token or server.token, session=session, default=DefaultBotProperties(parse_mode="HTML")
    )


@pytest.fixture
async def bot(server: FakeTelegram) -> AsyncIterator[Bot]:
    bot = make_bot(server)
    yield bot
    await bot.session.close()  # before the server stops: no unclosed-connection warnings


def feeding(dp: Dispatcher, bot: Bot) -> Any:
    """deliver= callable for handler tests: run the update through the dispatcher now."""

    async def deliver(update: dict[str, Any]) -> None:
        await dp.feed_update(bot, Update.model_validate(update, context={"bot": bot}))

    return deliver


def take_violations(server: FakeTelegram) -> list[str]:
    found = list(server.violations)
    server.violations.clear()
    return found


async def raw_call(server: FakeTelegram, method: str, **fields: str) -> tuple[int, dict[str, Any]]:
    """Post form fields as-is, bypassing aiogram's models (to send what aiogram never would)."""
    async with (
        aiohttp.ClientSession() as http,
        http.post(f"{server.base_url}/bot{server.token}/{method}", data=fields) as resp,
    ):
        body: dict[str, Any] = await resp.json()
        return resp.status, body


def keyboard(*labels: str) -> InlineKeyboardMarkup:
    return InlineKeyboardMarkup(
        inline_keyboard=[
            [InlineKeyboardButton(text=label, callback_data=f"cb:{label}")] for label in labels
        ]
    )


# ---------------------------------------------------------------------- round trips


async def test_send_message_round_trip_with_inline_keyboard(server: FakeTelegram, bot: Bot) -> None:
    message = await bot.send_message(
        42, "<b>Hello</b>, &lt;friend&gt;!", reply_markup=keyboard("Yes", "No")
    )

    assert message.from_user is not None
    assert message.from_user.id == bot.id
    assert message.chat.id == 42
    assert message.chat.type == "private"
    assert message.text == "Hello, <friend>!"
    assert message.entities is not None
    assert message.entities[0].type == "bold"
    assert isinstance(message.reply_markup, InlineKeyboardMarkup)

    [stored] = server.bot_messages(42)
    assert stored.message_id == message.message_id
    assert stored.source_text == "<b>Hello</b>, &lt;friend&gt;!"
    assert stored.parse_mode == "HTML"  # aiogram sends the DefaultBotProperties parse mode
    assert stored.text == "Hello, <friend>!"
    assert [b["text"] for b in stored.inline_buttons()] == ["Yes", "No"]

    [request] = server.sent(chat_id=42, method="sendMessage")
    assert request.params["chat_id"] == 42
    assert request.params["reply_markup"]["inline_keyboard"][0][0]["callback_data"] == "cb:Yes"


async def test_handler_test_with_feed_update(server: FakeTelegram, bot: Bot) -> None:
    router = Router()

    @router.message(CommandStart(deep_link=True))
    async def start(message: Message, command: CommandObject) -> None:
        await message.answer(
            f"Hi! Payload: <code>{command.args}</code>", reply_markup=keyboard("Go")
        )

    @router.callback_query(F.data == "cb:Go")
    async def go(query: CallbackQuery) -> None:
        assert isinstance(query.message, Message)
        await query.message.edit_text("Going…")
        await query.answer("Started", show_alert=True)

    dp = Dispatcher()
    dp.include_router(router)
    user = server.user(1001, first_name="Anna", deliver=feeding(dp, bot))

    await user.send("/start promo42")
    assert user.last_text() == "Hi! Payload: promo42"
    assert user.buttons() == ["Go"]

    answer = await user.click("Go")
    assert answer is not None
    assert answer.text == "Started"
    assert answer.show_alert
    assert user.messages() == ["Going…"]  # edited in place; the keyboard went with the edit
    assert user.buttons() == []

    with pytest.raises(AssertionError, match=r"no bot message .* has an inline keyboard"):
        await user.click("Go")


async def test_click_finds_the_newest_message_with_that_button(
    server: FakeTelegram, bot: Bot
) -> None:
    clicked: list[tuple[int, str | None]] = []
    dp = Dispatcher()

    @dp.callback_query()
    async def on_click(query: CallbackQuery) -> None:
        assert query.message is not None
        clicked.append((query.message.message_id, query.data))
        await query.answer()

    user = server.user(1002, deliver=feeding(dp, bot))
    first = await bot.send_message(user.chat_id, "card 1", reply_markup=keyboard("Take"))
    second = await bot.send_message(user.chat_id, "card 2", reply_markup=keyboard("Take"))
    await bot.send_message(user.chat_id, "menu", reply_markup=keyboard("Help"))

    await user.click("Take")  # the newest message that has it, not the newest keyboard
    await user.click("Take", message=first.message_id)
    assert clicked == [(second.message_id, "cb:Take"), (first.message_id, "cb:Take")]
    with pytest.raises(AssertionError, match=r"newest keyboard .* has 'Help'"):
        await user.click("Cancel")


async def test_polling_echo_bot(server: FakeTelegram, bot: Bot) -> None:
    dp = Dispatcher()

    @dp.message(F.text)
    async def echo(message: Message) -> None:
        # html_text escapes <, > and &, as text sent with parse_mode=HTML must be.
        await message.answer(f"echo: {message.html_text}", reply_markup=keyboard("More"))

    @dp.callback_query(F.data == "cb:More")
    async def more(query: CallbackQuery) -> None:
        await query.answer("Nothing more")

    polling = asyncio.create_task(
        dp.start_polling(bot, handle_signals=False, close_bot_session=False, polling_timeout=5)
    )
    try:
        users = [server.user(3000 + n) for n in range(3)]
        for n, user in enumerate(users):
            mark = user.mark()
            await user.send(f"hello {n} <&>")
            reply = await user.wait_reply(after=mark, timeout=5)
            assert reply.params["text"] == f"echo: hello {n} &lt;&amp;&gt;"
            assert user.last_text() == f"echo: hello {n} <&>"

        # With polling, click() returns before the bot answers: wait for the answer instead.
        mark = server.mark()
        assert await users[0].click("More") is None
        answer = await server.wait_for(
            lambda r: r.method == "answerCallbackQuery", timeout=5, after=mark
        )
        assert answer.params["text"] == "Nothing more"
        assert answer.params["callback_query_id"] == users[0].last_callback_query_id
    finally:
        await dp.stop_polling()
        await polling
    # Every update was confirmed through the next getUpdates offset.
    assert server.pending_updates == []


async def test_stop_ends_a_pending_long_poll() -> None:
    server = FakeTelegram()
    await server.start()
    bot = make_bot(server)
    try:
        poll = asyncio.create_task(bot.get_updates(timeout=30))
        await asyncio.sleep(0.05)
        started = time.monotonic()
        await server.stop()
        assert await poll == []
        assert time.monotonic() - started < 2
    finally:
        await bot.session.close()


async def test_get_updates_long_poll_returns_when_an_update_arrives(
    server: FakeTelegram, bot: Bot
) -> None:
    started = time.monotonic()
    assert await bot.get_updates(timeout=0) == []
    poll = asyncio.create_task(bot.get_updates(timeout=20))
    await asyncio.sleep(0.05)
    assert not poll.done()  # held open, without blocking the loop
    await server.user(4001).send("hi")
    updates = await poll
    assert time.monotonic() - started < 5
    assert [u.message.text for u in updates if u.message] == ["hi"]

    # The offset confirms: the same update is not returned again.
    assert await bot.get_updates(offset=updates[-1].update_id + 1, timeout=0) == []
    assert server.pending_updates == []


# ---------------------------------------------------------------------- validation


async def test_unknown_parameter_is_a_violation(server: FakeTelegram) -> None:
    status, body = await raw_call(server, "sendMessage", chat_id="42", text="hi", colour="red")
    assert status == 400
    assert body == {
        "ok": False,
        "error_code": 400,
        "description": 'Bad Request: unknown parameter "colour"',
    }
    [violation] = take_violations(server)
    assert violation.startswith("sendMessage colour: unknown parameter")


async def test_unknown_method_and_missing_parameter(server: FakeTelegram) -> None:
    status, body = await raw_call(server, "sendPoll", chat_id="42", question="?")
    assert status == 400
    assert take_violations(server) == [
        "sendPoll: method sendPoll not supported by the stand-in (chat 42; answered 400 "
        "'Bad Request: method sendPoll not supported by the stand-in')"
    ]
    status, body = await raw_call(server, "sendMessage", chat_id="42")
    assert (status, body["description"]) == (400, "Bad Request: message text is empty")
    assert take_violations(server) == [
        "sendMessage text: required parameter is missing "
        "(chat 42; answered 400 'Bad Request: message text is empty')"
    ]


async def test_callback_data_longer_than_64_bytes(server: FakeTelegram, bot: Bot) -> None:
    too_long = InlineKeyboardMarkup(
        inline_keyboard=[[InlineKeyboardButton(text="ok", callback_data="x" * 65)]]
    )
    with pytest.raises(TelegramBadRequest, match="BUTTON_DATA_INVALID"):
        await bot.send_message(42, "pick", reply_markup=too_long)
    [violation] = take_violations(server)
    assert "reply_markup.inline_keyboard[0][0].callback_data" in violation
    assert "65 bytes" in violation

    # Bytes, not characters: 33 Cyrillic letters are 66 bytes.
    cyrillic = InlineKeyboardMarkup(
        inline_keyboard=[[InlineKeyboardButton(text="ok", callback_data="я" * 33)]]
    )
    with pytest.raises(TelegramBadRequest, match="BUTTON_DATA_INVALID"):
        await bot.send_message(42, "pick", reply_markup=cyrillic)
    assert len(take_violations(server)) == 1

    fits = InlineKeyboardMarkup(
        inline_keyboard=[[InlineKeyboardButton(text="ok", callback_data="я" * 32)]]
    )
    await bot.send_message(42, "pick", reply_markup=fits)


async def test_text_length_counts_visible_characters(server: FakeTelegram, bot: Bot) -> None:
    with pytest.raises(TelegramBadRequest, match="message is too long"):
        await bot.send_message(42, "x" * 5000)
    [violation] = take_violations(server)
    assert "5000 characters after entity parsing" in violation

    # 4096 visible characters are fine even though the HTML source is longer.
    await bot.send_message(42, "<b>" + "x" * 4096 + "</b>")
    # Tags alone are not text.
    with pytest.raises(TelegramBadRequest, match="message text is empty"):
        await bot.send_message(42, "<b> </b>")
    assert len(take_violations(server)) == 1


@pytest.mark.parametrize(
    ("text", "error"),
    [
        ("<b>x", 'Can\'t find end tag corresponding to start tag "b"'),
        ("a < b", 'Unsupported start tag "" at byte offset 2'),
        ("<b><i>x</b></i>", 'Unmatched end tag at byte offset 7, expected "</i>", found "</b>"'),
        ("<br>", 'Unsupported start tag "br" at byte offset 0'),
        ("Tom & Jerry", "Character '&' at byte offset 4 must be escaped as &amp;"),
        ("x > y", "Character '>' at byte offset 2 must be escaped as &gt;"),
        ('<span class="x">s</span>', 'Tag "span" must have class "tg-spoiler"'),
    ],
)
async def test_malformed_html_is_rejected(
    server: FakeTelegram, bot: Bot, text: str, error: str
) -> None:
    with pytest.raises(TelegramBadRequest) as caught:
        await bot.send_message(42, text)
    assert "can't parse entities: " + error in caught.value.message
    [violation] = take_violations(server)
    assert violation.startswith("sendMessage text: invalid Telegram HTML")


async def test_plain_text_is_not_parsed_as_html(server: FakeTelegram, bot: Bot) -> None:
    message = await bot.send_message(42, "a < b & c", parse_mode=None)
    assert message.text == "a < b & c"


async def test_valid_html_with_escapes_passes(server: FakeTelegram, bot: Bot) -> None:
    html = (
        "<b>bold</b> <i>it</i> <u>u</u> <s>s</s> <tg-spoiler>sp</tg-spoiler> "
        '<span class="tg-spoiler">sp2</span> <a href="https://example.com/?a=1&amp;b=2">link</a> '
        "<code>&lt;code&gt;</code> "
        '<pre><code class="language-python">print("hi")</code></pre> '
        "<blockquote expandable>quote</blockquote> "
        "&lt;&gt;&amp;&quot; &#8364;&#x20AC;"
    )
    message = await bot.send_message(42, html)
    assert message.text is not None
    assert message.text.endswith('<>&" €€')
    assert message.entities is not None
    kinds = {e.type for e in message.entities}
    assert {
        "bold",
        "italic",
        "spoiler",
        "text_link",
        "code",
        "pre",
        "expandable_blockquote",
    } <= kinds
    pre = next(e for e in message.entities if e.type == "pre")
    assert pre.language == "python"


async def test_bad_nested_type(server: FakeTelegram) -> None:
    markup = {"inline_keyboard": [[{"text": 5, "callback_data": "a"}]]}
    status, body = await raw_call(
        server, "sendMessage", chat_id="42", text="hi", reply_markup=json.dumps(markup)
    )
    assert status == 400
    assert body["description"] == (
        'Bad Request: can\'t parse inline keyboard button: Field "text" must be of type String'
    )
    [violation] = take_violations(server)
    assert violation.startswith(
        "sendMessage reply_markup.inline_keyboard[0][0].text: expected String"
    )

    unknown_field = {"inline_keyboard": [[{"text": "a", "callback_data": "a", "colour": "red"}]]}
    status, _ = await raw_call(
        server, "sendMessage", chat_id="42", text="hi", reply_markup=json.dumps(unknown_field)
    )
    assert status == 400
    assert "unknown field 'colour' for InlineKeyboardButton" in take_violations(server)[0]

    status, _ = await raw_call(
        server, "sendMessage", chat_id="abc!", text="hi", message_thread_id="x"
    )
    assert status == 400
    assert "message_thread_id: expected Integer" in take_violations(server)[0]


async def test_button_and_length_limits(server: FakeTelegram, bot: Bot) -> None:
    empty_label = ReplyKeyboardMarkup(keyboard=[[KeyboardButton(text="")]])
    with pytest.raises(TelegramBadRequest, match="Text must be non-empty"):
        await bot.send_message(42, "menu", reply_markup=empty_label)
    no_action = InlineKeyboardMarkup(inline_keyboard=[[InlineKeyboardButton(text="dead")]])
    with pytest.raises(TelegramBadRequest, match="Text buttons are unallowed"):
        await bot.send_message(42, "menu", reply_markup=no_action)
    with pytest.raises(TelegramBadRequest, match="MESSAGE_TOO_LONG"):
        await bot.answer_callback_query("1", text="x" * 201)
    with pytest.raises(TelegramBadRequest, match="message caption is too long"):
        await bot.send_document(42, BufferedInputFile(b"x", "a.txt"), caption="c" * 1025)
    assert len(take_violations(server)) == 4


# ---------------------------------------------------------------------- behaviour


async def test_retry_after_injection(server: FakeTelegram, bot: Bot) -> None:
    server.fail_next(
        "sendMessage",
        error_code=429,
        description="Too Many Requests: retry after 2",
        retry_after=2,
        chat_id=42,
    )
    await bot.send_message(43, "other chats are not affected")
    with pytest.raises(TelegramRetryAfter) as caught:
        await bot.send_message(42, "hi")
    assert caught.value.retry_after == 2
    await bot.send_message(42, "only once")
    [failed] = server.sent(chat_id=42, ok=False)
    assert failed.error_code == 429


async def test_blocked_user_gets_403(server: FakeTelegram, bot: Bot) -> None:
    server.block_user(42)
    with pytest.raises(TelegramForbiddenError, match="bot was blocked by the user"):
        await bot.send_message(42, "hi")
    await bot.get_chat(42)  # reading still works, as in Telegram
    server.unblock_user(42)
    await bot.send_message(42, "welcome back")

    server.add_group(STAFF_CHAT, "Sales desk", members={bot.id: "kicked"})
    with pytest.raises(TelegramForbiddenError, match="bot was kicked from the supergroup chat"):
        await bot.send_message(STAFF_CHAT, "hi")


async def test_replies_carry_the_replied_message(server: FakeTelegram, bot: Bot) -> None:
    question = await server.user(42).send("How much?")
    answer = await bot.send_message(
        42, "100 ₽", reply_parameters=ReplyParameters(message_id=question.message_id)
    )
    assert answer.reply_to_message is not None
    assert answer.reply_to_message.text == "How much?"
    with pytest.raises(TelegramBadRequest, match="message to be replied not found"):
        await bot.send_message(42, "?", reply_parameters=ReplyParameters(message_id=999))


async def test_edit_errors(server: FakeTelegram, bot: Bot) -> None:
    message = await bot.send_message(42, "<b>same</b>", reply_markup=keyboard("A"))
    with pytest.raises(TelegramBadRequest, match="message is not modified"):
        await bot.edit_message_text(
            "<b>same</b>", chat_id=42, message_id=message.message_id, reply_markup=keyboard("A")
        )
    edited = await bot.edit_message_text("<b>same</b>", chat_id=42, message_id=message.message_id)
    assert isinstance(edited, Message)
    assert edited.reply_markup is None
    with pytest.raises(TelegramBadRequest, match="message to edit not found"):
        await bot.edit_message_text("x", chat_id=42, message_id=999)
    await bot.delete_message(42, message.message_id)
    with pytest.raises(TelegramBadRequest, match="message to edit not found"):
        await bot.edit_message_reply_markup(chat_id=42, message_id=message.message_id)


async def test_forum_topics(server: FakeTelegram, bot: Bot) -> None:
    server.add_group(STAFF_CHAT, "Sales desk", is_forum=True, members={7: "administrator"})
    topic = await bot.create_forum_topic(STAFF_CHAT, "Lead #1 — ООО Ромашка")
    assert isinstance(topic, ForumTopic)
    assert topic.icon_color
    sent = await bot.send_message(STAFF_CHAT, "card", message_thread_id=topic.message_thread_id)
    assert sent.message_thread_id == topic.message_thread_id
    assert sent.is_topic_message
    assert await bot.edit_forum_topic(STAFF_CHAT, topic.message_thread_id, name="Lead #1 ✅")
    assert await bot.close_forum_topic(STAFF_CHAT, topic.message_thread_id)
    assert await bot.reopen_forum_topic(STAFF_CHAT, topic.message_thread_id)
    assert await bot.pin_chat_message(STAFF_CHAT, sent.message_id)

    server.delete_topic(STAFF_CHAT, topic.message_thread_id)
    with pytest.raises(TelegramBadRequest, match="message thread not found"):
        await bot.send_message(STAFF_CHAT, "card", message_thread_id=topic.message_thread_id)

    server.add_group(-1009, "Plain group")
    with pytest.raises(TelegramBadRequest, match="the chat is not a forum"):
        await bot.create_forum_topic(-1009, "x")
    with pytest.raises(TelegramBadRequest, match="chat not found"):
        await bot.send_message(-1777, "nobody here")
    with pytest.raises(TelegramBadRequest, match="TOPIC_NAME_INVALID"):
        await bot.create_forum_topic(STAFF_CHAT, "n" * 129)
    assert len(take_violations(server)) == 1


async def test_get_chat_and_members_parse_in_aiogram(server: FakeTelegram, bot: Bot) -> None:
    server.add_group(
        STAFF_CHAT,
        "Sales desk",
        is_forum=True,
        members={1: "creator", 2: "administrator", 3: "member", 4: "left", 5: "kicked"},
    )
    server.user(42, first_name="Ivan", last_name="Petrov", username="ivanp")
    private = await bot.get_chat(42)
    assert isinstance(private, ChatFullInfo)
    assert (private.type, private.first_name, private.username) == ("private", "Ivan", "ivanp")
    group = await bot.get_chat(STAFF_CHAT)
    assert group.is_forum
    assert group.title == "Sales desk"

    expected = {
        1: ChatMemberOwner,
        2: ChatMemberAdministrator,
        3: ChatMemberMember,
        4: ChatMemberLeft,
        5: ChatMemberBanned,
        99: ChatMemberLeft,  # never heard of: left
        bot.id: ChatMemberAdministrator,
    }
    for user_id, kind in expected.items():
        member = await bot.get_chat_member(STAFF_CHAT, user_id)
        assert isinstance(member, kind), (user_id, member)


async def test_documents_locations_and_commands(server: FakeTelegram, bot: Bot) -> None:
    await bot.send_document(
        42, BufferedInputFile(b"name;phone\n", filename="leads.csv"), caption="<b>Export</b>"
    )
    [document] = [m for m in server.bot_messages(42) if m.upload]
    assert document.upload is not None
    assert (document.upload.filename, document.upload.data) == ("leads.csv", b"name;phone\n")
    assert document.caption == "Export"
    venue = await bot.send_venue(42, 55.75, 37.61, "Office", "Tverskaya 1")
    assert venue.venue is not None
    assert venue.venue.title == "Office"
    assert (await bot.send_location(42, 55.75, 37.61)).location is not None
    assert await bot.send_chat_action(42, "typing")
    assert await bot.set_my_commands([BotCommand(command="start", description="Start")])
    with pytest.raises(TelegramBadRequest, match="BOT_COMMAND_INVALID"):
        await bot.set_my_commands([BotCommand(command="Start", description="Start")])
    assert len(take_violations(server)) == 1


async def test_photos_carry_their_size_and_refuse_what_is_not_an_image(
    server: FakeTelegram, bot: Bot
) -> None:
    png = b"\x89PNG\r\n\x1a\n" + b"\x00\x00\x00\rIHDR" + (800).to_bytes(4, "big")
    png += (450).to_bytes(4, "big") + b"\x08\x06\x00\x00\x00"
    sent = await bot.send_photo(
        42, BufferedInputFile(png, filename="funnel.png"), caption="<b>Funnel</b>"
    )
    assert sent.photo is not None
    assert (sent.photo[-1].width, sent.photo[-1].height) == (800, 450)
    [photo] = [m for m in server.bot_messages(42) if m.upload]
    assert photo.upload is not None and photo.upload.data == png
    assert photo.caption == "Funnel"
    with pytest.raises(TelegramBadRequest, match="IMAGE_PROCESS_FAILED"):
        await bot.send_photo(42, BufferedInputFile(b"not an image", filename="x.png"))


async def test_wrong_token_is_unauthorized(server: FakeTelegram) -> None:
    bot = make_bot(server, token="987654:wrong")
    try:
        with pytest.raises(TelegramUnauthorizedError):
            await bot.get_me()
    finally:
        await bot.session.close()


async def test_reply_keyboard_contact_and_empty_messages(server: FakeTelegram, bot: Bot) -> None:
    seen: list[Message] = []
    dp = Dispatcher()

    @dp.message(Command("phone"))
    async def ask(message: Message) -> None:
        markup = ReplyKeyboardMarkup(
            keyboard=[[KeyboardButton(text="📱 Share phone", request_contact=True)]],
            resize_keyboard=True,
        )
        await message.answer("Share your phone", reply_markup=markup)

    @dp.message()
    async def anything(message: Message) -> None:
        seen.append(message)
        await message.answer("Thanks", reply_markup=ReplyKeyboardRemove())

    user: TelegramUser = server.user(5001, first_name="Oleg", deliver=feeding(dp, bot))
    await user.send("/phone")
    assert user.reply_keyboard() == ["📱 Share phone"]
    await user.press("📱 Share phone")
    assert user.reply_keyboard() is None
    await user.share_contact("+79001112233", user_id=777, first_name="Someone")
    await user.send_sticker()
    await user.send_photo()
    with pytest.raises(AssertionError, match="no reply keyboard is shown"):
        await user.press("📱 Share phone")

    contact = seen[0].contact
    assert contact is not None
    assert contact.user_id == 5001
    assert contact.phone_number == user.phone_number
    assert seen[1].contact is not None
    assert seen[1].contact.user_id == 777
    assert seen[2].sticker is not None
    assert seen[2].text is None
    assert seen[3].photo is not None


async def test_group_member_writes_in_a_topic(server: FakeTelegram, bot: Bot) -> None:
    server.add_group(STAFF_CHAT, "Sales desk", is_forum=True)
    topic = await bot.create_forum_topic(STAFF_CHAT, "Lead")
    seen: list[Message] = []
    dp = Dispatcher()

    @dp.message()
    async def note(message: Message) -> None:
        seen.append(message)
        await message.answer("noted", reply_markup=keyboard("Take"))

    @dp.callback_query()
    async def take(query: CallbackQuery) -> None:
        await query.answer("yours")

    manager = server.group_member(STAFF_CHAT, 7, first_name="Maria", deliver=feeding(dp, bot))
    await manager.send("called them", thread_id=topic.message_thread_id)
    [message] = seen
    assert message.chat.type == "supergroup"
    assert message.message_thread_id == topic.message_thread_id
    assert message.is_topic_message
    # message.answer() keeps the thread, so the reply lands in the topic.
    [reply] = server.sent(chat_id=STAFF_CHAT, method="sendMessage")
    assert reply.params["message_thread_id"] == topic.message_thread_id
    answer = await manager.click("Take", thread_id=topic.message_thread_id)
    assert answer is not None
    assert answer.text == "yours"
    member = await bot.get_chat_member(STAFF_CHAT, 7)
    assert isinstance(member, ChatMemberMember)


async def test_many_concurrent_users(server: FakeTelegram, bot: Bot) -> None:
    dp = Dispatcher()

    @dp.message(F.text)
    async def echo(message: Message) -> None:
        await message.answer(f"#{message.html_text}", reply_markup=keyboard("ok"))

    deliver = feeding(dp, bot)
    users = [server.user(10_000 + n, deliver=deliver) for n in range(200)]
    started = time.monotonic()
    await asyncio.gather(*(u.send(f"hi {u.user_id}") for u in users))
    await asyncio.gather(*(u.send(f"again {u.user_id}") for u in users))
    elapsed = time.monotonic() - started
    assert all(u.messages() == [f"#hi {u.user_id}", f"#again {u.user_id}"] for u in users)
    assert len(server.sent(method="sendMessage")) == 400
    assert elapsed < 20, f"400 round trips took {elapsed:.1f}s"


# ---------------------------------------------------------------------- the spec data


def test_trimmed_spec_is_self_contained() -> None:
    spec = load_spec()
    assert spec.version == "Bot API 10.1"
    assert spec.source["commit"] == "160fd99507e1c7c77e92dc90f5993d724735b51c"
    assert set(spec.methods) == set(KEPT_METHODS)
    known = set(spec.types) | {"Integer", "String", "Boolean", "Float", "InputFile"}
    for type_spec in spec.types.values():
        exprs = [*type_spec.subtypes, *(t for f in type_spec.fields.values() for t in f.types)]
        for type_expr in exprs:
            assert type_expr.rsplit("Array of ", 1)[-1] in known, (type_spec.name, type_expr)
    # The allow-list only names real methods.
    assert set(EXTRA_PARAMS) <= set(spec.methods) | set(spec.types)


@pytest.mark.skipif(not DEFAULT_SOURCE.exists(), reason="the full spec is not on this machine")
def test_trimmed_spec_matches_its_source() -> None:
    fresh = trim(json.loads(DEFAULT_SOURCE.read_text(encoding="utf-8")))
    committed = json.loads(Path(SPEC_PATH).read_text(encoding="utf-8"))
    assert fresh == committed, "re-run: .venv/bin/python -m tests.fakegram.trim_spec"


def test_html_parser_entities_use_utf16_offsets() -> None:
    parsed = parse_html("😀 <b>жирный</b>")
    assert parsed.text == "😀 жирный"
    assert parsed.entities == ({"type": "bold", "offset": 3, "length": 6},)
    with pytest.raises(HtmlParseError, match="Unclosed start tag"):
        parse_html("<b")


# ---------------------------------------------------------------------- the relay's methods


async def test_copy_message_keeps_media_caption_and_maps_replies(
    server: FakeTelegram, bot: Bot
) -> None:
    server.add_group(STAFF_CHAT, "Sales desk", is_forum=True)
    topic = await bot.create_forum_topic(STAFF_CHAT, "Lead")
    thread = topic.message_thread_id
    updates: list[Update] = []

    async def keep(update: dict[str, Any]) -> None:
        updates.append(Update.model_validate(update, context={"bot": bot}))

    user = server.user(1001, deliver=keep)
    photo = await user.send_photo("the kitchen")
    copied = await bot.copy_message(STAFF_CHAT, 1001, photo.message_id, message_thread_id=thread)
    [copy] = [m for m in server.bot_messages(STAFF_CHAT, thread) if "photo" in m.content]
    assert copy.message_id == copied.message_id
    assert copy.caption == "the kitchen"
    assert copy.content["photo"] == photo.content["photo"]
    assert "forward_origin" not in copy.to_dict()  # a copy, not a forward

    # A reply on the prospect's side lands as a reply to the copy.
    text = await user.send("and this?", reply_to=photo)
    [update] = updates[-1:]
    assert update.message is not None and update.message.reply_to_message is not None
    assert update.message.reply_to_message.message_id == photo.message_id
    reply = await bot.copy_message(
        STAFF_CHAT,
        1001,
        text.message_id,
        message_thread_id=thread,
        reply_parameters=ReplyParameters(message_id=copied.message_id),
    )
    stored = server.chat(STAFF_CHAT).messages[reply.message_id]
    assert stored.reply_to is copy and stored.text == "and this?"

    # Gone or service messages cannot be copied.
    with pytest.raises(TelegramBadRequest, match="message to copy not found"):
        await bot.copy_message(STAFF_CHAT, 1001, 9999, message_thread_id=thread)
    with pytest.raises(TelegramBadRequest, match="can't be copied"):
        await bot.copy_message(1001, STAFF_CHAT, thread)
    server.block_user(1001)
    with pytest.raises(TelegramForbiddenError):
        await bot.copy_message(1001, STAFF_CHAT, copied.message_id)


async def test_copy_messages_keeps_the_album_together(server: FakeTelegram, bot: Bot) -> None:
    server.add_group(STAFF_CHAT, "Sales desk", is_forum=True)
    topic = await bot.create_forum_topic(STAFF_CHAT, "Lead")
    updates: list[dict[str, Any]] = []

    async def keep(update: dict[str, Any]) -> None:
        updates.append(update)

    user = server.user(1001, deliver=keep)
    album = await user.send_album(3, caption="three rooms")
    groups = {u["message"]["media_group_id"] for u in updates}
    assert len(updates) == 3 and len(groups) == 1  # one update per item, one group id
    ids = [m.message_id for m in album]
    copies = await bot.copy_messages(
        STAFF_CHAT, 1001, [*ids, 9999], message_thread_id=topic.message_thread_id
    )
    assert len(copies) == 3  # the missing id is skipped
    stored = [server.chat(STAFF_CHAT).messages[c.message_id] for c in copies]
    new_groups = {m.content["media_group_id"] for m in stored}
    assert len(new_groups) == 1 and new_groups != groups
    assert [m.caption for m in stored] == ["three rooms", None, None]
    with pytest.raises(TelegramBadRequest, match="strictly increasing"):
        await bot.copy_messages(STAFF_CHAT, 1001, [ids[1], ids[0]])


async def test_edits_by_people_and_caption_edits_by_the_bot(server: FakeTelegram, bot: Bot) -> None:
    updates: list[dict[str, Any]] = []

    async def keep(update: dict[str, Any]) -> None:
        updates.append(update)

    user = server.user(1001, deliver=keep)
    text = await user.send("hello")
    await user.edit(text, "hello there")
    edited = updates[-1]["edited_message"]
    assert edited["text"] == "hello there" and "edit_date" in edited
    photo = await user.send_photo("old")
    await user.edit_caption(photo, "new")
    assert updates[-1]["edited_message"]["caption"] == "new"
    with pytest.raises(ValueError, match="caption"):
        await user.edit_caption(text, "no")

    copy = await bot.copy_message(1001, 1001, photo.message_id)
    await bot.edit_message_caption(chat_id=1001, message_id=copy.message_id, caption="<b>x</b>")
    stored = server.chat(1001).messages[copy.message_id]
    assert stored.caption == "x"
    with pytest.raises(TelegramBadRequest, match="not modified"):
        await bot.edit_message_caption(chat_id=1001, message_id=copy.message_id, caption="<b>x</b>")
    sent = await bot.send_message(1001, "plain")
    with pytest.raises(TelegramBadRequest, match="no caption"):
        await bot.edit_message_caption(chat_id=1001, message_id=sent.message_id, caption="y")


async def test_group_members_send_media_and_replies_in_a_topic(
    server: FakeTelegram, bot: Bot
) -> None:
    server.add_group(STAFF_CHAT, "Sales desk", is_forum=True)
    topic = await bot.create_forum_topic(STAFF_CHAT, "Lead")
    thread = topic.message_thread_id
    updates: list[dict[str, Any]] = []

    async def keep(update: dict[str, Any]) -> None:
        updates.append(update)

    card = await bot.send_message(STAFF_CHAT, "card", message_thread_id=thread)
    member = server.group_member(STAFF_CHAT, 7, deliver=keep)
    await member.send("on it", thread, reply_to=server.chat(STAFF_CHAT).messages[card.message_id])
    message = updates[-1]["message"]
    assert message["reply_to_message"]["message_id"] == card.message_id
    assert message["message_thread_id"] == thread
    await member.send_media("voice", thread)
    assert "voice" in updates[-1]["message"]
    album = await member.send_album(thread, count=2)
    assert {m.message_thread_id for m in album} == {thread}
    assert await bot.set_message_reaction(
        STAFF_CHAT, album[0].message_id, [ReactionTypeEmoji(emoji="✍")]
    )
    assert server.reactions[(STAFF_CHAT, album[0].message_id)] == ["✍"]


# ---------------------------------------------------------------------- flood control


class StepClock:
    """The flood control's clock, moved by hand: no test waits for real seconds."""

    def __init__(self) -> None:
        self.now = 1000.0

    def __call__(self) -> float:
        return self.now


async def test_flood_control_private_chat_limit_and_retry_after(
    server: FakeTelegram, bot: Bot
) -> None:
    clock = StepClock()
    flood = server.enable_flood_control(now=clock)
    await bot.send_message(42, "first")
    with pytest.raises(TelegramRetryAfter) as caught:
        await bot.send_message(42, "too soon")
    assert caught.value.retry_after == 1
    await bot.send_message(43, "another chat goes on")
    assert await bot.get_chat(42)  # reads do not count and are not flood-controlled

    clock.now += 0.5  # before the retry_after: Telegram refuses again, and it is recorded
    with pytest.raises(TelegramRetryAfter):
        await bot.send_message(42, "still too soon")
    assert take_violations(server) == flood.violations
    assert len(flood.violations) == 1 and "chat 42" in flood.violations[0]

    clock.now += 1.0
    await bot.send_message(42, "after the wait")
    assert [m.visible_text for m in server.bot_messages(42)] == ["first", "after the wait"]
    assert flood.rejected == 2


async def test_flood_control_group_limit_counts_edits_and_topics(
    server: FakeTelegram, bot: Bot
) -> None:
    server.add_group(STAFF_CHAT, "Sales desk", is_forum=True)
    clock = StepClock()
    server.enable_flood_control(now=clock)
    topic = await bot.create_forum_topic(STAFF_CHAT, "Lead")
    card = await bot.send_message(STAFF_CHAT, "card", message_thread_id=topic.message_thread_id)
    for n in range(18):
        clock.now += 0.1
        await bot.edit_message_text(f"card {n}", chat_id=STAFF_CHAT, message_id=card.message_id)
    with pytest.raises(TelegramRetryAfter) as caught:
        await bot.send_message(STAFF_CHAT, "the 21st in a minute")
    # The first of the 20 leaves the window 60 s after it came: 60 - 1.8 s from now.
    assert caught.value.retry_after == 59
    clock.now += 59
    await bot.send_message(STAFF_CHAT, "now it goes")
    assert server.violations == []


async def test_flood_control_overall_limit(server: FakeTelegram, bot: Bot) -> None:
    clock = StepClock()
    server.enable_flood_control(now=clock)
    for user_id in range(1, 31):
        await bot.send_message(user_id, "hello")
    with pytest.raises(TelegramRetryAfter) as caught:
        await bot.send_message(31, "the 31st this second")
    assert caught.value.retry_after == 1
    clock.now += 0.5
    # Chat 31 was told to wait: coming back now is a violation; chat 33 was told nothing,
    # so its 429 (the second is still full) is not.
    with pytest.raises(TelegramRetryAfter):
        await bot.send_message(31, "too soon")
    with pytest.raises(TelegramRetryAfter):
        await bot.send_message(33, "the second is still full")
    assert [v.split(" came")[0] for v in take_violations(server)] == [
        "flood: sendMessage to chat 31"
    ]
    clock.now += 1
    await bot.send_message(32, "a new second")
    await bot.send_message(33, "goes too")


# ---------------------------------------------------------------------- files (documents)


async def test_get_file_and_download_give_the_users_file(
    server: FakeTelegram, bot: Bot, tmp_path: Path
) -> None:
    async def ignore(update: dict[str, Any]) -> None:
        return None

    user = server.user(1001, deliver=ignore)
    scan = await user.send_file("паспорт.pdf", "application/pdf", 1200)
    document = scan.content["document"]
    file = await bot.get_file(document["file_id"])
    assert file.file_unique_id == document["file_unique_id"] and file.file_size == 1200
    target = tmp_path / "copy.pdf"
    await bot.download(document["file_id"], destination=target)
    assert target.read_bytes() == server.file_bytes(document["file_unique_id"])
    assert server.downloads == [file.file_path]

    photo = await user.send_photo()
    biggest = photo.content["photo"][-1]
    assert (await bot.get_file(biggest["file_id"])).file_unique_id == biggest["file_unique_id"]


async def test_get_file_refuses_big_and_unknown_files(server: FakeTelegram, bot: Bot) -> None:
    async def ignore(update: dict[str, Any]) -> None:
        return None

    user = server.user(1001, deliver=ignore)
    big = await user.send_file("plan.pdf", "application/pdf", 21 * 1024 * 1024)
    with pytest.raises(TelegramBadRequest, match="file is too big"):
        await bot.get_file(big.content["document"]["file_id"])
    with pytest.raises(TelegramBadRequest, match="wrong file_id"):
        await bot.get_file("BQACnothing")
    note = await user.send_video_note()
    assert note.content["video_note"]["length"] == 240
