"""What the bot says, in English and Russian (by the user's Telegram language)."""

from __future__ import annotations

import re
from collections.abc import Sequence
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
            "/alerts on|off — trend alerts in this chat; /alerts why — what came close and why\n"
            "/interests — your interests (add/remove); shown only in our private chat. "
            "In a group, alerts are ranked by what its members asked there and the topics they added\n"
            "/digest — scheduled digest: /digest daily 09:00 Europe/Moscow, weekly, off, now, topics\n"
            '/watch "words" -exclusion — new posts with these words at once; /unwatch N\n'
            "/alerts here, /digest here, /watch here — in a forum topic: send those there\n"
            "/lang en|ru — the language of this chat\n"
            "/cancel — stop what I asked you for\n\n"
            "<b>In groups</b> ask by mentioning me (@{bot} question), by replying to one of my "
            "messages, or with /ask question."
        ),
        "subscribe_usage": "Send it like this: <code>/subscribe @channel</code> or <code>/subscribe https://t.me/channel</code>",
        "invalid_name": "⚠️ That does not look like a channel: {reason}.",
        "not_readable": "⚠️ I can't read {name}: {reason}.",
        "source_error": "⚠️ I couldn't reach {name} right now ({reason}). Please try again later.",
        "limit_reached": "⚠️ This chat already follows the maximum of {limit|channel|channels}. /unsubscribe one first.",
        "subscribed": "✅ Subscribed to <b>{title}</b> ({name}). Read {backfilled|recent post|recent posts}; indexing continues in the background — I'll tell you when it is done.",
        "subscribed_existing": "✅ Subscribed to <b>{title}</b> ({name}); {posts|post|posts} already stored, indexing them for this chat.",
        "already_subscribed": "ℹ️ This chat already follows <b>{title}</b>.",
        "unsubscribed": "🗑 Unsubscribed from <b>{title}</b>.",
        "not_subscribed": "ℹ️ This chat does not follow {name}.",
        "unsubscribe_pick": "Which channel should this chat stop following?",
        "no_channels": "This chat follows no channels yet. Try /subscribe @channel",
        "channels_header": "<b>Channels of this chat ({count})</b>",
        "channel_line": "• {link} — {posts|post|posts}, last {last}",
        # search: dense vector coverage in /channels
        "dense_coverage": "🧠 Search by meaning: {percent}% of posts ready ({ready} of {total}); until then a post is found by its words.",
        "admins_only": "⛔ Only group administrators can change this chat's channels.",
        "error": "😔 Sorry, something went wrong on my side. Please try again in a moment.",
        "quota_refused": "⛔ This command is not available.",
        "quota_usage": "Send it like this: <code>/quota</code> for every chat or <code>/quota CHAT_ID</code> for one.",
        "quota_unknown_chat": "ℹ️ I have never met chat <code>{chat}</code>.",
        "button_inactive": "This button is no longer active.",
        "quota_empty": "No chats yet.",
        "quota_header": "<b>Quotas of {count|chat|chats}</b> · daily limits reset at {resets}",
        "quota_columns": "chat channels posts vectors media vision index tokens questions title",
        "quota_legend": "⚠ = at or over a limit · storage as measured {measured} · details: /quota CHAT_ID",
        "quota_detail": (
            "<b>Quota of chat</b> <code>{chat}</code> {title}\n"
            "Channels: {channels}\n"
            "Stored: {posts} · {vectors}\n"
            "Storage: {storage}\n"
            "{storage_lines}\n"
            "LLM today: {tokens}\n"
            "Questions today: {questions}\n"
            "Daily limits reset at {resets}; storage measured {measured}.\n"
            "{reached}"
        ),
        "quota_of": "{used} of {limit}",
        "quota_no_limit": "{used}, unlimited",
        "quota_n_channels": "{n|channel|channels}",
        "quota_n_posts": "{n|post|posts}",
        "quota_n_vectors": "{n|vector|vectors} in the index",
        "quota_vectors_unknown": "vectors in the index unknown",
        "quota_n_tokens": "{n|token|tokens}",
        "quota_n_reserved": "{n} more reserved",
        "quota_n_questions": "{n|question|questions}",
        "quota_n_items": "{n|item|items}",
        "quota_type_media": "media",
        "quota_type_vision": "image descriptions",
        "quota_type_index": "search index",
        "quota_type_posts": "posts",
        "quota_kind_daily_tokens": "daily LLM tokens",
        "quota_kind_storage_bytes": "storage",
        "quota_kind_channels": "channels",
        "quota_kind_daily_questions": "daily questions",
        "quota_reached": "⚠ At or over: {limits}",
        "quota_ok": "✅ Within every limit.",
        "quota_never": "never",
        "quota_exhausted_tokens": "⚠️ This chat has used its daily AI budget ({limit|token|tokens}); it resets at {resets}. Meanwhile here are the most relevant passages of the posts:",
        "quota_exhausted_questions": "⚠️ This chat has asked its {limit|question|questions} for today; the limit resets at {resets}. Meanwhile here are the most relevant passages of the posts:",
        "trend_alert": (
            "📈 Trending: <b>{headline}</b>\n{actors}{summary}\n"
            "<i>Why: {mentions|post|posts} from {channels|channel|channels} in the last {hours} h; "
            "usually about {baseline}{rising}.</i>\n{posts}"
        ),
        # trend stories: actors and the LLM's summary under the headline
        "trend_actors": "👥 {actors}\n",
        "trend_summary": "{summary}\n",
        "trend_rising": "; rising again: {ratio}× its own level of the last day",
        "trend_escalation": (
            "📈 Still developing: <b>{headline}</b>\n{actors}{summary}\n"
            "<i>{new_posts|new post|new posts} from {new_channels|channel|channels} since {since} UTC "
            "({mentions} in the last {hours} h).</i>\n{posts}"
        ),
        "trend_post_line": "• {link} — {snippet}",
        "trend_mute_button": "🔕 Mute this trend",
        "trend_alerts_off_button": "🚫 Alerts off",
        "trends_header": "<b>Trending now in this chat's channels</b>",
        "trends_item": "{number}. <b>{headline}</b>\n{actors}{summary}<i>{mentions|post|posts}, {channels|channel|channels} (usually ~{baseline}){rising}</i>\n{posts}",
        "trends_none": "Nothing is trending in this chat's channels right now. I check every {minutes} minutes.",
        "alerts_usage": "Send <code>/alerts on</code> or <code>/alerts off</code>; <code>/alerts why</code> shows what came close, <code>/alerts here</code> in a forum topic sends alerts there.",
        "alerts_state_on": "🔔 Trend alerts are <b>on</b> in this chat. /alerts off to stop them.",
        "alerts_state_off": "🔕 Trend alerts are <b>off</b> in this chat. /alerts on to get them.",
        "alerts_turned_on": "🔔 Trend alerts are on: I'll write when several channels suddenly cover the same story.",
        "alerts_turned_off": "🔕 Trend alerts are off. /alerts on brings them back.",
        "alerts_admins_only": "⛔ Only group administrators can change this chat's alerts.",
        "trend_muted": "🔕 Muted: {label}",
        "trend_gone": "That trend is no longer stored.",
        "cancelled": "Cancelled.",
        "ask_usage": (
            "Ask like this: <code>/ask what did the channels say about the outage?</code>\n"
            "Narrow it down with a channel and a period first: "
            "<code>/ask @channel 7d question</code> (periods: 24h, 7d, 2w)."
        ),
        "ask_no_channels": "This chat follows no channels yet, so there is nothing to answer from. Start with /subscribe @channel",
        "ask_not_indexed": "⏳ I haven't finished indexing this chat's posts yet, so I can't answer from them right now. This chat follows {channels|channel|channels}.",
        "ask_not_indexed_pending": "Waiting to be indexed: {pending|post|posts}.",
        "ask_not_indexed_retry": "Please ask again in a few minutes.",
        "ask_unknown_channel": "ℹ️ This chat does not follow @{name}. /channels lists the channels it follows.",
        "ask_failed": "😔 Sorry, I couldn't search the posts just now. Please try again in a minute.",
        "ask_nothing_found": "🤷 I found nothing about that in this chat's channels. Try other words.",
        "ask_nothing_found_filtered": "🤷 I found nothing about that in the channels and period you chose. Try a wider period or other words.",
        "ask_meaning_pending": "🧠 Search by meaning is still being prepared ({percent}%, {ready} of {total} posts): until it is done, a post is found only by the words it shares with the question, so questions in other words or another language may miss it. Try again later, or ask with words the posts would use.",
        "ask_extractive_header": "📰 <b>The most relevant passages of the posts:</b>",
        "ask_llm_failed": "⚠️ The AI model did not respond, so here are the most relevant passages of the posts instead:",
        "ask_sources": "<b>Sources</b>",
        "ask_also": "also {links}",
        "ask_no_text": "(post without text)",
        "ask_throttled": "🐢 You're asking a little fast. Please wait {seconds} s and ask again.",
        # hardening: subscription changes are rate-limited per user
        "subscriptions_throttled": "🐢 Too many subscription changes. Please wait {seconds} s and try again.",
        "interests_header": "<b>Your interests</b> (✋ added by you, never fade · 🔍 from your questions, fade over time)",
        "interests_line": "{marker} {label} — {weight}",
        "interests_empty": "You have no interests yet. Ask questions and I will learn them, or add one: <code>/interests add topic</code>",
        "interests_hint": "Add: <code>/interests add topic</code> · remove: <code>/interests remove topic</code> or a button below.",
        "interests_usage": "Send it like this: <code>/interests</code>, <code>/interests add topic</code> or <code>/interests remove topic</code>.",
        "interests_added": "✅ Added to your interests: <b>{label}</b>.",
        "interests_already": "ℹ️ <b>{label}</b> is already one of your interests.",
        "interests_invalid": "⚠️ That can't be a topic: {reason}.",
        "interests_removed": "🗑 Removed from your interests: <b>{label}</b>.",
        "interests_unknown": "ℹ️ {label} is not among your interests.",
        "interests_remove_button": "✖ {label}",
        "dlq_refused": "⛔ This command is not available.",
        "dlq_usage": "<b>Dead-letter queue</b>\n<code>/dlq</code> — streams and their lengths\n<code>/dlq STREAM</code> — newest entries\n<code>/dlq show ID</code> · <code>/dlq retry ID</code>\n<code>/dlq retry all STREAM</code> · <code>/dlq purge STREAM</code>",
        "dlq_overview_header": "<b>Dead-letter streams</b>",
        "dlq_overview_line": "• <code>{stream}</code> — {length}",
        "dlq_overview_empty": "✅ The dead-letter queue is empty.",
        "dlq_open_button": "{job} ({length})",
        "dlq_page_header": "<b>{stream}</b> — entries {first}–{last} of {total}, newest first",
        "dlq_page_empty": "✅ <code>{stream}</code> has no entries.",
        "dlq_entry_line": "<code>{id}</code> · {when} · {subject} · {attempts|attempt|attempts}\n  {error}",
        "dlq_entry_header": "<b>Entry</b> <code>{id}</code> of <code>{stream}</code>, recorded {when}",
        "dlq_not_found": "ℹ️ No entry <code>{id}</code>.",
        "dlq_bad_stream": "⚠️ <code>{stream}</code> is not a stream name.",
        "dlq_retry_ok": "✅ Retried <code>{id}</code>: it worked, the entry is removed.",
        "dlq_retry_failed": "⚠️ Retried <code>{id}</code>: it failed again ({attempts|attempt|attempts} so far); the entry stays.\n{error}",
        "dlq_no_handler": "⚠️ Entries of <code>{stream}</code> cannot be retried.",
        "dlq_retry_all": "🔁 <code>{stream}</code>: {retried} retried, {succeeded} worked and were removed, {failed} failed again.",
        "dlq_purge_confirm": "🗑 Delete all {length|entry|entries} of <code>{stream}</code>? This cannot be undone.",
        "dlq_purge_yes": "🗑 Yes, purge",
        "dlq_purge_no": "Cancel",
        "dlq_purged": "🗑 Purged <code>{stream}</code>: {removed|entry|entries} deleted.",
        "dlq_newer": "◀ Newer",
        "dlq_older": "Older ▶",
        "dlq_retry_all_button": "🔁 Retry all",
        "dlq_purge_button": "🗑 Purge",
        # Keyword watches, digests, /alerts why, forum topics (issue 15)
        "watch_usage": (
            'Send it like this: <code>/watch "interest rate" -forecast</code>\n'
            'Words and "quoted phrases" must all occur in a post; <code>-word</code> excludes posts with it. '
            "<code>/watch</code> lists this chat's watches, <code>/unwatch N</code> removes one."
        ),
        "watch_too_long": "⚠️ That watch is too long: at most {limit} characters.",
        "watch_too_many_terms": "⚠️ Too many terms: at most {limit} words or phrases per watch.",
        "watch_stop_words": '⚠️ <code>{term}</code> is too common a word: it would match almost every post. Try something specific, e.g. <code>/watch "interest rate"</code>.',
        "watch_too_short": "⚠️ <code>{term}</code> is too short (fewer than {length} letters): it would match almost every post. Acronyms in capitals (<code>ECB</code>) are fine.",
        "watch_only_exclusions": "⚠️ A watch needs at least one word to look for, not only <code>-exclusions</code>: they alone would match almost every post.",
        "watch_limit": "⚠️ This chat already has the maximum of {limit} watches. Remove one with /unwatch first.",
        "watch_added": "✅ Watch {number} added: <code>{expression}</code>. New posts that match come here at once.",
        "watch_none": 'This chat watches no keywords yet. Try <code>/watch "interest rate" -forecast</code>',
        "watch_list_header": "<b>Keyword watches of this chat ({count} of {limit})</b>",
        "watch_list_footer": "Remove one with the buttons or <code>/unwatch N</code>.",
        "watch_remove_button": "🗑 {number}",
        "watch_removed": "🗑 Watch removed: <code>{expression}</code>",
        "watch_no_such": "⚠️ There is no watch number {number}. /watch lists them.",
        "unwatch_usage": "Send it like this: <code>/unwatch 2</code> (the number from /watch).",
        "watch_admins_only": "⛔ Only group administrators can change this chat's watches.",
        "watch_hit": "🔎 {source} · {date}\n{text}\n<i>watch: {watches}</i>",
        "watch_hits_header": "🔎 <b>New posts matching this chat's watches: {count}</b>",
        "admins_only_settings": "⛔ Only group administrators can change this.",
        "digest_settings": (
            "📰 <b>Digest of this chat</b>\n"
            "Schedule: {schedule}\nTime zone: {zone}\nTopics: {topics}\nNext: {next}\n\n"
            "<code>/digest daily 09:00 Europe/Moscow</code> · <code>/digest weekly mon 09:00 Europe/Moscow</code> · "
            "<code>/digest off</code> · <code>/digest now</code> · <code>/digest topics words</code> · <code>/digest here</code> (in a forum topic)"
        ),
        "digest_schedule_off": "off",
        "digest_schedule_daily": "daily at {time}",
        "digest_schedule_weekly": "weekly on {day} at {time}",
        "digest_weekdays": "Mon Tue Wed Thu Fri Sat Sun",
        "digest_topics_all": "everything",
        "digest_next_none": "—",
        "digest_usage": "Send it like this: <code>/digest daily 09:00 Europe/Moscow</code>, <code>/digest weekly mon 09:00 Europe/Moscow</code>, <code>/digest off</code>, <code>/digest now</code> or <code>/digest topics words</code>.",
        "digest_bad_time": "⚠️ <code>{value}</code> is not a time. Use 24-hour HH:MM, e.g. <code>/digest daily 09:00 Europe/Moscow</code>.",
        "digest_bad_zone": "⚠️ <code>{value}</code> is not a time zone I know. Use an IANA name, e.g. <code>/digest daily 09:00 Europe/Moscow</code> (or UTC, America/New_York).",
        "digest_bad_day": "⚠️ <code>{value}</code> is not a day of the week. Use mon, tue, wed, thu, fri, sat or sun, e.g. <code>/digest weekly mon 09:00 Europe/Moscow</code>.",
        "digest_bad_since": "⚠️ <code>{value}</code> is not a date. Use ISO 8601, e.g. 2024-12-01T09:00:00+03:00.",
        "digest_saved": "📰 Digest: {schedule} ({zone}). Next one: {next}.",
        "digest_turned_off": "📰 Digests are off in this chat. <code>/digest daily 09:00</code> brings them back.",
        "digest_topics_set": "📰 Digests will focus on: {topics}.",
        "digest_topics_cleared": "📰 Digests cover every story again.",
        "digest_topics_too_long": "⚠️ Too many topics: at most {limit} words, {length} characters.",
        "digest_admins_only": "⛔ Only group administrators can change this chat's digest.",
        "digest_header": "📰 <b>Digest</b> · {start} — {end} ({zone})",
        "digest_topics_line": "Topics: {topics}",
        "digest_story": "{number}. <b>{headline}</b>\n{summary}\n{sources}",
        "digest_story_alerted": "{number}. 🔔 <b>{headline}</b> — already sent as an alert\n{sources}",
        "digest_empty": "Nothing stood out in this chat's channels in this period.",
        "digest_button_daily": "📅 Daily 09:00",
        "digest_button_weekly": "🗓 Weekly Mon 09:00",
        "digest_button_off": "🚫 Off",
        "digest_button_now": "📰 Now",
        "alerts_why_never": "🔍 Trends have not been checked for this chat yet: I check every {minutes} minutes once it follows at least {channels} channels.",
        "alerts_why_header": "🔍 <b>Why no alert?</b> Trends were last checked {ago} min ago ({time} UTC); alerts are <b>{state}</b> in this chat.",
        "alerts_why_close": "Stories that came close:",
        "alerts_why_none": "Nothing came close in that check.",
        "alerts_why_item": "• <b>{label}</b> — {reason}",
        "alerts_why_state_on": "on",
        "alerts_why_state_off": "off",
        "miss_few_channels": "in {channels} channels, {needed} needed",
        "miss_below_threshold": "not unusual enough yet (score {score}, alerts from {threshold})",
        "miss_muted": "muted in this chat",
        "miss_already_sent": "already sent here",
        "miss_interests": "lowered by this chat's interests to {score} (alerts from {threshold})",
        "miss_over_limit": "better stories took this check's {limit} alerts; it may come next time",
        "miss_alerts_off": "alerts are off in this chat",
        "here_not_topic": "⚠️ Send this inside a topic of a forum supergroup; elsewhere messages go to the chat itself.",
        "here_set_alerts": "📌 Trend alerts of this chat will come to this topic.",
        "here_set_digest": "📌 Digests of this chat will come to this topic.",
        "here_set_watch": "📌 Keyword watch hits of this chat will come to this topic.",
        # --- hardening: personal answers go to the private chat ---
        "private_sent": "📬 I sent the answer to {command} to our private chat.",
        "private_start_first": "🔒 I answer {command} only in our private chat, and you have not started one with me yet: open {link}, press Start, then send {command} there.",
        "interests_private_button": "Your interests are shown only in our private chat.",
        # --- the command menu (set_my_commands) ---
        "command_start": "What this bot does",
        "command_help": "All commands",
        "command_subscribe": "Follow a channel: /subscribe @name",
        "command_unsubscribe": "Stop following a channel",
        "command_channels": "Channels this chat follows",
        "command_ask": "Ask about the channels' posts",
        "command_trends": "Stories several channels cover now",
        "command_alerts": "Trend alerts: /alerts on|off",
        "command_interests": "Your interests: add or remove topics",
        "command_lang": "Language of this chat: /lang en|ru",
        "command_cancel": "Stop what the bot asked for",
        "command_quota": "Admins: every chat's usage and limits",
        "command_dlq": "Admins: dead-letter queue",
        "command_digest": "Scheduled digest: /digest daily 09:00 Europe/Moscow",
        "command_watch": 'Keyword watch: /watch "interest rate" -forecast',
        "command_unwatch": "Remove a keyword watch: /unwatch N",
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
            "/alerts on|off — оповещения о трендах в этом чате; /alerts why — что было близко и почему\n"
            "/interests — ваши интересы (добавить/убрать); показываю только в личном чате. "
            "В группе оповещения ранжируются по вопросам её участников в этой группе и добавленным ими темам\n"
            "/digest — дайджест по расписанию: /digest daily 09:00 Europe/Moscow, weekly, off, now, topics\n"
            '/watch "слова" -исключение — новые посты с этими словами сразу; /unwatch N\n'
            "/alerts here, /digest here, /watch here — в теме форума: присылать туда\n"
            "/lang ru|en — язык этого чата\n"
            "/cancel — отменить то, что я у вас спросил\n\n"
            "<b>В группах</b> спрашивайте, упомянув меня (@{bot} вопрос), ответом на любое моё "
            "сообщение или командой /ask вопрос."
        ),
        "subscribe_usage": "Отправьте так: <code>/subscribe @channel</code> или <code>/subscribe https://t.me/channel</code>",
        "invalid_name": "⚠️ Это не похоже на канал: {reason}.",
        "not_readable": "⚠️ Не могу читать {name}: {reason}.",
        "source_error": "⚠️ Сейчас не удалось получить {name} ({reason}). Попробуйте позже.",
        "limit_reached": "⚠️ Этот чат уже подписан на максимум — {limit|канал|канала|каналов}. Сначала /unsubscribe.",
        "subscribed": "✅ Подписка на <b>{title}</b> ({name}). Прочитано: {backfilled|недавний пост|недавних поста|недавних постов}; индексация идёт в фоне — я скажу, когда закончу.",
        "subscribed_existing": "✅ Подписка на <b>{title}</b> ({name}); уже сохранено {posts|пост|поста|постов}, индексирую их для этого чата.",
        "already_subscribed": "ℹ️ Этот чат уже подписан на <b>{title}</b>.",
        "unsubscribed": "🗑 Подписка на <b>{title}</b> отменена.",
        "not_subscribed": "ℹ️ Этот чат не подписан на {name}.",
        "unsubscribe_pick": "От какого канала отписать этот чат?",
        "no_channels": "Этот чат пока ни на что не подписан. Попробуйте /subscribe @channel",
        "channels_header": "<b>Каналы этого чата ({count})</b>",
        "channel_line": "• {link} — {posts|пост|поста|постов}, последний {last}",
        # search: dense vector coverage in /channels
        "dense_coverage": "🧠 Поиск по смыслу: готово {percent}% постов ({ready} из {total}); пока вектора нет, пост находится по словам.",
        "admins_only": "⛔ Менять каналы этого чата могут только администраторы группы.",
        "error": "😔 Извините, что-то пошло не так. Попробуйте ещё раз чуть позже.",
        "quota_refused": "⛔ Эта команда недоступна.",
        "quota_usage": "Отправьте так: <code>/quota</code> — все чаты, <code>/quota CHAT_ID</code> — один чат.",
        "quota_unknown_chat": "ℹ️ Чат <code>{chat}</code> мне не встречался.",
        "button_inactive": "Эта кнопка больше не действует.",
        "quota_empty": "Чатов пока нет.",
        "quota_header": "<b>Квоты: {count|чат|чата|чатов}</b> · дневные лимиты обнуляются в {resets}",
        "quota_columns": "чат каналы посты векторы медиа картинки индекс токены вопросы название",
        "quota_legend": "⚠ = лимит достигнут или превышен · объём посчитан {measured} · подробно: /quota CHAT_ID",
        "quota_detail": (
            "<b>Квота чата</b> <code>{chat}</code> {title}\n"
            "Каналы: {channels}\n"
            "Сохранено: {posts} · {vectors}\n"
            "Хранилище: {storage}\n"
            "{storage_lines}\n"
            "LLM сегодня: {tokens}\n"
            "Вопросы сегодня: {questions}\n"
            "Дневные лимиты обнуляются в {resets}; объём посчитан {measured}.\n"
            "{reached}"
        ),
        "quota_of": "{used} из {limit}",
        "quota_no_limit": "{used}, без лимита",
        "quota_n_channels": "{n|канал|канала|каналов}",
        "quota_n_posts": "{n|пост|поста|постов}",
        "quota_n_vectors": "{n|вектор|вектора|векторов} в индексе",
        "quota_vectors_unknown": "сколько векторов в индексе, неизвестно",
        "quota_n_tokens": "{n|токен|токена|токенов}",
        "quota_n_reserved": "ещё {n} в резерве",
        "quota_n_questions": "{n|вопрос|вопроса|вопросов}",
        "quota_n_items": "{n|запись|записи|записей}",
        "quota_type_media": "медиа",
        "quota_type_vision": "описания картинок",
        "quota_type_index": "поисковый индекс",
        "quota_type_posts": "посты",
        "quota_kind_daily_tokens": "дневные токены LLM",
        "quota_kind_storage_bytes": "хранилище",
        "quota_kind_channels": "каналы",
        "quota_kind_daily_questions": "вопросы за день",
        "quota_reached": "⚠ Достигнуто: {limits}",
        "quota_ok": "✅ Все лимиты соблюдены.",
        "quota_never": "ещё не считался",
        "quota_exhausted_tokens": "⚠️ Дневной бюджет ИИ этого чата ({limit|токен|токена|токенов}) израсходован; он обновится в {resets}. Пока — самые подходящие фрагменты постов:",
        "quota_exhausted_questions": "⚠️ Этот чат уже задал {limit|вопрос|вопроса|вопросов} за сегодня; лимит обновится в {resets}. Пока — самые подходящие фрагменты постов:",
        "trend_alert": (
            "📈 В тренде: <b>{headline}</b>\n{actors}{summary}\n"
            "<i>Почему: {mentions|пост|поста|постов}, {channels|канал|канала|каналов} за последние {hours} ч; "
            "обычно около {baseline}{rising}.</i>\n{posts}"
        ),
        # trend stories: actors and the LLM's summary under the headline
        "trend_actors": "👥 {actors}\n",
        "trend_summary": "{summary}\n",
        "trend_rising": "; снова растёт: в {ratio} раза выше своего уровня за сутки",
        "trend_escalation": (
            "📈 Продолжение: <b>{headline}</b>\n{actors}{summary}\n"
            "<i>С {since} UTC — {new_posts|новый пост|новых поста|новых постов}, {new_channels|канал|канала|каналов} "
            "(всего {mentions} за последние {hours} ч).</i>\n{posts}"
        ),
        "trend_post_line": "• {link} — {snippet}",
        "trend_mute_button": "🔕 Не показывать этот тренд",
        "trend_alerts_off_button": "🚫 Выключить оповещения",
        "trends_header": "<b>Сейчас в тренде в каналах этого чата</b>",
        "trends_item": "{number}. <b>{headline}</b>\n{actors}{summary}<i>{mentions|пост|поста|постов}, {channels|канал|канала|каналов} (обычно ~{baseline}){rising}</i>\n{posts}",
        "trends_none": "Сейчас в каналах этого чата ничего не в тренде. Я проверяю каждые {minutes} мин.",
        "alerts_usage": "Отправьте <code>/alerts on</code> или <code>/alerts off</code>; <code>/alerts why</code> — что было близко к оповещению, <code>/alerts here</code> в теме форума — присылать оповещения туда.",
        "alerts_state_on": "🔔 Оповещения о трендах в этом чате <b>включены</b>. /alerts off — выключить.",
        "alerts_state_off": "🔕 Оповещения о трендах в этом чате <b>выключены</b>. /alerts on — включить.",
        "alerts_turned_on": "🔔 Оповещения включены: напишу, когда несколько каналов вдруг заговорят об одном и том же.",
        "alerts_turned_off": "🔕 Оповещения о трендах выключены. /alerts on — включить снова.",
        "alerts_admins_only": "⛔ Менять оповещения этого чата могут только администраторы группы.",
        "trend_muted": "🔕 Больше не покажу: {label}",
        "trend_gone": "Этого тренда больше нет.",
        "cancelled": "Отменено.",
        "ask_usage": (
            "Спросите так: <code>/ask что каналы писали о сбое?</code>\n"
            "Можно сузить поиск каналом и периодом: "
            "<code>/ask @channel 7d вопрос</code> (периоды: 24h, 7d, 2w)."
        ),
        "ask_no_channels": "Этот чат пока ни на что не подписан, отвечать не из чего. Начните с /subscribe @channel",
        "ask_not_indexed": "⏳ Я ещё не закончил индексировать посты этого чата, поэтому пока не могу по ним ответить. В подписке {channels|канал|канала|каналов}.",
        "ask_not_indexed_pending": "В очереди на индексацию {pending|пост|поста|постов}.",
        "ask_not_indexed_retry": "Спросите ещё раз через несколько минут.",
        "ask_unknown_channel": "ℹ️ Этот чат не подписан на @{name}. Список каналов — /channels.",
        "ask_failed": "😔 Извините, сейчас не получилось поискать по постам. Попробуйте через минуту.",
        "ask_nothing_found": "🤷 Ничего об этом в каналах этого чата не нашлось. Попробуйте другие слова.",
        "ask_nothing_found_filtered": "🤷 В выбранных каналах и за этот период ничего не нашлось. Попробуйте период шире или другие слова.",
        "ask_meaning_pending": "🧠 Поиск по смыслу ещё готовится ({percent}%, {ready} из {total} постов): пока он не готов, пост находится только по общим с вопросом словам, и вопрос другими словами или на другом языке может его не найти. Спросите позже или теми словами, какими написали бы в посте.",
        "ask_extractive_header": "📰 <b>Самые подходящие фрагменты постов:</b>",
        "ask_llm_failed": "⚠️ Модель ИИ не ответила, поэтому вот самые подходящие фрагменты постов:",
        "ask_sources": "<b>Источники</b>",
        "ask_also": "также {links}",
        "ask_no_text": "(пост без текста)",
        "ask_throttled": "🐢 Вы спрашиваете слишком часто. Подождите {seconds} с и спросите снова.",
        # hardening: subscription changes are rate-limited per user
        "subscriptions_throttled": "🐢 Слишком много изменений подписок. Подождите {seconds} с и попробуйте снова.",
        "interests_header": "<b>Ваши интересы</b> (✋ добавлены вами, не угасают · 🔍 из ваших вопросов, угасают со временем)",
        "interests_line": "{marker} {label} — {weight}",
        "interests_empty": "Интересов пока нет. Задавайте вопросы — я их запомню, или добавьте сами: <code>/interests add тема</code>",
        "interests_hint": "Добавить: <code>/interests add тема</code> · убрать: <code>/interests remove тема</code> или кнопкой ниже.",
        "interests_usage": "Отправьте так: <code>/interests</code>, <code>/interests add тема</code> или <code>/interests remove тема</code>.",
        "interests_added": "✅ Добавлено в ваши интересы: <b>{label}</b>.",
        "interests_already": "ℹ️ <b>{label}</b> уже среди ваших интересов.",
        "interests_invalid": "⚠️ Это не может быть темой: {reason}.",
        "interests_removed": "🗑 Убрано из ваших интересов: <b>{label}</b>.",
        "interests_unknown": "ℹ️ {label} нет среди ваших интересов.",
        "interests_remove_button": "✖ {label}",
        "dlq_refused": "⛔ Эта команда недоступна.",
        "dlq_usage": "<b>Очередь недоставленного (DLQ)</b>\n<code>/dlq</code> — потоки и их длина\n<code>/dlq ПОТОК</code> — последние записи\n<code>/dlq show ID</code> · <code>/dlq retry ID</code>\n<code>/dlq retry all ПОТОК</code> · <code>/dlq purge ПОТОК</code>",
        "dlq_overview_header": "<b>Потоки DLQ</b>",
        "dlq_overview_line": "• <code>{stream}</code> — {length}",
        "dlq_overview_empty": "✅ Очередь DLQ пуста.",
        "dlq_open_button": "{job} ({length})",
        "dlq_page_header": "<b>{stream}</b> — записи {first}–{last} из {total}, сначала новые",
        "dlq_page_empty": "✅ В <code>{stream}</code> нет записей.",
        "dlq_entry_line": "<code>{id}</code> · {when} · {subject} · {attempts|попытка|попытки|попыток}\n  {error}",
        "dlq_entry_header": "<b>Запись</b> <code>{id}</code> из <code>{stream}</code>, записана {when}",
        "dlq_not_found": "ℹ️ Записи <code>{id}</code> нет.",
        "dlq_bad_stream": "⚠️ <code>{stream}</code> — не имя потока.",
        "dlq_retry_ok": "✅ Повтор <code>{id}</code> удался, запись удалена.",
        "dlq_retry_failed": "⚠️ Повтор <code>{id}</code> снова не удался ({attempts|попытка|попытки|попыток} всего); запись осталась.\n{error}",
        "dlq_no_handler": "⚠️ Записи <code>{stream}</code> нельзя повторить.",
        "dlq_retry_all": "🔁 <code>{stream}</code>: повторено {retried}, удалось и удалено {succeeded}, снова не удалось {failed}.",
        "dlq_purge_confirm": "🗑 Удалить {length|запись|записи|записей} из <code>{stream}</code>? Это необратимо.",
        "dlq_purge_yes": "🗑 Да, очистить",
        "dlq_purge_no": "Отмена",
        "dlq_purged": "🗑 <code>{stream}</code> очищен: удалено {removed|запись|записи|записей}.",
        "dlq_newer": "◀ Новее",
        "dlq_older": "Старее ▶",
        "dlq_retry_all_button": "🔁 Повторить все",
        "dlq_purge_button": "🗑 Очистить",
        # Keyword watches, digests, /alerts why, forum topics (issue 15)
        "watch_usage": (
            'Отправьте так: <code>/watch "ключевая ставка" -прогноз</code>\n'
            'Все слова и "фразы в кавычках" должны быть в посте; <code>-слово</code> исключает посты с ним. '
            "<code>/watch</code> — список отслеживаний чата, <code>/unwatch N</code> — удалить."
        ),
        "watch_too_long": "⚠️ Слишком длинно: не больше {limit} символов.",
        "watch_too_many_terms": "⚠️ Слишком много условий: не больше {limit} слов или фраз.",
        "watch_stop_words": '⚠️ <code>{term}</code> — слишком частое слово: подойдёт почти любой пост. Уточните, например <code>/watch "ключевая ставка"</code>.',
        "watch_too_short": "⚠️ <code>{term}</code> — слишком коротко (меньше {length} букв): подойдёт почти любой пост. Аббревиатуры заглавными (<code>ЦБ</code>) можно.",
        "watch_only_exclusions": "⚠️ Нужно хотя бы одно слово для поиска, а не только <code>-исключения</code>: с ними одними подойдёт почти любой пост.",
        "watch_limit": "⚠️ В этом чате уже максимум отслеживаний ({limit}). Сначала удалите одно: /unwatch.",
        "watch_added": "✅ Отслеживание {number} добавлено: <code>{expression}</code>. Подходящие новые посты придут сюда сразу.",
        "watch_none": 'В этом чате пока нет отслеживаний. Попробуйте <code>/watch "ключевая ставка" -прогноз</code>',
        "watch_list_header": "<b>Отслеживания этого чата ({count} из {limit})</b>",
        "watch_list_footer": "Удалить — кнопкой или <code>/unwatch N</code>.",
        "watch_remove_button": "🗑 {number}",
        "watch_removed": "🗑 Отслеживание удалено: <code>{expression}</code>",
        "watch_no_such": "⚠️ Отслеживания с номером {number} нет. Список — /watch.",
        "unwatch_usage": "Отправьте так: <code>/unwatch 2</code> (номер из /watch).",
        "watch_admins_only": "⛔ Менять отслеживания этого чата могут только администраторы группы.",
        "watch_hit": "🔎 {source} · {date}\n{text}\n<i>отслеживание: {watches}</i>",
        "watch_hits_header": "🔎 <b>Новые посты по отслеживаниям этого чата: {count}</b>",
        "admins_only_settings": "⛔ Это могут менять только администраторы группы.",
        "digest_settings": (
            "📰 <b>Дайджест этого чата</b>\n"
            "Расписание: {schedule}\nЧасовой пояс: {zone}\nТемы: {topics}\nСледующий: {next}\n\n"
            "<code>/digest daily 09:00 Europe/Moscow</code> · <code>/digest weekly mon 09:00 Europe/Moscow</code> · "
            "<code>/digest off</code> · <code>/digest now</code> · <code>/digest topics слова</code> · <code>/digest here</code> (в теме форума)"
        ),
        "digest_schedule_off": "выключен",
        "digest_schedule_daily": "каждый день в {time}",
        "digest_schedule_weekly": "раз в неделю, {day} в {time}",
        "digest_weekdays": "пн вт ср чт пт сб вс",
        "digest_topics_all": "все",
        "digest_next_none": "—",
        "digest_usage": "Отправьте так: <code>/digest daily 09:00 Europe/Moscow</code>, <code>/digest weekly mon 09:00 Europe/Moscow</code>, <code>/digest off</code>, <code>/digest now</code> или <code>/digest topics слова</code>.",
        "digest_bad_time": "⚠️ <code>{value}</code> — не время. Укажите ЧЧ:ММ в 24-часовом формате, например <code>/digest daily 09:00 Europe/Moscow</code>.",
        "digest_bad_zone": "⚠️ Часовой пояс <code>{value}</code> мне неизвестен. Укажите имя IANA, например <code>/digest daily 09:00 Europe/Moscow</code> (или UTC, Asia/Yekaterinburg).",
        "digest_bad_day": "⚠️ <code>{value}</code> — не день недели. Укажите mon, tue, wed, thu, fri, sat, sun (или пн … вс), например <code>/digest weekly mon 09:00 Europe/Moscow</code>.",
        "digest_bad_since": "⚠️ <code>{value}</code> — не дата. Укажите ISO 8601, например 2024-12-01T09:00:00+03:00.",
        "digest_saved": "📰 Дайджест: {schedule} ({zone}). Следующий: {next}.",
        "digest_turned_off": "📰 Дайджесты в этом чате выключены. <code>/digest daily 09:00</code> — включить снова.",
        "digest_topics_set": "📰 Дайджесты будут о темах: {topics}.",
        "digest_topics_cleared": "📰 Дайджесты снова обо всём.",
        "digest_topics_too_long": "⚠️ Слишком много тем: не больше {limit} слов и {length} символов.",
        "digest_admins_only": "⛔ Менять дайджест этого чата могут только администраторы группы.",
        "digest_header": "📰 <b>Дайджест</b> · {start} — {end} ({zone})",
        "digest_topics_line": "Темы: {topics}",
        "digest_story": "{number}. <b>{headline}</b>\n{summary}\n{sources}",
        "digest_story_alerted": "{number}. 🔔 <b>{headline}</b> — уже было в оповещении\n{sources}",
        "digest_empty": "За этот период в каналах чата ничего заметного.",
        "digest_button_daily": "📅 Каждый день 09:00",
        "digest_button_weekly": "🗓 По понедельникам 09:00",
        "digest_button_off": "🚫 Выключить",
        "digest_button_now": "📰 Сейчас",
        "alerts_why_never": "🔍 Тренды для этого чата ещё не проверялись: я проверяю каждые {minutes} мин., когда чат следит хотя бы за {channels} каналами.",
        "alerts_why_header": "🔍 <b>Почему нет оповещения?</b> Последняя проверка трендов — {ago} мин. назад ({time} UTC); оповещения в этом чате <b>{state}</b>.",
        "alerts_why_close": "Что было близко:",
        "alerts_why_none": "В той проверке ничего близкого не было.",
        "alerts_why_item": "• <b>{label}</b> — {reason}",
        "alerts_why_state_on": "включены",
        "alerts_why_state_off": "выключены",
        "miss_few_channels": "каналов: {channels}, нужно {needed}",
        "miss_below_threshold": "пока недостаточно необычно (оценка {score}, оповещение от {threshold})",
        "miss_muted": "выключено в этом чате",
        "miss_already_sent": "уже отправлено сюда",
        "miss_interests": "интересы чата снизили оценку до {score} (оповещение от {threshold})",
        "miss_over_limit": "более важные истории заняли все оповещения этой проверки ({limit}); может прийти в следующий раз",
        "miss_alerts_off": "оповещения в этом чате выключены",
        "here_not_topic": "⚠️ Отправьте это внутри темы форума супергруппы; в остальных случаях сообщения идут в сам чат.",
        "here_set_alerts": "📌 Оповещения о трендах этого чата будут приходить в эту тему.",
        "here_set_digest": "📌 Дайджесты этого чата будут приходить в эту тему.",
        "here_set_watch": "📌 Находки отслеживаний этого чата будут приходить в эту тему.",
        # --- hardening: personal answers go to the private chat ---
        "private_sent": "📬 Ответ на {command} — в нашем личном чате.",
        "private_start_first": "🔒 На {command} я отвечаю только в личном чате, а вы его со мной ещё не начали: откройте {link}, нажмите «Запустить» и отправьте {command} там.",
        "interests_private_button": "Ваши интересы видны только в нашем личном чате.",
        # --- the command menu (set_my_commands) ---
        "command_start": "Что умеет бот",
        "command_help": "Все команды",
        "command_subscribe": "Подписаться: /subscribe @name",
        "command_unsubscribe": "Отписаться от канала",
        "command_channels": "Каналы этого чата",
        "command_ask": "Спросить по постам каналов",
        "command_trends": "О чём пишут сразу несколько каналов",
        "command_alerts": "Оповещения о трендах: /alerts on|off",
        "command_interests": "Ваши интересы: добавить или убрать темы",
        "command_lang": "Язык этого чата: /lang ru|en",
        "command_cancel": "Отменить то, о чём спросил бот",
        "command_quota": "Админам: расход и лимиты чатов",
        "command_dlq": "Админам: очередь DLQ",
        "command_digest": "Дайджест по расписанию: /digest daily 09:00",
        "command_watch": 'Отслеживать слова: /watch "ключевая ставка"',
        "command_unwatch": "Убрать отслеживание: /unwatch N",
    },
}


# --- first hour (issue 12): prompts for bare commands, channel picking, reasons in the user's
# language, why trends are quiet, indexing progress, /lang, admin help -------------------------
_FIRST_HOUR: dict[str, dict[str, str]] = {
    "en": {
        "help_admin": (
            "\n\n<b>Admins</b>\n"
            "/quota [chat] — every chat's usage against its limits\n"
            "/dlq — the dead-letter queue (show, retry, purge)"
        ),
        "subscribe_prompt": (
            "Which channel should this chat follow? Send its @name or a t.me link, "
            "or pick one of your channels with the button below. /cancel to stop."
        ),
        "subscribe_prompt_group": (
            "Which channel should this chat follow? Reply to this message with its @name "
            "or a t.me link. /cancel to stop."
        ),
        "pick_channel_button": "📢 Pick one of my channels",
        "channel_placeholder": "@channel or t.me/channel",
        "ask_prompt": (
            "What would you like to know? Send your question; narrow it down with a channel and "
            "a period first if you like: <code>@channel 7d question</code>. /cancel to stop."
        ),
        "interests_add_prompt": "Which topic should I add to your interests? Send it. /cancel to stop.",
        "prompt_needs_user": "⚠️ I can only wait for your answer when you write as yourself (not anonymously or as a channel): send the command with what it needs, e.g. <code>/subscribe @channel</code>.",
        "prompt_needs_text": "Please send it as text, or /cancel.",
        "unsubscribe_nothing": (
            "There is nothing to unsubscribe from: this chat follows no channels yet. "
            "/subscribe @channel follows one."
        ),
        "nothing_to_cancel": "There is nothing to cancel.",
        "subscribe_offer": "Subscribe this chat to {name}?",
        "subscribe_offer_button": "✅ Subscribe to {name}",
        "reason_empty": "no channel name given",
        "reason_too_long": "that is too long to be a channel name",
        "reason_not_telegram": "only t.me links and @usernames name Telegram channels",
        "reason_no_channel": "the link names no channel",
        "reason_invite_link": "private invite links can't be followed — add me to the channel as an administrator instead",
        "reason_bad_username": "a channel username has 5–32 letters, digits or underscores and starts with a letter",
        "reason_no_preview": "it has no public web preview (t.me/s/…)",
        "reason_not_found": "there is no such channel on t.me",
        "reason_not_a_channel": "t.me shows no channel posts there",
        "reason_not_seen": "it is private and I have not seen it",
        "reason_unavailable": "t.me did not answer properly",
        "reason_rate_limited": "t.me asks me to slow down",
        "reason_other": "something unexpected went wrong",
        "reason_length": "a topic is 1 to 64 characters",
        "reason_no_words": "the topic has no meaningful words",
        "not_readable_alternatives": (
            "What works instead:\n"
            "• <b>Add me to the channel as an administrator</b> (the button below; I only read "
            "posts). Its new posts then reach me, and /subscribe {name} works.\n"
            "• <b>Import its history</b>: in Telegram Desktop open the channel → ⋮ → Export chat "
            "history → format JSON; then, where I run: "
            "<code>tgassist import result.json --chat {chat}</code>"
        ),
        "add_admin_button": "➕ Add me to a channel as admin",
        "indexed_notice": "✅ {name}: {posts|post|posts} indexed — ask me",
        "still_indexing": "⏳ {pending|post is|posts are} still being indexed; this answer may miss them.",
        "channel_backlog": "   ⏳ waiting to be indexed: {pending|post|posts}",
        "channel_error": "   ⚠️ the last update failed: {reason}",
        "channel_index_error": "   ⚠️ indexing failed last time; I will retry on my own",
        "trends_quiet_few_channels": (
            "Nothing is trending: a trend needs at least {needed|channel|channels} "
            "covering the same story, and this chat follows {followed}. /subscribe adds more."
        ),
        "trends_quiet_no_history": (
            "Nothing is trending yet: I need about {days|day|days} of posts to know what is "
            "usual for these channels, and they go back only to {since}. There will be enough "
            "around {ready}."
        ),
        "trends_quiet_no_burst": (
            "Nothing is trending: in the last {hours} h no story was covered by {needed}+ "
            "channels more than usual. Last check: {checked}; I check every {minutes} min."
        ),
        "trends_quiet_no_posts": "Nothing is trending: the channels of this chat have no posts stored yet.",
        "trends_quiet_not_checked": (
            "Nothing is trending yet: I haven't checked this chat's channels since they became "
            "enough; I check every {minutes} min."
        ),
        "alerts_last_check": "Last check: {checked}.",
        "alerts_never_checked": "Not checked yet (I check every {minutes} min).",
        "alerts_need_channels": "To get alerts this chat needs at least {needed|channel|channels}; it follows {followed}.",
        "alerts_need_history": "Alerts start once there is enough history, around {ready}.",
        "alerts_ready": "This chat follows enough channels with enough history.",
        "lang_usage": "Send <code>/lang en</code> or <code>/lang ru</code> (now: {current}).",
        "lang_set": "🌐 This chat now speaks English.",
        "lang_admins_only": "⛔ Only group administrators can change this chat's language.",
        "language_name": "English",
        "bot_description": (
            "I read Telegram channels for you. Follow channels with /subscribe, ask questions "
            "in plain words and get answers from their posts, each claim linked to its post. "
            "I also tell you when several channels suddenly cover the same story."
        ),
        "bot_short_description": "Answers from your Telegram channels, with links; trend alerts.",
    },
    "ru": {
        "help_admin": (
            "\n\n<b>Администраторам</b>\n"
            "/quota [чат] — расход каждого чата и его лимиты\n"
            "/dlq — очередь недоставленного (просмотр, повтор, очистка)"
        ),
        "subscribe_prompt": (
            "На какой канал подписать этот чат? Пришлите его @имя или ссылку t.me "
            "или выберите свой канал кнопкой ниже. /cancel — отменить."
        ),
        "subscribe_prompt_group": (
            "На какой канал подписать этот чат? Ответьте на это сообщение @именем канала "
            "или ссылкой t.me. /cancel — отменить."
        ),
        "pick_channel_button": "📢 Выбрать мой канал",
        "channel_placeholder": "@канал или t.me/канал",
        "ask_prompt": (
            "Что вы хотите узнать? Пришлите вопрос; при желании сузьте поиск каналом и периодом: "
            "<code>@channel 7d вопрос</code>. /cancel — отменить."
        ),
        "interests_add_prompt": "Какую тему добавить в ваши интересы? Пришлите её. /cancel — отменить.",
        "prompt_needs_user": "⚠️ Дождаться вашего ответа я могу, только когда вы пишете от своего имени (не анонимно и не от канала): отправьте команду сразу с тем, что ей нужно, например <code>/subscribe @channel</code>.",
        "prompt_needs_text": "Пришлите, пожалуйста, текстом или отмените: /cancel.",
        "unsubscribe_nothing": (
            "Отписываться не от чего: этот чат пока ни на что не подписан. "
            "/subscribe @channel — подписаться."
        ),
        "nothing_to_cancel": "Отменять нечего.",
        "subscribe_offer": "Подписать этот чат на {name}?",
        "subscribe_offer_button": "✅ Подписаться на {name}",
        "reason_empty": "не указано имя канала",
        "reason_too_long": "слишком длинно для имени канала",
        "reason_not_telegram": "каналы Telegram называются ссылками t.me или @именами",
        "reason_no_channel": "в ссылке нет канала",
        "reason_invite_link": "по приватной ссылке-приглашению подписаться нельзя — добавьте меня в канал администратором",
        "reason_bad_username": "имя канала — 5–32 латинские буквы, цифры или подчёркивания, первая — буква",
        "reason_no_preview": "у него нет публичного веб-просмотра (t.me/s/…)",
        "reason_not_found": "такого канала на t.me нет",
        "reason_not_a_channel": "t.me не показывает там постов канала",
        "reason_not_seen": "он закрытый, и я его не видел",
        "reason_unavailable": "t.me ответил не так, как должен",
        "reason_rate_limited": "t.me просит меня не торопиться",
        "reason_other": "случилось что-то непредвиденное",
        "reason_length": "тема — от 1 до 64 символов",
        "reason_no_words": "в теме нет значимых слов",
        "not_readable_alternatives": (
            "Что сработает:\n"
            "• <b>Добавьте меня в канал администратором</b> (кнопка ниже; я только читаю посты). "
            "Тогда новые посты будут приходить мне, и /subscribe {name} заработает.\n"
            "• <b>Импортируйте историю</b>: в Telegram Desktop откройте канал → ⋮ → Экспорт истории "
            "чата → формат JSON; затем там, где я работаю: "
            "<code>tgassist import result.json --chat {chat}</code>"
        ),
        "add_admin_button": "➕ Добавить меня в канал админом",
        "indexed_notice": "✅ {name}: проиндексировано {posts|пост|поста|постов} — спрашивайте",
        "still_indexing": "⏳ Ещё индексируется {pending|пост|поста|постов}; в этом ответе их может не хватать.",
        "channel_backlog": "   ⏳ ждут индексации: {pending|пост|поста|постов}",
        "channel_error": "   ⚠️ последнее обновление не удалось: {reason}",
        "channel_index_error": "   ⚠️ в прошлый раз индексация не удалась; я повторю сам",
        "trends_quiet_few_channels": (
            "Трендов нет: тренду нужен хотя бы {needed|канал|канала|каналов} "
            "об одном и том же, а этот чат подписан на {followed}. /subscribe — добавить."
        ),
        "trends_quiet_no_history": (
            "Трендов пока нет: чтобы понять, что для этих каналов обычно, мне нужно около "
            "{days|дня|дней|дней} постов, а они начинаются только с {since}. Хватит примерно к {ready}."
        ),
        "trends_quiet_no_burst": (
            "Сейчас ничего не в тренде: за последние {hours} ч ни одну историю {needed}+ каналов "
            "не освещали больше обычного. Последняя проверка: {checked}; проверяю каждые {minutes} мин."
        ),
        "trends_quiet_no_posts": "Трендов нет: у каналов этого чата пока нет сохранённых постов.",
        "trends_quiet_not_checked": (
            "Трендов пока нет: с тех пор как каналов стало достаточно, я их ещё не проверял; "
            "проверяю каждые {minutes} мин."
        ),
        "alerts_last_check": "Последняя проверка: {checked}.",
        "alerts_never_checked": "Ещё не проверял (проверяю каждые {minutes} мин).",
        "alerts_need_channels": "Для оповещений нужно хотя бы {needed|канал|канала|каналов}; этот чат подписан на {followed}.",
        "alerts_need_history": "Оповещения начнутся, когда накопится история, примерно к {ready}.",
        "alerts_ready": "Каналов и истории для трендов достаточно.",
        "lang_usage": "Отправьте <code>/lang ru</code> или <code>/lang en</code> (сейчас: {current}).",
        "lang_set": "🌐 Теперь этот чат говорит по-русски.",
        "lang_admins_only": "⛔ Менять язык этого чата могут только администраторы группы.",
        "language_name": "русский",
        "bot_description": (
            "Я читаю Telegram-каналы за вас. Подпишитесь на каналы командой /subscribe, "
            "спрашивайте обычными словами — отвечу по их постам и дам ссылку на каждый источник. "
            "А ещё сообщу, когда несколько каналов вдруг пишут об одном и том же."
        ),
        "bot_short_description": "Ответы по вашим Telegram-каналам со ссылками; оповещения о трендах.",
    },
}
for _lang, _texts in _FIRST_HOUR.items():
    TEXTS[_lang].update(_texts)


# --- plurals (first hour): `{name|one|other}` in English, `{name|one|few|many}` in Russian ---------
# A template part like `{posts|пост|поста|постов}` becomes "5 постов": the value as passed
# (it may be formatted, e.g. "1,000"), then the form its number takes.
_PLURAL_PART = re.compile(r"\{(\w+)\|([^{}]+)\}")


def plural(lang: str, count: int, forms: Sequence[str]) -> str:
    """The form of a noun for `count`: English one/other, Russian one/few/many (1 пост,
    2 поста, 5 постов, 21 пост, 11 постов)."""
    count = abs(count)
    if lang == "ru" and len(forms) >= 3:
        if count % 10 == 1 and count % 100 != 11:
            return forms[0]
        if 2 <= count % 10 <= 4 and not 12 <= count % 100 <= 14:
            return forms[1]
        return forms[2]
    return forms[0] if count == 1 else forms[-1]


def _as_count(value: Any) -> int:
    if isinstance(value, int):
        return value
    digits = re.sub(r"[^0-9]", "", str(value))
    return int(digits) if digits else 0


def _with_plurals(lang: str, template: str, values: dict[str, Any]) -> str:
    def replace(match: re.Match[str]) -> str:
        value = values[match.group(1)]
        form = plural(lang, _as_count(value), match.group(2).split("|"))
        return f"{{{match.group(1)}}} {form.replace('{', '{{').replace('}', '}}')}"

    return _PLURAL_PART.sub(replace, template)


def language_of(code: str | None) -> str:
    """Russian for Russian-speaking clients (and close languages), English otherwise."""
    if code and code.split("-")[0].lower() in {"ru", "uk", "be", "kk"}:
        return "ru"
    return "en"


LANGUAGES = ("en", "ru")


def reason(lang: str, kind: str) -> str:
    """A core error's kind as words in `lang` (the core's English message never reaches chats)."""
    key = f"reason_{kind}"
    return t(lang, key if key in TEXTS["en"] else "reason_other")


def t(lang: str, key: str, **values: Any) -> str:
    """The text `key` in `lang` with `values` filled in (callers escape what they pass)."""
    table = TEXTS.get(lang, TEXTS["en"])
    template = table.get(key) or TEXTS["en"][key]
    if not values:
        return template
    return _with_plurals(lang, template, values).format(**values)


# The command menu in the order clients show it; admin commands only in admins' private chats.
MENU = (
    "start",
    "help",
    "subscribe",
    "unsubscribe",
    "channels",
    "ask",
    "trends",
    "alerts",
    "interests",
    "lang",
    "cancel",
    "digest",
    "watch",
    "unwatch",
)
ADMIN_MENU = ("quota", "dlq")


def commands(lang: str, *, admin: bool = False) -> list[tuple[str, str]]:
    """(command, description) pairs of the menu, or of the admin commands."""
    return [(name, t(lang, f"command_{name}")) for name in (ADMIN_MENU if admin else MENU)]
