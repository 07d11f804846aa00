"""Links that open: imported posts are cited as t.me/<name>/<id> once the channel's username is
known (`tgassist import --username`, a channel_post update, or the channel's web preview)."""

from __future__ import annotations

from collections.abc import AsyncIterator
from pathlib import Path

import pytest

from core.channels.names import USERNAME_RULE
from core.ingest.service import ExportImporter
from core.models import SourceKind
from tests.cli import run_cli, write_export
from tests.fakes.bot_api import FakeBotAPI
from tests.fakes.tme import FakeTelegramWeb
from tests.harness import BotHarness, eventually, make_settings

BARE_ID = 1591537674  # the id tchantest's page carries in data-view (tests/data/tme/kinds.html)
KINDS = Path(__file__).parent / "data" / "tme" / "kinds.html"
TEXTS = [
    "Мэрия утвердила план ремонта мостов через реку на следующий год",
    "Футбольный клуб объявил о новом тренере",
]


def _search_urls(
    monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str], tmp_path: Path
) -> list[str]:
    result = run_cli(
        monkeypatch, capsys, tmp_path, "search", "ремонт мостов", "--chat", "42", "--json"
    )
    assert result.code == 0, result.err
    return [hit["url"] for hit in result.json()["results"]]


def test_import_username_turns_members_only_links_into_public_ones(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    """Imported alone: t.me/c/<id>/1; imported again with --username: t.me/<name>/1, re-indexed."""
    export = write_export(tmp_path / "result.json", BARE_ID, TEXTS)
    first = run_cli(monkeypatch, capsys, tmp_path, "import", str(export), "--chat", "42", "--json")
    assert first.code == 0, first.err
    assert _search_urls(monkeypatch, capsys, tmp_path)[0] == f"https://t.me/c/{BARE_ID}/1"

    again = run_cli(
        monkeypatch,
        capsys,
        tmp_path,
        "import",
        str(export),
        "--chat",
        "42",
        "--username",
        "@TchanTest",
        "--json",
    )

    assert again.code == 0, again.err
    report = again.json()
    assert (report["username"], report["unchanged"], report["indexed"]) == ("tchantest", 2, 2)
    assert _search_urls(monkeypatch, capsys, tmp_path)[0] == "https://t.me/tchantest/1"


@pytest.mark.parametrize(
    ("username", "expected"),
    [
        ("@ab", USERNAME_RULE),
        ("https://t.me/c/1591537674/5", "--username needs a public username"),
        ("-1001591537674", "--username needs a public username"),
    ],
)
def test_bad_username_is_refused_and_nothing_is_stored(
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
    capsys: pytest.CaptureFixture[str],
    username: str,
    expected: str,
) -> None:
    """A malformed or id-only --username: one clear line, exit 2, no channel stored."""
    export = write_export(tmp_path / "result.json", BARE_ID, TEXTS)

    result = run_cli(
        monkeypatch, capsys, tmp_path, "import", str(export), "--chat", "42", "--username", username
    )

    assert result.code == 2
    assert result.err.startswith("error: ") and expected in result.err
    assert "Traceback" not in result.err
    listing = run_cli(monkeypatch, capsys, tmp_path, "channels", "--chat", "42", "--json")
    assert listing.json()["channels"] == []


def test_username_for_several_channels_is_refused(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    """One username cannot name two exported channels: clear error, nothing imported."""
    folder = tmp_path / "exports"
    folder.mkdir()
    write_export(folder / "a.json", BARE_ID, TEXTS)
    write_export(folder / "b.json", 777000111, ["другой канал"])

    result = run_cli(
        monkeypatch, capsys, tmp_path, "import", str(folder), "--chat", "42", "--username", "news"
    )

    assert result.code == 2 and "hold 2 channels" in result.err
    listing = run_cli(monkeypatch, capsys, tmp_path, "channels", "--chat", "42", "--json")
    assert listing.json()["channels"] == []


@pytest.fixture
async def tme() -> AsyncIterator[FakeTelegramWeb]:
    """t.me serving tchantest's page, whose data-view names the imported channel's id."""
    async with FakeTelegramWeb() as web:
        web.add_channel("tchantest", "tchan's test channel", []).body = KINDS.read_bytes()
        yield web


@pytest.fixture
async def harness(
    tmp_path: Path, bot_api: FakeBotAPI, tme: FakeTelegramWeb
) -> AsyncIterator[BotHarness]:
    """The whole bot (SQLite, Qdrant Edge, lexical) with the channel imported for chat 1001."""
    settings = make_settings(tmp_path, bot_api, telegram_web_base=tme.base_url)
    async with BotHarness(settings, bot_api) as running:
        export = write_export(tmp_path / "result.json", BARE_ID, TEXTS)
        await running.container.importer.store(1001, ExportImporter.parse([export]))
        running.container.background_indexer.kick(*await _tenants(running))
        await running.settle()
        yield running


async def _tenants(harness: BotHarness) -> list[int]:
    async with harness.container.uow_factory() as uow:
        tenant = await uow.tenants.by_chat_id(1001)
    return [tenant.id] if tenant else []


async def test_answers_cite_members_only_links_until_the_name_is_known(
    harness: BotHarness,
) -> None:
    """Before anything names the imported channel, its posts can only be cited as t.me/c/."""
    [answer] = await harness.send("Что с ремонтом мостов?")

    assert f'href="https://t.me/c/{BARE_ID}/1"' in answer


async def test_channel_post_teaches_the_username_and_answers_link_publicly(
    harness: BotHarness,
) -> None:
    """A channel_post from the imported channel carries chat.username: old posts get public links."""
    api = harness.api
    api.add_update(
        api.channel_post(
            "Новый пост канала",
            chat_id=-(10**12 + BARE_ID),
            message_id=3,
            username="tchantest",
            title="Channel",
        )
    )

    async def named() -> bool:
        async with harness.container.uow_factory() as uow:
            channel = await uow.channels.by_telegram_id(-(10**12 + BARE_ID))
        return channel is not None and channel.username == "tchantest"

    await eventually(named)
    await harness.settle()

    [answer] = await harness.send("Что с ремонтом мостов?")

    assert 'href="https://t.me/tchantest/1"' in answer
    assert "t.me/c/" not in answer


async def test_subscribing_to_the_preview_of_an_imported_channel_links_publicly(
    harness: BotHarness,
) -> None:
    """The preview's data-view id matches the import: one channel, public links for all its posts."""
    [reply] = await harness.send("/subscribe @tchantest")
    assert "Subscribed" in reply or "already" in reply
    await harness.settle()

    [answer] = await harness.send("Что с ремонтом мостов?")
    assert 'href="https://t.me/tchantest/1"' in answer
    [listing] = await harness.send("/channels")
    assert "Channels of this chat (1)" in listing  # the import and the preview are one channel
    assert "21 posts" in listing  # two imported, nineteen read from the preview
    [poll] = await harness.send("Which mascot for the meetup badge, capybara or axolotl?")
    assert 'href="https://t.me/tchantest/99"' in poll


async def test_subscribing_to_a_channel_named_at_import_starts_reading_its_preview(
    harness: BotHarness,
) -> None:
    """Re-imported with a username, then /subscribe @name: already followed, now read and polled."""
    export = write_export(harness.settings.data_dir / "again.json", BARE_ID, TEXTS)
    await harness.container.importer.store(
        1001, ExportImporter.parse([export]), username="tchantest"
    )

    [reply] = await harness.send("/subscribe @tchantest")

    assert "already" in reply
    async with harness.container.uow_factory() as uow:
        channel = await uow.channels.by_username("tchantest")
    assert channel is not None and channel.source is SourceKind.WEB_PREVIEW
    [listing] = await harness.send("/channels")
    assert "21 posts" in listing
