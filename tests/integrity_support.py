"""Helpers of the hardening tests: real database faults (triggers), a group following news."""

from __future__ import annotations

from sqlalchemy import text

from storage.db import create_engine
from tests.harness import BotHarness


async def install_failure(database_url: str, table: str, event: str, when: str = "true") -> None:
    """Make the database itself refuse `event` (INSERT/DELETE) on `table` when `when` holds.

    A trigger raising an error is a real database failure (what a full disk or a lost
    connection looks like to the code), not a stub of the code under test.
    """
    engine = create_engine(database_url)
    name = f"fail_{table}_{event.lower()}"
    row = "OLD" if event.upper() == "DELETE" else "NEW"
    condition = when.replace("ROW.", f"{row}.")
    async with engine.begin() as connection:
        if engine.dialect.name == "sqlite":
            await connection.execute(
                text(
                    f"CREATE TRIGGER {name} BEFORE {event} ON {table} "
                    f"WHEN {condition.replace('true', '1')} "
                    "BEGIN SELECT RAISE(ABORT, 'injected database failure'); END"
                )
            )
        else:
            await connection.execute(
                text(
                    f"CREATE FUNCTION {name}() RETURNS trigger AS $$ BEGIN "
                    "RAISE EXCEPTION 'injected database failure'; END $$ LANGUAGE plpgsql"
                )
            )
            await connection.execute(
                text(
                    f"CREATE TRIGGER {name} BEFORE {event} ON {table} FOR EACH ROW "
                    f"WHEN ({condition}) EXECUTE FUNCTION {name}()"
                )
            )
    await engine.dispose()


async def remove_failure(database_url: str, table: str, event: str) -> None:
    """Drop a failure installed by `install_failure`."""
    engine = create_engine(database_url)
    name = f"fail_{table}_{event.lower()}"
    async with engine.begin() as connection:
        if engine.dialect.name == "sqlite":
            await connection.execute(text(f"DROP TRIGGER {name}"))
        else:
            await connection.execute(text(f"DROP TRIGGER {name} ON {table}"))
            await connection.execute(text(f"DROP FUNCTION {name}()"))
    await engine.dispose()


async def group_following_news(
    harness: BotHarness, chat_id: int, chat_type: str, admin: int
) -> None:
    """A group whose administrator `admin` subscribed it to @dailynews, indexed."""
    harness.api.add_chat(chat_id, chat_type, title="Team")
    harness.api.set_member_status(chat_id, admin, "administrator")
    [reply] = await harness.send(
        "/subscribe @dailynews", chat_id=chat_id, user_id=admin, chat_type=chat_type
    )
    assert "Subscribed" in reply
    await harness.settle()
