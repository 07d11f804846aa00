"""What the bot says, in English and Russian (by the user's Telegram language)."""

from __future__ import annotations

from typing import Any

TEXTS: dict[str, dict[str, str]] = {
    "en": {
        "start": (
            "👋 <b>Hi! I read Telegram channels so you don't have to.</b>\n\n"
            "1. Follow channels: /subscribe @channel (or a t.me link)\n"
            "2. Ask anything in plain words — I answer from their posts and cite every source.\n"
            "3. I alert this chat when several channels suddenly cover the same story.\n\n"
            "/help lists every command."
        ),
        "help": (
            "<b>Commands</b>\n"
            "/subscribe @name — follow a channel (public channels, or ones where I am admin)\n"
            "/unsubscribe [@name] — stop following\n"
            "/channels — what this chat follows\n"
            "/ask [@channel] [7d] question — ask (in private chats just write the question)\n"
            "/trends — stories several channels cover right now\n"
            "/alerts on|off — trend alerts in this chat\n"
            "/interests — your interests (add/remove)\n"
        ),
        "subscribe_usage": "Send it like this: <code>/subscribe @channel</code> or <code>/subscribe https://t.me/channel</code>",
        "invalid_name": "⚠️ That does not look like a channel: {reason}.",
        "not_readable": "⚠️ I can't read {name}: {reason}.",
        "source_error": "⚠️ I couldn't reach {name} right now ({reason}). Please try again later.",
        "limit_reached": "⚠️ This chat already follows the maximum of {limit} channels. /unsubscribe one first.",
        "subscribed": "✅ Subscribed to <b>{title}</b> ({name}). Read {backfilled} recent posts; indexing continues in the background.",
        "subscribed_existing": "✅ Subscribed to <b>{title}</b> ({name}); {posts} posts already stored, indexing them for this chat.",
        "already_subscribed": "ℹ️ This chat already follows <b>{title}</b>.",
        "unsubscribed": "🗑 Unsubscribed from <b>{title}</b>.",
        "not_subscribed": "ℹ️ This chat does not follow {name}.",
        "unsubscribe_pick": "Which channel should this chat stop following?",
        "no_channels": "This chat follows no channels yet. Try /subscribe @channel",
        "channels_header": "<b>Channels of this chat ({count})</b>",
        "channel_line": "• {link} — {posts} posts, last {last}",
        "admins_only": "⛔ Only group administrators can change this chat's channels.",
        "error": "😔 Sorry, something went wrong on my side. Please try again in a moment.",
        "cancelled": "Cancelled.",
    },
    "ru": {
        "start": (
            "👋 <b>Привет! Я читаю Telegram-каналы за вас.</b>\n\n"
            "1. Подпишитесь на каналы: /subscribe @channel (или ссылка t.me)\n"
            "2. Спрашивайте обычными словами — я отвечу по их постам и дам ссылку на каждый источник.\n"
            "3. Я сообщу в этот чат, когда несколько каналов вдруг пишут об одном и том же.\n\n"
            "/help — все команды."
        ),
        "help": (
            "<b>Команды</b>\n"
            "/subscribe @name — подписаться на канал (публичный или где я администратор)\n"
            "/unsubscribe [@name] — отписаться\n"
            "/channels — на что подписан этот чат\n"
            "/ask [@канал] [7d] вопрос — задать вопрос (в личном чате просто напишите его)\n"
            "/trends — о чём сейчас пишут сразу несколько каналов\n"
            "/alerts on|off — оповещения о трендах в этом чате\n"
            "/interests — ваши интересы (добавить/убрать)\n"
        ),
        "subscribe_usage": "Отправьте так: <code>/subscribe @channel</code> или <code>/subscribe https://t.me/channel</code>",
        "invalid_name": "⚠️ Это не похоже на канал: {reason}.",
        "not_readable": "⚠️ Не могу читать {name}: {reason}.",
        "source_error": "⚠️ Сейчас не удалось получить {name} ({reason}). Попробуйте позже.",
        "limit_reached": "⚠️ Этот чат уже подписан на максимум — {limit} каналов. Сначала /unsubscribe.",
        "subscribed": "✅ Подписка на <b>{title}</b> ({name}). Прочитано недавних постов: {backfilled}; индексация идёт в фоне.",
        "subscribed_existing": "✅ Подписка на <b>{title}</b> ({name}); уже сохранено постов: {posts}, индексирую их для этого чата.",
        "already_subscribed": "ℹ️ Этот чат уже подписан на <b>{title}</b>.",
        "unsubscribed": "🗑 Подписка на <b>{title}</b> отменена.",
        "not_subscribed": "ℹ️ Этот чат не подписан на {name}.",
        "unsubscribe_pick": "От какого канала отписать этот чат?",
        "no_channels": "Этот чат пока ни на что не подписан. Попробуйте /subscribe @channel",
        "channels_header": "<b>Каналы этого чата ({count})</b>",
        "channel_line": "• {link} — постов: {posts}, последний {last}",
        "admins_only": "⛔ Менять каналы этого чата могут только администраторы группы.",
        "error": "😔 Извините, что-то пошло не так. Попробуйте ещё раз чуть позже.",
        "cancelled": "Отменено.",
    },
}


def language_of(code: str | None) -> str:
    """Russian for Russian-speaking clients (and close languages), English otherwise."""
    if code and code.split("-")[0].lower() in {"ru", "uk", "be", "kk"}:
        return "ru"
    return "en"


def t(lang: str, key: str, **values: Any) -> str:
    """The text `key` in `lang` with `values` filled in (callers escape what they pass)."""
    table = TEXTS.get(lang, TEXTS["en"])
    template = table.get(key) or TEXTS["en"][key]
    return template.format(**values) if values else template
