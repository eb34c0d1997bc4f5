"""Steps through the bundled checklist, as a prospect with English buttons takes them."""

from __future__ import annotations

from tests.fakegram import TelegramUser


async def consent(user: TelegramUser, source: str | None = None) -> None:
    await user.send("/start" if source is None else f"/start {source}")
    await user.click("✅ I agree")
    if "✅ I agree" in user.buttons():  # the CRM transfer, asked when a sales desk is set
        await user.click("✅ I agree")


async def consent_up_to_budget(user: TelegramUser) -> None:
    """Consent, "To live in", "2 rooms": the budget question is next."""
    await consent(user)
    await user.click("To live in")
    await user.click("2 rooms")


async def answer_rest(
    user: TelegramUser,
    *,
    purpose: str = "To live in",
    budget: str = "8,5 млн",
    timeline: str = "This month",
    name: str = "Anna",
) -> None:
    """Answers every question after consent; the defaults make a target lead."""
    await answer_up_to_call_time(user, purpose=purpose, budget=budget, timeline=timeline, name=name)
    await user.click("Evening (17–21)")


async def answer_up_to_call_time(
    user: TelegramUser,
    *,
    purpose: str = "To live in",
    budget: str = "8,5 млн",
    timeline: str = "This month",
    name: str = "Anna",
) -> None:
    """As `answer_rest`, up to the last question ("When is it convenient to call you?")."""
    await user.click(purpose)
    if purpose == "I want to rent a flat":
        await user.click("1 room")
    else:
        await user.click("2 rooms")
    await user.send(budget)
    await user.click("Mortgage")
    await user.click("Done ➡️")
    await user.click("Yes, it is approved")
    await user.click(timeline)
    await user.click("Park Vista — by the Central Park")
    await user.send(name)
    await user.press("📱 Share my phone number")


async def serious_buyer(user: TelegramUser, source: str | None = "vk_spring") -> None:
    await consent(user, source)
    await answer_rest(user)


async def cash_buyer_up_to_name(user: TelegramUser) -> None:
    """From consent to "What is your name?", paying with own funds."""
    await consent_up_to_budget(user)
    await user.send("9000000")
    await user.click("Own funds")
    await user.click("Done ➡️")
    await user.click("This month")
    await user.click("Not decided yet")
