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
            "/interests — your interests (add/remove); shown only in our private chat. "
            "In a group, alerts are ranked by what its members asked there and the topics they added\n"
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
        # search: dense vector coverage in /channels
        "dense_coverage": "🧠 Search by meaning: {percent}% of posts ready ({ready} of {total}); until then a post is found by its words.",
        "admins_only": "⛔ Only group administrators can change this chat's channels.",
        "error": "😔 Sorry, something went wrong on my side. Please try again in a moment.",
        "quota_refused": "⛔ This command is not available.",
        "quota_usage": "Send it like this: <code>/quota</code> for every chat or <code>/quota CHAT_ID</code> for one.",
        "quota_unknown_chat": "ℹ️ I have never met chat <code>{chat}</code>.",
        "button_inactive": "This button is no longer active.",
        "quota_empty": "No chats yet.",
        "quota_header": "<b>Quotas of {count} chat(s)</b> · daily limits reset at {resets}",
        "quota_legend": "⚠ = at or over a limit · storage as measured {measured} · details: /quota CHAT_ID",
        "quota_detail": (
            "<b>Quota of chat</b> <code>{chat}</code> {title}\n"
            "Channels: {channels}\n"
            "Posts: {posts} · vectors: {vectors}\n"
            "Storage: {storage}\n"
            "{storage_lines}\n"
            "LLM tokens today: {tokens}\n"
            "Questions today: {questions}\n"
            "Daily limits reset at {resets}; storage measured {measured}.\n"
            "{reached}"
        ),
        "quota_reached": "⚠ At or over: {limits}",
        "quota_ok": "✅ Within every limit.",
        "quota_never": "never",
        "quota_unlimited": "unlimited",
        "quota_exhausted_tokens": "⚠️ This chat has used its daily AI budget ({limit} tokens); it resets at {resets}. Meanwhile here are the most relevant passages of the posts:",
        "quota_exhausted_questions": "⚠️ This chat has asked its {limit} questions for today; the limit resets at {resets}. Meanwhile here are the most relevant passages of the posts:",
        "trend_alert": (
            "📈 Trending: <b>{headline}</b>\n{actors}{summary}\n"
            "<i>Why: {mentions} posts from {channels} channels in the last {hours} h; "
            "usually about {baseline}{rising}.</i>\n{posts}"
        ),
        # trend stories: actors and the LLM's summary under the headline
        "trend_actors": "👥 {actors}\n",
        "trend_summary": "{summary}\n",
        "trend_rising": "; rising again: {ratio}× its own level of the last day",
        "trend_escalation": (
            "📈 Still developing: <b>{headline}</b>\n{actors}{summary}\n"
            "<i>{new_posts} new posts from {new_channels} channels since {since} UTC "
            "({mentions} in the last {hours} h).</i>\n{posts}"
        ),
        "trend_post_line": "• {link} — {snippet}",
        "trend_mute_button": "🔕 Mute this trend",
        "trend_alerts_off_button": "🚫 Alerts off",
        "trends_header": "<b>Trending now in this chat's channels</b>",
        "trends_item": "{number}. <b>{headline}</b>\n{actors}{summary}<i>{mentions} posts, {channels} channels (usually ~{baseline}){rising}</i>\n{posts}",
        "trends_none": "Nothing is trending in this chat's channels right now. I check every {minutes} minutes.",
        "alerts_usage": "Send <code>/alerts on</code> or <code>/alerts off</code>.",
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
        "ask_not_indexed": "⏳ I haven't finished indexing this chat's posts yet, so I can't answer from them right now. Channels followed: {channels}.",
        "ask_not_indexed_pending": "Posts waiting to be indexed: {pending}.",
        "ask_not_indexed_retry": "Please ask again in a few minutes.",
        "ask_unknown_channel": "ℹ️ This chat does not follow @{name}. /channels lists the channels it follows.",
        "ask_failed": "😔 Sorry, I couldn't search the posts just now. Please try again in a minute.",
        "ask_nothing_found": "🤷 I found nothing about that in this chat's channels. Try other words.",
        "ask_nothing_found_filtered": "🤷 I found nothing about that in the channels and period you chose. Try a wider period or other words.",
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
        "dlq_entry_line": "<code>{id}</code> · {when} · {subject} · attempts {attempts}\n  {error}",
        "dlq_entry_header": "<b>Entry</b> <code>{id}</code> of <code>{stream}</code>, recorded {when}",
        "dlq_not_found": "ℹ️ No entry <code>{id}</code>.",
        "dlq_bad_stream": "⚠️ <code>{stream}</code> is not a stream name.",
        "dlq_retry_ok": "✅ Retried <code>{id}</code>: it worked, the entry is removed.",
        "dlq_retry_failed": "⚠️ Retried <code>{id}</code>: it failed again (attempts: {attempts}); the entry stays.\n{error}",
        "dlq_no_handler": "⚠️ Entries of <code>{stream}</code> cannot be retried.",
        "dlq_retry_all": "🔁 <code>{stream}</code>: {retried} retried, {succeeded} worked and were removed, {failed} failed again.",
        "dlq_purge_confirm": "🗑 Delete all {length} entries of <code>{stream}</code>? This cannot be undone.",
        "dlq_purge_yes": "🗑 Yes, purge",
        "dlq_purge_no": "Cancel",
        "dlq_purged": "🗑 Purged <code>{stream}</code>: {removed} entries deleted.",
        "dlq_newer": "◀ Newer",
        "dlq_older": "Older ▶",
        "dlq_retry_all_button": "🔁 Retry all",
        "dlq_purge_button": "🗑 Purge",
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
        "command_quota": "Admins: every chat's usage and limits",
        "command_dlq": "Admins: dead-letter queue",
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
            "/interests — ваши интересы (добавить/убрать); показываю только в личном чате. "
            "В группе оповещения ранжируются по вопросам её участников в этой группе и добавленным ими темам\n"
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
        # search: dense vector coverage in /channels
        "dense_coverage": "🧠 Поиск по смыслу: готово {percent}% постов ({ready} из {total}); пока вектора нет, пост находится по словам.",
        "admins_only": "⛔ Менять каналы этого чата могут только администраторы группы.",
        "error": "😔 Извините, что-то пошло не так. Попробуйте ещё раз чуть позже.",
        "quota_refused": "⛔ Эта команда недоступна.",
        "quota_usage": "Отправьте так: <code>/quota</code> — все чаты, <code>/quota CHAT_ID</code> — один чат.",
        "quota_unknown_chat": "ℹ️ Чат <code>{chat}</code> мне не встречался.",
        "button_inactive": "Эта кнопка больше не действует.",
        "quota_empty": "Чатов пока нет.",
        "quota_header": "<b>Квоты чатов: {count}</b> · дневные лимиты обнуляются в {resets}",
        "quota_legend": "⚠ = лимит достигнут или превышен · объём посчитан {measured} · подробно: /quota CHAT_ID",
        "quota_detail": (
            "<b>Квота чата</b> <code>{chat}</code> {title}\n"
            "Каналы: {channels}\n"
            "Посты: {posts} · векторы: {vectors}\n"
            "Хранилище: {storage}\n"
            "{storage_lines}\n"
            "Токены LLM сегодня: {tokens}\n"
            "Вопросы сегодня: {questions}\n"
            "Дневные лимиты обнуляются в {resets}; объём посчитан {measured}.\n"
            "{reached}"
        ),
        "quota_reached": "⚠ Достигнуто: {limits}",
        "quota_ok": "✅ Все лимиты соблюдены.",
        "quota_never": "ещё не считался",
        "quota_unlimited": "без лимита",
        "quota_exhausted_tokens": "⚠️ Дневной бюджет ИИ этого чата ({limit} токенов) израсходован; он обновится в {resets}. Пока — самые подходящие фрагменты постов:",
        "quota_exhausted_questions": "⚠️ Этот чат уже задал {limit} вопросов за сегодня; лимит обновится в {resets}. Пока — самые подходящие фрагменты постов:",
        "trend_alert": (
            "📈 В тренде: <b>{headline}</b>\n{actors}{summary}\n"
            "<i>Почему: {mentions} постов в {channels} каналах за последние {hours} ч; "
            "обычно около {baseline}{rising}.</i>\n{posts}"
        ),
        # trend stories: actors and the LLM's summary under the headline
        "trend_actors": "👥 {actors}\n",
        "trend_summary": "{summary}\n",
        "trend_rising": "; снова растёт: в {ratio} раза выше своего уровня за сутки",
        "trend_escalation": (
            "📈 Продолжение: <b>{headline}</b>\n{actors}{summary}\n"
            "<i>С {since} UTC — новых постов: {new_posts}, каналов: {new_channels} "
            "(всего {mentions} за последние {hours} ч).</i>\n{posts}"
        ),
        "trend_post_line": "• {link} — {snippet}",
        "trend_mute_button": "🔕 Не показывать этот тренд",
        "trend_alerts_off_button": "🚫 Выключить оповещения",
        "trends_header": "<b>Сейчас в тренде в каналах этого чата</b>",
        "trends_item": "{number}. <b>{headline}</b>\n{actors}{summary}<i>постов: {mentions}, каналов: {channels} (обычно ~{baseline}){rising}</i>\n{posts}",
        "trends_none": "Сейчас в каналах этого чата ничего не в тренде. Я проверяю каждые {minutes} мин.",
        "alerts_usage": "Отправьте <code>/alerts on</code> или <code>/alerts off</code>.",
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
        "ask_not_indexed": "⏳ Я ещё не закончил индексировать посты этого чата, поэтому пока не могу по ним ответить. Каналов в подписке: {channels}.",
        "ask_not_indexed_pending": "Постов в очереди на индексацию: {pending}.",
        "ask_not_indexed_retry": "Спросите ещё раз через несколько минут.",
        "ask_unknown_channel": "ℹ️ Этот чат не подписан на @{name}. Список каналов — /channels.",
        "ask_failed": "😔 Извините, сейчас не получилось поискать по постам. Попробуйте через минуту.",
        "ask_nothing_found": "🤷 Ничего об этом в каналах этого чата не нашлось. Попробуйте другие слова.",
        "ask_nothing_found_filtered": "🤷 В выбранных каналах и за этот период ничего не нашлось. Попробуйте период шире или другие слова.",
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
        "dlq_entry_line": "<code>{id}</code> · {when} · {subject} · попыток {attempts}\n  {error}",
        "dlq_entry_header": "<b>Запись</b> <code>{id}</code> из <code>{stream}</code>, записана {when}",
        "dlq_not_found": "ℹ️ Записи <code>{id}</code> нет.",
        "dlq_bad_stream": "⚠️ <code>{stream}</code> — не имя потока.",
        "dlq_retry_ok": "✅ Повтор <code>{id}</code> удался, запись удалена.",
        "dlq_retry_failed": "⚠️ Повтор <code>{id}</code> снова не удался (попыток: {attempts}); запись осталась.\n{error}",
        "dlq_no_handler": "⚠️ Записи <code>{stream}</code> нельзя повторить.",
        "dlq_retry_all": "🔁 <code>{stream}</code>: повторено {retried}, удалось и удалено {succeeded}, снова не удалось {failed}.",
        "dlq_purge_confirm": "🗑 Удалить все записи ({length}) из <code>{stream}</code>? Это необратимо.",
        "dlq_purge_yes": "🗑 Да, очистить",
        "dlq_purge_no": "Отмена",
        "dlq_purged": "🗑 <code>{stream}</code> очищен: удалено записей {removed}.",
        "dlq_newer": "◀ Новее",
        "dlq_older": "Старее ▶",
        "dlq_retry_all_button": "🔁 Повторить все",
        "dlq_purge_button": "🗑 Очистить",
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
        "command_quota": "Админам: расход и лимиты чатов",
        "command_dlq": "Админам: очередь DLQ",
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
)
ADMIN_MENU = ("quota", "dlq")


def commands(lang: str, *, admin: bool = False) -> list[tuple[str, str]]:
    """(command, description) pairs of the menu, or of the admin commands."""
    return [(name, t(lang, f"command_{name}")) for name in (ADMIN_MENU if admin else MENU)]
