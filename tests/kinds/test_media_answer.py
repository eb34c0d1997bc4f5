"""A photo as a checklist answer: only while its question is current, copied into the
lead's topic under the card once, also across a restart."""

from __future__ import annotations

import csv
import io
import json
from collections.abc import Callable
from typing import Any

from tests.conftest import MANAGER_ID, STAFF_CHAT, Harness
from tests.kinds.conftest import CAR_DEALER, after_photo, up_to_photo


def topic_photos(harness: Harness, thread_id: int | None) -> list[str]:
    return [
        m.visible_text
        for m in harness.telegram.bot_messages(STAFF_CHAT, thread_id)
        if "photo" in m.content
    ]


async def thread_of(harness: Harness) -> int | None:
    lead = await harness.lead()
    assert lead is not None
    return lead.staff_thread_id


async def test_the_photo_is_copied_once_across_a_restart(make_harness: Callable[..., Any]) -> None:
    first: Harness = await make_harness(checklist_path=CAR_DEALER)
    user = first.prospect()
    await up_to_photo(user)
    await user.send_photo("вот она")
    await first.app.close()  # a restart between the answer and the copy

    second: Harness = await make_harness(checklist_path=CAR_DEALER)
    user = second.prospect()
    await after_photo(user)
    await second.app.pipe.drain()
    await second.app.relay.delivery.deliver_due()
    # Everything runs again: nothing is copied twice.
    await second.app.pipe.drain()
    await second.app.relay.delivery.deliver_due()
    thread = await thread_of(second)
    assert topic_photos(second, thread) == ["Пришлите фото автомобиля, который сдаёте"]
    assert "📷 фото" in second.card(thread)


async def test_a_photo_taken_back_is_not_copied(cars: Harness) -> None:
    user = cars.prospect()
    await up_to_photo(user)
    await user.send_photo()
    await user.click("⬅️ Назад")  # from the engine size back to the photo
    assert "Пришлите фото автомобиля" in (user.last_text() or "")
    await user.click("Пропустить")
    await after_photo(user)
    await cars.app.pipe.drain()
    await cars.app.relay.delivery.deliver_due()
    thread = await thread_of(cars)
    assert topic_photos(cars, thread) == []
    assert "📷" not in cars.card(thread)


async def test_an_album_answers_with_its_first_photo(cars: Harness) -> None:
    user = cars.prospect()
    await up_to_photo(user)
    before = len(user.messages())
    await user.send_album(3)
    shown = user.messages()[before - 1 :]
    assert sum("Ваш ответ: 📷 фото" in text for text in shown) == 1
    assert not any("понимаю только" in text for text in shown)
    assert "Какой объём двигателя нужен?" in (user.last_text() or "")


async def test_a_voice_message_to_the_photo_question_is_refused(cars: Harness) -> None:
    user = cars.prospect()
    await up_to_photo(user)
    await user.send_voice()
    assert "Пришлите, пожалуйста, фото или файл" in (user.last_text() or "")
    assert "Пришлите фото автомобиля" in (user.last_text() or "")
    lead = await cars.lead()
    assert lead is not None and "trade_photo" not in lead.answers


async def test_a_photo_before_its_question_is_not_an_answer(cars: Harness) -> None:
    user = cars.prospect()
    await up_to_photo(user)
    await user.click("⬅️ Назад")  # back to the mileage: a photo now is not its answer
    await user.send_photo()
    assert "понимаю только текст" in (user.last_text() or "")
    lead = await cars.lead()
    assert lead is not None and "trade_photo" not in lead.answers


async def test_mydata_and_the_export_show_the_photo_by_its_mark(cars: Harness) -> None:
    user = cars.prospect()
    await up_to_photo(user)
    await user.send_photo()
    await after_photo(user)
    lead = await cars.lead()
    assert lead is not None
    file_id = str(lead.answers["trade_photo"]).split(":", 1)[1]

    await user.send("/mydata")
    [mine] = [m for m in user.bot_messages() if m.upload is not None]
    assert mine.upload is not None
    data = json.loads(mine.upload.data.decode("utf-8"))
    answers = {a["question_id"]: a["answer"] for a in data["answers"]}
    assert answers["trade_photo"] == "📷"
    assert file_id not in json.dumps(data, ensure_ascii=False)

    manager = cars.staff_member(MANAGER_ID)
    await manager.send("/export")
    export = manager.bot_messages()[-1]
    assert export.upload is not None
    rows = list(csv.reader(io.StringIO(export.upload.data.decode("utf-8-sig")), delimiter=";"))
    by_column = dict(zip(rows[0], rows[1], strict=True))
    assert by_column["Пришлите фото автомобиля, который сдаёте"] == "📷 фото"
    assert file_id not in export.upload.data.decode("utf-8-sig")


async def test_a_photo_answered_before_a_restart_of_the_answers_is_not_copied(
    cars: Harness,
) -> None:
    user = cars.prospect()
    await up_to_photo(user)
    await user.send_photo()
    await user.send("/restart")  # the answers start over, and this time with no trade-in
    await user.send("бу")
    await user.click("Седан")
    await user.send("2 500 000")
    await user.click("Наличные")
    await user.click("Готово ➡️")
    await after_photo(user)
    await cars.app.pipe.drain()
    await cars.app.relay.delivery.deliver_due()
    thread = await thread_of(cars)
    assert topic_photos(cars, thread) == []
    assert "📷" not in cars.card(thread)
