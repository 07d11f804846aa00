"""Trend detection on synthetic channel streams (pure core, injected time)."""

from __future__ import annotations

from datetime import timedelta

import pytest

from core.text.terms import TermExtractor
from core.trends.detector import TrendDetector
from core.trends.models import PreviousTrend, TrendParams
from tests.trend_streams import (
    FLOOD_GOVERNOR,
    FOOTERS,
    NOW,
    QUAKE,
    Stream,
    every_quarter_hour,
    flood_for_two_days,
    ongoing_story,
)


def _footer_stems() -> set[str]:
    extractor = TermExtractor()
    return set().union(*(extractor.terms(footer) for footer in FOOTERS))


@pytest.fixture
def stream() -> Stream:
    """Eight days of steady news from six channels, each post signed with its footer."""
    made = Stream(channels=6, seed=11)
    made.steady()
    return made


def test_steady_news_and_footers_never_trend(stream: Stream) -> None:
    """Everyday topics and every channel's footer carry no burst: nothing trends."""
    detector = TrendDetector()
    for moment in (NOW - timedelta(days=1), NOW - timedelta(hours=7), NOW):
        assert detector.detect(stream.sorted(), moment) == []


def test_busier_day_of_footers_does_not_trend(stream: Stream) -> None:
    """Channels posting five times as often as usual do not make their footers a trend."""
    stream.steady(days=5 / 24, every_hours=0.3)
    trends = TrendDetector().detect(stream.sorted(), NOW)
    footer_stems = _footer_stems()
    assert all(not footer_stems & set(trend.stems) for trend in trends)
    assert trends == []


def test_burst_across_channels_is_found(stream: Stream) -> None:
    """One story told by four channels within hours is a trend, labelled by its terms."""
    posts = stream.burst([1, 2, 3, 4], QUAKE, start=NOW - timedelta(hours=4))
    [trend] = TrendDetector().detect(stream.sorted(), NOW)
    assert {"землетрясен", "тбилис"} <= set(trend.stems[:4])
    assert "Тбилиси" in trend.label and "землетрясение" in trend.label.lower()
    assert trend.post_ids == {post.post_id for post in posts}
    assert trend.channels == ["@channel1", "@channel2", "@channel3", "@channel4"]
    assert trend.mentions == 4 and trend.baseline < 1
    assert trend.headline in {text[:140] for text in QUAKE}
    assert trend.first_seen == posts[0].date
    assert not _footer_stems() & set(trend.stems)


def test_burst_is_found_only_while_it_is_recent(stream: Stream) -> None:
    """Before the burst nothing trends; a day later the story has become the baseline."""
    stream.burst([1, 2, 3, 4, 5], QUAKE, start=NOW - timedelta(days=1, hours=4))
    detector = TrendDetector()
    assert detector.detect(stream.sorted(), NOW - timedelta(days=1, hours=5)) == []
    assert len(detector.detect(stream.sorted(), NOW - timedelta(days=1))) == 1
    assert detector.detect(stream.sorted(), NOW) == []


def test_single_channel_burst_is_not_a_trend(stream: Stream) -> None:
    """However loudly one channel repeats a story, one channel is not a trend."""
    for number, moment in enumerate(every_quarter_hour(NOW - timedelta(hours=3), NOW)):
        if moment < NOW:
            stream.add(2, moment, QUAKE[number % len(QUAKE)])
    assert TrendDetector().detect(stream.sorted(), NOW) == []


def test_two_channels_are_below_the_minimum(stream: Stream) -> None:
    """A story needs min_channels distinct channels (default 3)."""
    stream.burst([1, 2, 1, 2, 1, 2], QUAKE, start=NOW - timedelta(hours=4))
    assert TrendDetector().detect(stream.sorted(), NOW) == []
    relaxed = TrendDetector(TrendParams(min_channels=2))
    assert len(relaxed.detect(stream.sorted(), NOW)) == 1


def test_reposts_within_a_channel_count_once(stream: Stream) -> None:
    """A channel reposting the same text adds nothing: two channels stay two."""
    for minutes in (30, 60, 90, 120, 150):
        stream.add(1, NOW - timedelta(minutes=minutes), QUAKE[0])
    stream.add(2, NOW - timedelta(minutes=20), QUAKE[1])
    stream.add(3, NOW - timedelta(minutes=10), "Футбол матч сезон тренер команда")
    assert TrendDetector().detect(stream.sorted(), NOW) == []


def test_an_ad_campaign_in_several_channels_is_not_a_trend(stream: Stream) -> None:
    """Paid posts (marked with Реклама/erid) bought in many channels at once are not news."""
    ad = (
        "Курсы программирования Пайтон со скидкой: первые уроки бесплатно, ментор и проекты\n\n"
        "Реклама. ООО «Школа кода», ИНН 7700000000. Erid: 2VtzqwAbCdE"
    )
    stream.burst([1, 2, 3, 4, 5], [ad], start=NOW - timedelta(hours=4))
    assert TrendDetector().detect(stream.sorted(), NOW) == []


def test_two_stories_at_once_are_two_trends(stream: Stream) -> None:
    """Different stories sharing no words become separate trends, strongest first."""
    stream.burst([1, 2, 3, 4, 5], QUAKE, start=NOW - timedelta(hours=5))
    eclipse = [
        "Солнечное затмение увидели жители Камчатки, астрономы ведут трансляцию",
        "Затмение над Камчаткой: астрономы показали редкие снимки короны",
        "Камчатка наблюдала полное солнечное затмение, следующее через двадцать лет",
        "Жители Камчатки сняли солнечное затмение на телефоны",
    ]
    stream.burst([3, 4, 5, 6], eclipse, start=NOW - timedelta(hours=2), spread=timedelta(hours=1))
    first, second = TrendDetector().detect(stream.sorted(), NOW)
    assert "тбилис" in first.stems and "камчатк" in second.stems
    assert first.score > second.score
    assert not first.post_ids & second.post_ids


def test_identity_is_stable_across_consecutive_runs(stream: Stream) -> None:
    """A continuing story keeps its key from run to run, every 15 minutes for hours."""
    stream.burst([1, 2, 3, 4, 5], QUAKE, start=NOW - timedelta(hours=5), spread=timedelta(hours=8))
    detector = TrendDetector()
    previous: list[PreviousTrend] = []
    keys: set[str] = set()
    for moment in every_quarter_hour(NOW - timedelta(hours=2), NOW + timedelta(hours=8)):
        trends = detector.detect(stream.sorted(), moment, previous)
        keys.update(trend.trend_key for trend in trends)
        previous = [
            PreviousTrend(t.trend_key, t.stems, t.post_ids, moment) for t in trends
        ] or previous
    assert len(keys) == 1


def test_natural_key_does_not_depend_on_the_run_time(stream: Stream) -> None:
    """Without any memory of earlier runs, two runs 15 minutes apart name the story the same."""
    stream.burst([1, 2, 3, 4], QUAKE, start=NOW - timedelta(hours=4))
    detector = TrendDetector()
    [early] = detector.detect(stream.sorted(), NOW - timedelta(minutes=15) + timedelta(seconds=1))
    [late] = detector.detect(stream.sorted(), NOW)
    assert early.trend_key == late.trend_key


def test_text_normalisation_drops_links_numbers_and_stop_words() -> None:
    """URLs, @mentions, numbers and stop words never become terms; words are stemmed."""
    terms = TermExtractor().terms(
        "В 2024 году ЦБ повысил ставку до 21% https://example.com/news?id=5 @somechannel и т.д."
    )
    assert terms == {"цб", "повыс", "ставк"}


def test_a_known_story_trends_again_when_it_escalates() -> None:
    """A story big for three days has a high baseline; rising well above its own level of the
    last day, it trends again, found by that second, shorter baseline alone."""
    stream = Stream(channels=12, seed=5)
    stream.steady()
    rise = ongoing_story(stream, NOW - timedelta(hours=78), NOW)
    detector = TrendDetector()
    assert detector.detect(stream.sorted(), NOW - timedelta(hours=6)) == []  # its own level
    [trend] = detector.detect(stream.sorted(), NOW)
    assert trend.escalation >= 2 and {"землетрясен", "тбилис"} <= set(trend.stems)
    assert {post.post_id for post in rise} <= trend.post_ids
    long_baseline_only = TrendDetector(TrendParams(escalation_ratio=float("inf")))
    assert long_baseline_only.detect(stream.sorted(), NOW) == []


def test_an_ambiguous_abbreviation_does_not_join_unrelated_stories(stream: Stream) -> None:
    """Two unrelated stories that both name a residential complex ("ЖК") stay two trends: a
    short abbreviation written in capitals is not a name shared by one story."""
    blackout = [
        "В ЖК «Северный парк» нет света и отопления с обеда, жалуются жильцы",
        "Жильцы ЖК «Северный парк» остались без света: лифты стоят, отопления нет",
        "Блэкаут в ЖК «Северный парк»: жильцы без света и отопления уже восемь часов",
        "ЖК «Северный парк» до сих пор без света, жильцы мёрзнут без отопления",
    ]
    penthouse = [
        "Самый дорогой пентхаус страны продают в элитном ЖК «Золотая миля» за миллиард",
        "Пентхаус в ЖК «Золотая миля» выставили на продажу за миллиард рублей",
        "Элитный ЖК «Золотая миля»: пентхаус с террасой продают за миллиард",
        "За миллиард продают пентхаус в ЖК «Золотая миля» с видом на реку",
    ]
    stream.burst([1, 2, 3, 4], blackout, start=NOW - timedelta(hours=5))
    stream.burst([3, 4, 5, 6], penthouse, start=NOW - timedelta(hours=4))
    trends = TrendDetector().detect(stream.sorted(), NOW)
    assert len(trends) == 2
    first, second = trends
    assert not first.post_ids & second.post_ids
    assert {len(first.posts), len(second.posts)} == {4}


def test_common_words_do_not_join_two_stories(stream: Stream) -> None:
    """Two bills in the Duma on one morning stay two trends: "Госдума" and "законопроект" are in
    the channels' everyday news, so their rise today does not make the bills one story."""
    routine = [
        "Госдума рассмотрит законопроект о статусе многодетных семей",
        "Депутаты Госдумы внесли законопроект о туризме",
        "Законопроект о маркетплейсах прошёл первое чтение в Госдуме",
    ]
    for day in range(1, 8):
        for channel in range(1, 7):
            moment = NOW - timedelta(days=day, hours=channel)
            stream.add(channel, moment, routine[(day + channel) % len(routine)])
    taliban = [
        "В Госдуму внесён законопроект, позволяющий исключить «Талибан» из списка запрещённых",
        "Законопроект об исключении «Талибана» из перечня террористов внесли в Госдуму",
        "Госдума получила законопроект: «Талибан» могут исключить из списка запрещённых",
        "«Талибан» предлагают убрать из списка запрещённых — законопроект уже в Госдуме",
    ]
    leaks = [
        "Госдума приняла законопроект об уголовной ответственности за утечки персональных данных",
        "За утечку персональных данных будут сажать: Госдума приняла законопроект",
        "Уголовная ответственность за утечки персональных данных: законопроект принят Госдумой",
        "Госдума одобрила законопроект о наказании за утечки персональных данных",
    ]
    stream.burst([1, 2, 3, 4], taliban, start=NOW - timedelta(hours=5))
    stream.burst([3, 4, 5, 6], leaks, start=NOW - timedelta(hours=4))
    trends = TrendDetector().detect(stream.sorted(), NOW)
    assert len(trends) == 2
    assert not trends[0].post_ids & trends[1].post_ids


def test_a_story_breaking_just_before_the_window_is_not_its_own_baseline(stream: Stream) -> None:
    """A story whose first posts came minutes before the window began is still a trend: the
    baseline ends an hour before the window, so those first posts are not its usual level."""
    window_start = NOW - TrendParams().window
    stream.burst(
        [1, 2, 3, 4],
        QUAKE,
        start=window_start - timedelta(minutes=30),
        spread=timedelta(minutes=20),
    )
    stream.burst([3, 4, 5, 6, 1, 2], QUAKE, start=window_start + timedelta(minutes=10))
    [trend] = TrendDetector().detect(stream.sorted(), NOW)
    assert {"землетрясен", "тбилис"} <= set(trend.stems)
    assert TrendDetector(TrendParams(guard=timedelta(0))).detect(stream.sorted(), NOW) == []


def test_facets_of_a_story_that_broke_days_ago_are_one_story(stream: Stream) -> None:
    """Two statements about a flood that has been news for two days are one trend: the word
    naming it ("приморских") is far commoner over the last day than before, so it links them
    though its own burst is small, the flood being its own baseline by now."""
    flood_for_two_days(stream)
    rescue = [
        "Спасатели перебросили в приморские сёла вертолёты и лодки",
        "Вертолёты и лодки спасателей отправлены в приморские сёла",
        "Спасатели на лодках и вертолётах вывозят людей из приморских сёл",
        "Лодки и вертолёты спасателей работают в приморских сёлах",
    ]
    stream.burst([1, 2, 3, 4], FLOOD_GOVERNOR, start=NOW - timedelta(hours=5))
    stream.burst([3, 4, 5, 6], rescue, start=NOW - timedelta(hours=4))
    [trend] = TrendDetector().detect(stream.sorted(), NOW)
    assert {"губернатор", "спасател"} <= set(trend.stems)
    assert len(trend.posts) == 8


def test_a_recent_story_named_in_a_digest_does_not_join_another_story(stream: Stream) -> None:
    """A word naming a story of the last days links two facets only when it is in half of the
    posts of each: two digest posts of an earthquake story that also mention the flood keep the
    earthquake a story of its own."""
    flood_for_two_days(stream)
    digests = [
        f"{QUAKE[0]}. Ещё о главном: паводок в приморских сёлах продолжается",
        f"{QUAKE[1]}. Ещё о главном: приморские сёла всё ещё затоплены",
    ]
    stream.burst([1, 2, 3, 4], FLOOD_GOVERNOR, start=NOW - timedelta(hours=5))
    stream.burst([2, 3, 4, 5, 6, 1], QUAKE[2:] + digests, start=NOW - timedelta(hours=4))
    trends = TrendDetector().detect(stream.sorted(), NOW)
    assert len(trends) == 2
    assert not trends[0].post_ids & trends[1].post_ids
