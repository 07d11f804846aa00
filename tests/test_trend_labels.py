"""Headlines and actors of trend stories (pure core: text in, labels out)."""

from __future__ import annotations

from core.trends.labels import ActorFinder, headline


def test_headline_is_the_first_sentence_without_emoji_links_and_markup() -> None:
    """Emoji, bold markers, links and mentions go; the first sentence of the first line stays."""
    text = (
        "⚡️**Парламент Южной Кореи проголосовал за отмену военного положения.** Спикер "
        "заявил, что решение обязательно. https://example.com/x @newsbot\n\nПодробности позже"
    )
    assert headline(text) == "Парламент Южной Кореи проголосовал за отмену военного положения."


def test_headline_skips_a_signature_line_and_is_shortened_on_a_word() -> None:
    """A line made of the channel's signature words is not the headline; long lines are cut."""
    signature = {"подписаться", "на", "москву", "новостную"}
    text = "🔴 Подписаться на Москву новостную\n" + "Очень длинная новость " * 20
    found = headline(text, lambda word: word in signature, limit=60)
    assert found.startswith("Очень длинная новость") and found.endswith("…")
    assert len(found) <= 61


def test_actors_are_named_in_the_nominative_and_counted_per_channel() -> None:
    """'Грузии', 'Грузией' and 'Грузия' are one actor, Грузия; names need two posts."""
    posts = [
        (1, "Власти Грузии отказались от переговоров с ЕС. Премьер Ираклий Кобахидзе выступил."),
        (2, "В Тбилиси протестуют против решения правительства Грузии."),
        (3, "Протесты в Тбилиси: США приостановили партнерство с Грузией."),
        (4, "Кобахидзе ответил протестующим в Тбилиси. Грузия остается на курсе."),
    ]
    actors = ActorFinder().actors(posts)
    assert actors[:2] == ["Тбилиси", "Грузия"] or actors[:2] == ["Грузия", "Тбилиси"]
    assert "Кобахидзе" in " ".join(actors)
    assert "Власти" not in actors and "Протесты" not in actors  # sentence-initial words
    assert "США" not in actors  # one post only


def test_runs_of_capitalised_words_are_one_name_and_channel_words_are_ignored() -> None:
    """'Южной Кореи' becomes 'Южная Корея'; words the filter rejects never appear."""
    posts = [
        (1, "Президент Южной Кореи Юн Сок Ёль ввел военное положение. Mash"),
        (2, "В Южной Корее военное положение: президент Юн Сок Ёль выступил. Mash"),
        (3, "Парламент Южной Кореи собрался ночью. Mash"),
    ]
    actors = ActorFinder().actors(posts, ignore=lambda word: word == "mash")
    assert actors[0] == "Южная Корея"
    assert "Юн Сок Ёль" in actors
    assert all("Mash" not in actor for actor in actors)
