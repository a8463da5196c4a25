"""The mailbox service contract: the embedded store and the HTTP client behave the same."""

from __future__ import annotations

import asyncio
from datetime import timedelta

import pytest

from helpdesk.mailbox.models import LinkPurpose, MailboxStatus
from helpdesk.mailbox.service import (
    InvalidRequest,
    LinkState,
    MailboxExists,
    MailboxNotFound,
    MailboxService,
    NewMailbox,
)
from tests.helpdesk.mailbox.conftest import Clock

RESET, SETTINGS = LinkPurpose.RESET.value, LinkPurpose.SETTINGS.value
TTL = timedelta(minutes=30)


def new(address: str = "Jean.Dupont@Exemple.fr", **kw: object) -> NewMailbox:
    values: dict[str, object] = {
        "address": address,
        "password": "Ancien-mot-2-passe",
        "recovery_address": "jean.perso@ailleurs.example",
        "server": "mail.zindex.fr",
        "quota_bytes": 5 * 1024**3,
        "label": "Jean",
    }
    values.update(kw)
    return NewMailbox(**values)  # type: ignore[arg-type]


async def test_create_get_list(service: MailboxService) -> None:
    """A created mailbox is found by its address in any case, and listed."""
    made = await service.create(new())
    assert made.address == "jean.dupont@exemple.fr"
    assert made.status == MailboxStatus.ACTIVE and made.usage_bytes == 0
    got = await service.get("JEAN.dupont@exemple.FR")
    assert got == made
    assert got.recovery_address == "jean.perso@ailleurs.example"
    assert got.quota_bytes == 5 * 1024**3 and got.label == "Jean"
    await service.create(new("anne@exemple.fr", recovery_address=None, quota_bytes=None))
    assert [m.address for m in await service.list()] == ["anne@exemple.fr", made.address]
    assert await service.get("nobody@exemple.fr") is None
    assert await service.get("not an address") is None


@pytest.mark.parametrize(
    ("changes", "message"),
    [
        ({"address": "no-at-sign"}, "not an email address"),
        ({"recovery_address": "jean.dupont@exemple.fr"}, "recovery address must be another"),
        ({"recovery_address": "bad@"}, "not an email address"),
        ({"password": ""}, "must not be empty"),
        ({"password": "a\nb"}, "control characters"),
        ({"server": "two words"}, "not a server name"),
        ({"quota_bytes": 0}, "positive"),
    ],
)
async def test_create_refuses_bad_input(
    service: MailboxService, changes: dict[str, object], message: str
) -> None:
    """Bad values are refused with a message naming the problem."""
    with pytest.raises(InvalidRequest, match=message):
        await service.create(new(**changes))


async def test_create_twice_is_refused(service: MailboxService) -> None:
    """An address has one mailbox."""
    await service.create(new())
    with pytest.raises(MailboxExists):
        await service.create(new("JEAN.DUPONT@exemple.fr"))


async def test_unknown_mailbox_operations(service: MailboxService) -> None:
    """Changing a mailbox that does not exist says so."""
    with pytest.raises(MailboxNotFound):
        await service.set_password("nobody@exemple.fr", "Nouveau-mot-2-passe")
    with pytest.raises(MailboxNotFound):
        await service.suspend("nobody@exemple.fr", None)
    with pytest.raises(MailboxNotFound):
        await service.resume("nobody@exemple.fr")


async def test_suspend_and_resume(service: MailboxService, clock: Clock) -> None:
    """A suspension with an end date ends by itself; resume ends it at once."""
    await service.create(new())
    until = clock.now + timedelta(hours=72)
    box = await service.suspend("jean.dupont@exemple.fr", until)
    assert box.status == MailboxStatus.SUSPENDED and box.suspended_until == until
    assert not box.active_at(clock.now)
    assert box.active_at(until)
    box = await service.resume("jean.dupont@exemple.fr")
    assert box.status == MailboxStatus.ACTIVE and box.suspended_until is None


async def test_link_for_unknown_mailbox_is_none(service: MailboxService) -> None:
    """No link is issued for an address without a mailbox."""
    assert await service.issue_link("nobody@exemple.fr", RESET, TTL) is None


async def test_link_check_consumes_nothing(service: MailboxService, clock: Clock) -> None:
    """Checking a link any number of times leaves it valid; its context comes back."""
    await service.create(new())
    link = await service.issue_link("jean.dupont@exemple.fr", RESET, TTL, "HD-TEST fr")
    assert link is not None and len(link.token) == 43
    assert link.expires_at == clock.now + TTL
    assert link.token not in repr(link)
    for _ in range(3):
        check = await service.check_link(link.token, RESET)
        assert check.state == LinkState.VALID
    assert check.mailbox is not None and check.mailbox.address == "jean.dupont@exemple.fr"
    assert check.context == "HD-TEST fr"


async def test_link_purpose_and_garbage(service: MailboxService) -> None:
    """A token is unknown for another purpose, and garbage is unknown."""
    await service.create(new())
    link = await service.issue_link("jean.dupont@exemple.fr", SETTINGS, TTL)
    assert link is not None
    assert (await service.check_link(link.token, RESET)).state == LinkState.UNKNOWN
    assert (await service.reset_password(link.token, "Nouveau-2-passe")).state == LinkState.UNKNOWN
    for token in ("", "x" * 43, link.token + "a", "../../etc/passwd"):
        assert (await service.check_link(token, SETTINGS)).state == LinkState.UNKNOWN
    with pytest.raises(InvalidRequest):
        await service.check_link(link.token, "login")


async def test_a_link_works_once(service: MailboxService) -> None:
    """Using a link consumes it; the second use is refused as used."""
    await service.create(new())
    link = await service.issue_link("jean.dupont@exemple.fr", SETTINGS, TTL)
    assert link is not None
    assert (await service.use_link(link.token, SETTINGS)).state == LinkState.VALID
    assert (await service.use_link(link.token, SETTINGS)).state == LinkState.USED
    assert (await service.check_link(link.token, SETTINGS)).state == LinkState.USED


async def test_reset_sets_password_once(service: MailboxService, clock: Clock) -> None:
    """A reset link sets the password once; reusing it changes nothing."""
    before = await service.create(new())
    link = await service.issue_link("jean.dupont@exemple.fr", RESET, TTL)
    assert link is not None
    clock.advance(minutes=5)
    done = await service.reset_password(link.token, "Nouveau-mot-2-passe")
    assert done.state == LinkState.VALID and done.mailbox is not None
    assert done.mailbox.password_changed_at == before.password_changed_at + timedelta(minutes=5)
    clock.advance(minutes=1)
    again = await service.reset_password(link.token, "Encore-un-autre-2")
    assert again.state == LinkState.USED
    box = await service.get("jean.dupont@exemple.fr")
    assert box is not None and box.password_changed_at == done.mailbox.password_changed_at


async def test_expired_link_is_refused(service: MailboxService, clock: Clock) -> None:
    """After its lifetime a link is expired and sets nothing."""
    await service.create(new())
    link = await service.issue_link("jean.dupont@exemple.fr", RESET, TTL)
    assert link is not None
    clock.advance(minutes=30)
    assert (await service.check_link(link.token, RESET)).state == LinkState.EXPIRED
    assert (await service.reset_password(link.token, "Nouveau-2-passe")).state == LinkState.EXPIRED


async def test_password_change_voids_older_reset_links(service: MailboxService) -> None:
    """A password change voids every unused reset link, not other purposes or later links."""
    await service.create(new())
    address = "jean.dupont@exemple.fr"
    first = await service.issue_link(address, RESET, TTL)
    second = await service.issue_link(address, RESET, TTL)
    sheet = await service.issue_link(address, SETTINGS, TTL)
    assert first and second and sheet
    await service.set_password(address, "Change-par-operateur-1")
    assert (await service.check_link(first.token, RESET)).state == LinkState.VOIDED
    assert (await service.check_link(second.token, RESET)).state == LinkState.VOIDED
    assert (await service.check_link(sheet.token, SETTINGS)).state == LinkState.VALID
    later = await service.issue_link(address, RESET, TTL)
    assert later is not None
    assert (await service.check_link(later.token, RESET)).state == LinkState.VALID
    other = await service.issue_link(address, RESET, TTL)
    assert other is not None
    assert (await service.reset_password(later.token, "Nouveau-mot-2-passe")).ok
    assert (await service.check_link(other.token, RESET)).state == LinkState.VOIDED


async def test_concurrent_resets_use_the_link_once(service: MailboxService) -> None:
    """Two simultaneous submissions of one link: exactly one changes the password."""
    await service.create(new())
    link = await service.issue_link("jean.dupont@exemple.fr", RESET, TTL)
    assert link is not None
    results = await asyncio.gather(
        service.reset_password(link.token, "Premier-mot-2-passe"),
        service.reset_password(link.token, "Second-mot-2-passe"),
    )
    assert sorted(r.state.value for r in results) == ["used", "valid"]
