"""Answers as Telegram HTML: escaped text, [n] citations linked to posts, a sources list."""

from __future__ import annotations

import re
from collections.abc import Mapping

from bot.formatting import escape, link
from bot.texts import t
from bot.views.quota_notice import quota_notice
from core.rag.models import Answer, AnswerMode, AnswerStatus, Fallback, Problem, SourceRef

# [1], [2, 3] or [2; 3] in already escaped text.
_CITATIONS = re.compile(r"\[(\d{1,3}(?:\s*[,;]\s*\d{1,3})*)\]")
# **bold** as models like to write it (after escaping, so no markup can slip in).
_BOLD = re.compile(r"\*\*(?=\S)(.+?)(?<=\S)\*\*", re.DOTALL)
_HEADING = re.compile(r"^#{1,6}\s+", re.MULTILINE)


def render_answer(answer: Answer, lang: str, *, with_sources: bool = True) -> str:
    """The whole reply to a question as HTML (callers split it with answer_long)."""
    if answer.status is AnswerStatus.INVALID:
        if answer.problem is Problem.UNKNOWN_CHANNEL:
            return t(lang, "ask_unknown_channel", name=escape(answer.problem_detail))
        return t(lang, "ask_usage")
    if answer.status is AnswerStatus.NOT_INDEXED:
        return _not_indexed(answer, lang)
    if answer.status is AnswerStatus.ERROR:
        return t(lang, "ask_failed")
    if not answer.sources:
        nothing = t(
            lang, "ask_nothing_found_filtered" if answer.question.filtered else "ask_nothing_found"
        )
        if (coverage := answer.meaning_pending) is not None:
            return (
                nothing
                + "\n\n"
                + t(
                    lang,
                    "ask_meaning_pending",
                    percent=int(100 * coverage.share),
                    ready=coverage.ready,
                    total=coverage.total,
                )
            )
        return nothing
    urls = {source.number: source.post.url for source in answer.sources}
    body = linkify_citations(escape(answer.text), urls)
    if answer.mode is AnswerMode.LLM:
        body = _HEADING.sub("", _BOLD.sub(r"<b>\1</b>", body))
    parts = [header] if (header := _header(answer, lang)) else []
    if answer.pending_posts:  # answered from part of the posts: say so, in one line
        parts.insert(0, t(lang, "still_indexing", pending=answer.pending_posts))
    parts.append(body or t(lang, "ask_no_text"))
    if with_sources:
        parts.append(render_sources(answer, lang))
    return "\n\n".join(parts)


def render_sources(answer: Answer, lang: str) -> str:
    """`Sources` and one numbered line per cited post, with its copies in other channels."""
    lines = [t(lang, "ask_sources")]
    for source in answer.sources:
        line = f"[{source.number}] {_ref_link(source.post)}"
        if source.also:
            others = ", ".join(_ref_link(ref) for ref in source.also)
            line += " · " + t(lang, "ask_also", links=others)
        lines.append(line)
    return "\n".join(lines)


def linkify_citations(escaped: str, urls: Mapping[int, str]) -> str:
    """Turn [n] markers of escaped text into links to post n; unknown numbers stay plain."""

    def replace(match: re.Match[str]) -> str:
        numbers = re.findall(r"\d+", match.group(1))
        if len(numbers) == 1 and int(numbers[0]) in urls:
            return link(urls[int(numbers[0])], f"[{numbers[0]}]")
        linked = [link(urls[int(n)], n) if int(n) in urls else n for n in numbers]
        return "[" + ", ".join(linked) + "]"

    return _CITATIONS.sub(replace, escaped)


def _header(answer: Answer, lang: str) -> str | None:
    if answer.quota is not None:
        return quota_notice(lang, answer.quota)
    if answer.fallback is Fallback.LLM_FAILED:
        return t(lang, "ask_llm_failed")
    if answer.mode is AnswerMode.EXTRACTIVE:
        return t(lang, "ask_extractive_header")
    return None


def _ref_link(ref: SourceRef) -> str:
    label = f"@{ref.username}" if ref.username else ref.channel_title
    text = f"{label} · {ref.date:%Y-%m-%d}"
    return link(ref.url, text) if ref.url else escape(text)


def _not_indexed(answer: Answer, lang: str) -> str:
    if answer.channels == 0:
        return t(lang, "ask_no_channels")
    lines = [t(lang, "ask_not_indexed", channels=answer.channels)]
    if answer.pending_posts:
        lines.append(t(lang, "ask_not_indexed_pending", pending=answer.pending_posts))
    lines.append(t(lang, "ask_not_indexed_retry"))
    return "\n".join(lines)
