"""Finds stories several channels suddenly cover: bursting terms, grouped into trends.

The recent window (default 6 h) is compared against the same-length bins of the baseline
before it (default 7 days). For each term, the share of posts mentioning it per bin feeds an
exponentially weighted mean and variance (SigniTrend); the window's count is scored as
``z = (x - max(E, beta)) / (S + beta)`` with E and S scaled to the window's post volume and
beta smoothing rare terms. A term counts only if enough distinct channels use it now.

Channel boilerplate is removed before anything is counted: a term found in a large share of
one channel's own posts (signatures, "subscribe" footers) is that channel's signature, not
news, and paid posts (marked as ads) are skipped. The strongest bursting term seeds a trend
from those of its posts that read alike (a word shared by two unrelated stories seeds two
candidates, or none); weaker terms mostly found in a trend's posts join it, and posts telling
the story in other words are added by their similarity to it. Near-duplicate trends collapse
into the strongest. A trend is labelled with its top terms and the first line of its most
representative post, and keyed stably: an earlier run's trend with the same posts or top
terms hands its key on.
"""

from __future__ import annotations

import hashlib
import math
import re
import threading
from collections import Counter, defaultdict
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass, field, replace
from datetime import datetime

from core.rag.retrieval import LENGTH_RATIO, MIN_DUPLICATE_TERMS, SHARED_WORDS
from core.text.terms import TermExtractor, surface_forms
from core.trends.labels import ActorFinder, headline
from core.trends.models import (
    MissReason,
    NearMiss,
    PreviousTrend,
    Trend,
    TrendParams,
    TrendPost,
    TrendPostRef,
)

_CACHE_LIMIT = 50_000  # posts whose terms are remembered between runs
_EDGE_SIMILARITY = 0.1  # two posts this similar (idf cosine) tell the same story
_PROFILE_SIMILARITY = 0.25  # a post this similar to a trend's posts joins the trend
_JOIN_SHARE = 0.5  # a term joins a trend when this share of its posts are the trend's
_SISTER_MIN_TERMS = 10  # a repost is of a real text, not a one-liner that matches by chance
_STORY_SHARE = 0.5  # a term covering this share of two clusters' posts (and specific) joins them
_STORY_SIMILARITY = 0.3  # two clusters whose term profiles are this alike are one story
_SNIPPET_LENGTH = 90
_FRESH_STORY = 3.0  # a term this much commoner over the last day than before names a new story
_MIN_BRIDGE_LENGTH = 4  # a shorter single term (an abbreviation) does not join two stories


@dataclass(slots=True)
class _Scored:
    term: str
    z: float
    expected: float  # posts usually mentioning it in a window like this one
    posts: set[int]  # window post indices
    escalation: float = 0.0  # posts now against its own level of the last day (0: not known)
    # Its rate over the last day against the days before: a story that broke days ago is
    # already its own baseline, so its words burst less while still naming it.
    freshness: float = 0.0


@dataclass(slots=True)
class _Cluster:
    seed: _Scored
    posts: set[int]
    terms: list[_Scored] = field(default_factory=list)


@dataclass(slots=True)
class _Window:
    """The recent posts with their terms, and how alike two of them read."""

    posts: list[TrendPost]
    terms: list[frozenset[str]]
    sequences: list[list[tuple[str, str]]]
    postings: dict[str, list[int]]
    signatures: dict[int, frozenset[str]] = field(default_factory=dict)
    owners: dict[int, int] = field(default_factory=dict)  # channel -> its group of sisters
    idf: dict[str, float] = field(init=False)
    norms: list[float] = field(init=False)

    def __post_init__(self) -> None:
        size = len(self.terms) + 1
        self.idf = {
            term: math.log(size / (len(indices) + 0.5)) for term, indices in self.postings.items()
        }
        self.norms = [
            math.sqrt(sum(self.idf[term] ** 2 for term in terms)) or 1.0 for terms in self.terms
        ]

    def similarity(self, first: int, second: int) -> float:
        """Cosine of two posts' idf-weighted term sets."""
        shared = self.terms[first] & self.terms[second]
        dot = sum(self.idf[term] ** 2 for term in shared)
        return dot / (self.norms[first] * self.norms[second])

    def channels(self, indices: Iterable[int]) -> set[int]:
        """Distinct channels of the given posts."""
        return {self.posts[i].channel_id for i in indices}


class TrendDetector:
    """Pure detection over a list of posts as of a given moment; keeps a cache of post terms."""

    def __init__(self, params: TrendParams | None = None, extractor: TermExtractor | None = None):
        self.params = params or TrendParams()
        self.extractor = extractor or TermExtractor()
        self.actors = ActorFinder()
        self._terms_cache: dict[tuple[int, int], frozenset[str]] = {}
        # Window posts' word sequences: a post stays in the window for hours of 15-minute runs.
        self._sequence_cache: dict[tuple[int, int], list[tuple[str, str]]] = {}
        self._lock = threading.Lock()  # runs happen in worker threads; the cache is shared

    def detect(
        self,
        posts: Sequence[TrendPost],
        as_of: datetime,
        previous: Sequence[PreviousTrend] = (),
        near_misses: list[NearMiss] | None = None,
    ) -> list[Trend]:
        """Trends as of `as_of` over the posts before it, best first; stories that came close
        (too few channels, not significant enough) go into `near_misses` when it is given."""
        with self._lock:
            return carry_identity(self._detect(posts, as_of, near_misses), previous)

    def _detect(
        self, posts: Sequence[TrendPost], as_of: datetime, near_misses: list[NearMiss] | None = None
    ) -> list[Trend]:
        params = self.params
        window_start = as_of - params.window
        start = window_start - params.baseline
        recent = [post for post in posts if start <= post.date < as_of]
        terms = [self._post_terms(post) for post in recent]
        boilerplate = self._boilerplate(recent, terms, window_start)
        for index, post in enumerate(recent):
            signature = boilerplate.get(post.channel_id)
            if signature and terms[index]:
                terms[index] = terms[index] - signature

        chosen = [i for i, post in enumerate(recent) if post.date >= window_start and terms[i]]
        chosen = self._without_reposts(recent, terms, chosen)
        if not chosen:
            return []
        window_posts = [recent[i] for i in chosen]
        sequences = [self._post_sequence(post) for post in window_posts]
        window_terms = [
            self._with_phrases(terms[i], sequences[n], boilerplate.get(recent[i].channel_id))
            for n, i in enumerate(chosen)
        ]
        window = _Window(
            window_posts,
            window_terms,
            sequences,
            _postings(window_terms),
            signatures=boilerplate,
            owners=_sister_groups(recent, terms, params.sister_share),
        )
        if near_misses is not None:
            near_misses.extend(self._few_channels(window))
        candidates = self._candidates(window)
        if not candidates:
            return []
        baseline_rows = [
            (terms[i], int((window_start - post.date) / params.window))
            for i, post in enumerate(recent)
            if post.date < window_start - params.guard and terms[i]
        ]
        scored = self._score(candidates, window, baseline_rows)
        clusters = self._cluster(scored, window)
        found = (self._trend(cluster, window) for cluster in clusters)
        trends = sorted(
            (trend for trend in found if trend is not None),
            key=lambda trend: (-trend.score, trend.first_seen),
        )
        if near_misses is not None:
            covered = set().union(*(cluster.posts for cluster in clusters))
            near_misses.extend(self._weak(scored, covered, window))
        return trends[: params.max_trends]

    # --- near misses (for /alerts why) ----------------------------------------------------------

    def _few_channels(self, window: _Window, limit: int = 3) -> list[NearMiss]:
        """Stories enough posts tell, but in fewer distinct channels than a trend needs."""
        params = self.params
        close = [
            (len(indices), term, indices)
            for term, indices in window.postings.items()
            if " " not in term
            and len(indices) >= params.min_mentions
            and 1 < len(window.channels(indices)) < params.min_channels
        ]
        close.sort(key=lambda item: (-item[0], item[1]))
        return self._distinct(
            ((set(indices), MissReason.FEW_CHANNELS, 0.0) for _, _, indices in close), window, limit
        )

    def _weak(
        self, scored: list[_Scored], covered: set[int], window: _Window, limit: int = 3
    ) -> list[NearMiss]:
        """Bursts of enough channels that were not significant enough to become a trend."""
        weak = (
            (item.posts, MissReason.BELOW_THRESHOLD, item.z)
            for item in scored
            if item.z < self.params.min_z and not item.posts & covered
        )
        return self._distinct(weak, window, limit)

    @staticmethod
    def _distinct(
        items: Iterable[tuple[set[int], MissReason, float]], window: _Window, limit: int
    ) -> list[NearMiss]:
        """One near miss per story (posts not shared with an earlier one), headed by a post."""
        misses: list[NearMiss] = []
        seen: set[int] = set()
        for posts, reason, score in items:
            if posts & seen:
                continue
            seen |= posts
            first = min(posts, key=lambda i: (window.posts[i].date, i))
            misses.append(
                NearMiss(
                    label=headline(window.posts[first].text, limit=_SNIPPET_LENGTH),
                    reason=reason,
                    channels=len(window.channels(posts)),
                    mentions=len(posts),
                    score=round(score, 2),
                )
            )
            if len(misses) == limit:
                break
        return misses

    # --- terms --------------------------------------------------------------------------------

    def _post_terms(self, post: TrendPost) -> frozenset[str]:
        key = (post.post_id, hash(post.text))
        cached = self._terms_cache.get(key)
        if cached is not None:
            return cached
        if self.extractor.is_advertisement(post.text):
            found: frozenset[str] = frozenset()
        else:
            found = frozenset(self.extractor.terms(post.text))
        if len(self._terms_cache) >= _CACHE_LIMIT:
            del self._terms_cache[next(iter(self._terms_cache))]
        self._terms_cache[key] = found
        return found

    def _post_sequence(self, post: TrendPost) -> list[tuple[str, str]]:
        key = (post.post_id, hash(post.text))
        cached = self._sequence_cache.get(key)
        if cached is None:
            cached = self.extractor.sequence(post.text)
            if len(self._sequence_cache) >= _CACHE_LIMIT // 10:
                del self._sequence_cache[next(iter(self._sequence_cache))]
            self._sequence_cache[key] = cached
        return cached

    def _boilerplate(
        self, posts: list[TrendPost], terms: list[frozenset[str]], window_start: datetime
    ) -> dict[int, frozenset[str]]:
        """Per channel, the terms in a large share of its posts: its signature and footers.

        Learnt from the baseline, so a story a channel covers heavily right now stays news;
        a channel without enough history is judged on all of its posts.
        """
        params = self.params
        before: defaultdict[int, list[frozenset[str]]] = defaultdict(list)
        every: defaultdict[int, list[frozenset[str]]] = defaultdict(list)
        for post, post_terms in zip(posts, terms, strict=True):
            if post_terms:
                every[post.channel_id].append(post_terms)
                if post.date < window_start:
                    before[post.channel_id].append(post_terms)
        result = {}
        for channel_id, sets in every.items():
            history = before.get(channel_id, [])
            sample = history if len(history) >= params.boilerplate_min_posts else sets
            if len(sample) < params.boilerplate_min_posts:
                continue
            counts: Counter[str] = Counter()
            for post_terms in sample:
                counts.update(post_terms)
            threshold = params.boilerplate_share * len(sample)
            signature = frozenset(term for term, count in counts.items() if count >= threshold)
            if signature:
                result[channel_id] = signature
        return result

    @staticmethod
    def _without_reposts(
        posts: list[TrendPost], terms: list[frozenset[str]], window: list[int]
    ) -> list[int]:
        """One channel repeating the same post counts once."""
        seen: set[tuple[int, frozenset[str]]] = set()
        kept = []
        for index in sorted(window, key=lambda i: (posts[i].date, posts[i].post_id)):
            key = (posts[index].channel_id, terms[index])
            if key not in seen:
                seen.add(key)
                kept.append(index)
        return kept

    def _with_phrases(
        self,
        terms: frozenset[str],
        sequence: list[tuple[str, str]],
        signature: frozenset[str] | None,
    ) -> frozenset[str]:
        """The post's terms plus its phrases (pairs of adjacent terms it kept)."""
        pairs = {
            pair
            for pair in self.extractor.phrases(sequence)
            if all(part in terms for part in pair.split(" "))
        }
        if signature:
            pairs = {pair for pair in pairs if not any(p in signature for p in pair.split(" "))}
        return terms | pairs

    # --- scoring ------------------------------------------------------------------------------

    def _candidates(self, window: _Window) -> dict[str, list[int]]:
        """Terms enough posts of enough distinct channels use in the window."""
        params = self.params
        return {
            term: indices
            for term, indices in window.postings.items()
            if len(indices) >= params.min_mentions
            and len(window.channels(indices)) >= params.min_channels
        }

    def _score(
        self,
        candidates: dict[str, list[int]],
        window: _Window,
        baseline_rows: list[tuple[frozenset[str], int]],
    ) -> list[_Scored]:
        """SigniTrend z-scores of the candidates against their baseline, strongest first."""
        params = self.params
        bins = max(1, math.ceil(params.baseline / params.window))
        volume = [0] * bins
        unigrams = {term for term in candidates if " " not in term}
        pairs_by_first: defaultdict[str, list[tuple[str, str]]] = defaultdict(list)
        for term in candidates:
            if " " in term:
                first, second = term.split(" ", 1)
                pairs_by_first[first].append((term, second))
        needed = unigrams | set(pairs_by_first) | {s for v in pairs_by_first.values() for _, s in v}
        counts: defaultdict[str, list[int]] = defaultdict(lambda: [0] * bins)
        for post_terms, bin_index in baseline_rows:
            if bin_index >= bins:
                continue
            volume[bin_index] += 1
            present = post_terms & needed
            for term in present:
                if term in unigrams:
                    counts[term][bin_index] += 1
                # Pairs are matched as co-occurrence here: a generous baseline, a cautious z.
                for pair, second in pairs_by_first.get(term, ()):
                    if second in present:
                        counts[pair][bin_index] += 1

        alpha = 1.0 - 0.5 ** (params.window / params.half_life)
        short_bins = max(1, min(bins, math.ceil(params.short_baseline / params.window)))
        now_volume = len(window.posts)
        beta = params.smoothing
        scored = []
        for term, indices in candidates.items():
            mean, variance = _ewma(counts.get(term), volume, alpha)
            per_channel = Counter(window.posts[i].channel_id for i in indices)
            count = sum(min(n, params.per_channel_cap) for n in per_channel.values())
            expected = mean * now_volume
            spread = math.sqrt(variance) * now_volume
            z = (count - max(expected, beta)) / (spread + beta)
            escalation = 0.0
            # A known story (already big in the last day) is also measured against its own
            # recent level: its long baseline is high, so only this shows it escalating.
            history = counts.get(term) or [0] * bins
            recent_counts = history[:short_bins]
            recent_volume = sum(volume[:short_bins]) or 1
            level = sum(recent_counts) / recent_volume * now_volume
            older_rate = (sum(history[short_bins:]) + 1) / (sum(volume[short_bins:]) + 1)
            freshness = sum(recent_counts) / recent_volume / older_rate
            if level >= params.min_mentions:  # a story's size already, per window
                escalation = count / level
                if escalation >= params.escalation_ratio:
                    z = max(z, (count - level) / (math.sqrt(level) + beta))
            if z >= params.min_z / 2:
                scored.append(_Scored(term, z, expected, set(indices), escalation, freshness))
        scored.sort(key=lambda s: (-s.z, s.term))
        return scored

    # --- grouping -----------------------------------------------------------------------------

    def _cluster(self, scored: list[_Scored], window: _Window) -> list[_Cluster]:
        """Seed trends from the strongest terms, let weaker terms join, add similar posts."""
        params = self.params
        clusters: list[_Cluster] = []
        for item in scored:
            best, best_share = None, 0.0
            for cluster in clusters:
                shared = len(item.posts & cluster.posts)
                share = shared / len(item.posts)
                if shared >= 2 and share >= _JOIN_SHARE and share > best_share:
                    best, best_share = cluster, share
            if best is not None:
                best.terms.append(item)
            elif item.z >= params.min_z:
                for story in self._stories(item.posts, window):
                    clusters.append(_Cluster(seed=item, posts=story, terms=[item]))
        for cluster in clusters:
            cluster.posts |= self._similar_posts(cluster, window)
        # Two clusters sharing half the posts of the smaller tell one story: the stronger
        # absorbs the weaker's terms and posts.
        kept: list[_Cluster] = []
        for cluster in clusters:  # strongest first
            for stronger in kept:
                shared = len(cluster.posts & stronger.posts)
                if shared >= max(2, 0.5 * min(len(cluster.posts), len(stronger.posts))):
                    stronger.terms.extend(cluster.terms)
                    stronger.posts |= cluster.posts
                    break
            else:
                kept.append(cluster)
        return self._stories_of(kept, scored, window)

    def _stories_of(
        self, clusters: list[_Cluster], scored: list[_Scored], window: _Window
    ) -> list[_Cluster]:
        """Facets of one event become one story.

        Two clusters join when they share bursting terms specific to them (each in half of the
        smaller cluster's posts, in two of the larger's, with most of its posts in the two) made
        of two distinct words, or one such term that is a name and seeds one of them, or when
        their term profiles read alike. Such a term must burst
        significantly on its own: a common word ("Госдума", "законопроект") is in many stories
        and rises whenever two of them coincide. A short single word (an abbreviation: "ЖК",
        "ЦБ") is never such a term either: it names too many things. The exception is a term
        naming a story that broke days ago (`_names_a_recent_story`): it links two facets alone.
        """
        if len(clusters) < 2:
            return clusters
        groups = _UnionFind(range(len(clusters)))

        # Per cluster, the bursting terms in two of its posts or more, with how many.
        counts: list[dict[str, int]] = []
        for cluster in clusters:
            found = {item.term: len(item.posts & cluster.posts) for item in scored}
            counts.append({term: n for term, n in found.items() if n >= 2})
        by_term = {item.term: item for item in scored}
        profiles = [_profile(cluster.posts, window) for cluster in clusters]
        for first in range(len(clusters)):
            for second in range(first + 1, len(clusters)):
                if groups.root(first) == groups.root(second):
                    continue
                union = clusters[first].posts | clusters[second].posts
                smaller = min((first, second), key=lambda i: len(clusters[i].posts))
                need = _STORY_SHARE * len(clusters[smaller].posts)
                linking = [
                    term
                    for term in counts[first].keys() & counts[second].keys()
                    if counts[smaller][term] >= need
                    and not _ambiguous(term)
                    and len(by_term[term].posts & union) >= _STORY_SHARE * len(by_term[term].posts)
                ]
                shared = [term for term in linking if by_term[term].z >= self.params.min_z]
                seeds = {clusters[first].seed.term, clusters[second].seed.term}
                # A phrase and its words are one piece of evidence ("минфин рф", "минфин").
                words = {
                    word for term in shared for word in term.split(" ") if not _ambiguous(word)
                }
                if (
                    len(words) >= 2
                    or any(term in seeds and self._is_name(term, union, window) for term in shared)
                    or any(
                        self._names_a_recent_story(by_term[term], clusters[first], clusters[second])
                        for term in linking
                    )
                    or _cosine(profiles[first], profiles[second]) >= _STORY_SIMILARITY
                ):
                    groups.join(first, second)
        merged: dict[int, _Cluster] = {}
        for index, cluster in enumerate(clusters):  # strongest first: the root's seed leads
            head = merged.get(groups.root(index))
            if head is None:
                merged[groups.root(index)] = cluster
            else:
                head.terms.extend(cluster.terms)
                head.posts |= cluster.posts
        return list(merged.values())

    def _names_a_recent_story(self, term: _Scored, *clusters: _Cluster) -> bool:
        """The term names a story that broke days ago ("сирийских" on the fourth day of an
        offensive): far commoner over the last day than before, in half of each cluster's posts,
        and bursting too little to link them otherwise, because the story is its own baseline.
        A term that bursts on its own is judged by the rule for bursting terms."""
        return (
            term.z < self.params.min_z
            and term.freshness >= _FRESH_STORY
            and all(
                2 * len(term.posts & cluster.posts) >= len(cluster.posts) for cluster in clusters
            )
        )

    @staticmethod
    def _is_name(term: str, indices: set[int], window: _Window) -> bool:
        """The term is mostly written capitalised in these posts: a person, place or body."""
        forms = surface_forms((window.sequences[i] for i in indices), [term])
        return term in forms and forms[term][:1].isupper()

    def _stories(self, indices: set[int], window: _Window) -> list[set[int]]:
        """The posts of one term split into groups that read alike, each of enough channels."""
        ordered = sorted(indices)
        linked = _UnionFind(ordered)

        for position, first in enumerate(ordered):
            for second in ordered[position + 1 :]:
                if linked.root(first) != linked.root(second) and (
                    window.similarity(first, second) >= _EDGE_SIMILARITY
                ):
                    linked.join(first, second)
        groups: defaultdict[int, set[int]] = defaultdict(set)
        for index in ordered:
            groups[linked.root(index)].add(index)
        return [
            group
            for group in groups.values()
            if len(group) >= self.params.min_mentions
            and len(window.channels(group)) >= self.params.min_channels
        ]

    @staticmethod
    def _similar_posts(cluster: _Cluster, window: _Window) -> set[int]:
        """Posts using the trend's terms that read like its posts (cosine to their profile)."""
        profile: Counter[str] = Counter()
        for index in cluster.posts:
            profile.update(window.terms[index])
        size = len(cluster.posts)
        weights = {term: count / size * window.idf[term] for term, count in profile.items()}
        norm = math.sqrt(sum(w * w for w in weights.values())) or 1.0
        names = {s.term for s in cluster.terms}
        found = set()
        for index, terms in enumerate(window.terms):
            if index in cluster.posts or not terms & names:
                continue
            dot = sum(weights.get(term, 0.0) * window.idf[term] for term in terms)
            if dot / (norm * window.norms[index]) >= _PROFILE_SIMILARITY:
                found.add(index)
        return found

    def _trend(self, cluster: _Cluster, window: _Window) -> Trend | None:
        params = self.params
        posts = window.posts
        members = sorted(cluster.posts, key=lambda i: (posts[i].date, posts[i].post_id))
        channel_ids = list(dict.fromkeys(posts[i].channel_id for i in members))
        if len(channel_ids) < params.min_channels or len(members) < params.min_mentions:
            return None
        # A term reached through two merged facets counts once, at its strongest.
        strongest: dict[str, _Scored] = {}
        for item in cluster.terms:
            if item.term not in strongest or item.z > strongest[item.term].z:
                strongest[item.term] = item
        cluster.terms = list(strongest.values())
        # Terms ranked by how much of the story they cover and how sharply they burst.
        coverage = {
            s.term: sum(1 for i in members if s.term in window.terms[i]) / len(members)
            for s in cluster.terms
        }
        ordered = sorted(cluster.terms, key=lambda s: (-coverage[s.term] * s.z, s.term))
        stems = [s.term for s in ordered]
        shown = _display_terms(stems)
        forms = surface_forms((window.sequences[i] for i in members), shown)
        readable = [forms[term] for term in shown if term in forms][:6]
        # The most representative post: closest to the story's profile, earlier on a tie.
        profile = _profile(members, window)
        closeness = {
            i: sum(profile.get(t, 0.0) * window.idf[t] for t in window.terms[i]) / window.norms[i]
            for i in members
        }
        by_closeness = sorted(members, key=lambda i: (-closeness[i], i))
        top_words = {word for term in stems[:3] for word in term.split(" ")}
        lines = {}
        for index in by_closeness:  # the closest post whose own headline names the story
            line = headline(
                posts[index].text, self._signature_test(posts[index].channel_id, window)
            )
            lines[index] = line
            if self.extractor.terms(line) & top_words:
                central = index
                break
        else:
            central = by_closeness[0]  # no headline names it: the closest post's
        names_by_id = {posts[i].channel_id: posts[i].channel_name for i in members}
        score, seed = self._rank(cluster, channel_ids, members, window)
        first_seen = posts[members[0]].date
        copies = _copies(members, window)
        return Trend(
            trend_key=natural_key(seed.term, first_seen),
            label=" · ".join(readable[:3]),
            headline=lines[central],
            terms=readable,
            stems=stems,
            score=round(score, 2),
            z=round(seed.z, 2),
            mentions=len(members),
            baseline=round(seed.expected, 2),
            channels=[names_by_id[channel_id] for channel_id in channel_ids],
            channel_ids=channel_ids,
            posts=[
                TrendPostRef(
                    post_id=posts[i].post_id,
                    channel_id=posts[i].channel_id,
                    channel_name=posts[i].channel_name,
                    date=posts[i].date,
                    url=posts[i].url,
                    snippet=headline(posts[i].text, limit=_SNIPPET_LENGTH),
                    copy_of=copies.get(i),
                    text=posts[i].text,
                )
                for i in members
            ],
            first_seen=first_seen,
            actors=self.actors.actors(
                ((posts[i].channel_id, posts[i].text) for i in by_closeness),
                ignore=self._actor_filter(channel_ids, names_by_id, window),
            ),
            escalation=round(max((s.escalation for s in cluster.terms), default=0.0), 2),
            reach=sum(posts[i].views or 0 for i in members),
        )

    def _rank(
        self, cluster: _Cluster, channel_ids: list[int], members: list[int], window: _Window
    ) -> tuple[float, _Scored]:
        """score = z x (independent channels / min channels) x (1 + log10(1 + reach) / 10).

        z is the strongest term's (against the long baseline, or for a known story its own
        recent level); a group of sister channels counts 1 + sister_weight per extra sister.
        """
        params = self.params
        seed = max(cluster.terms, key=lambda s: (s.z, s.term))
        groups = Counter(window.owners.get(channel_id, channel_id) for channel_id in channel_ids)
        independent = sum(1 + params.sister_weight * (n - 1) for n in groups.values())
        reach = sum(window.posts[i].views or 0 for i in members)
        score = seed.z * independent / params.min_channels
        return score * (1 + math.log10(1 + reach) / 10), seed

    def _signature_test(self, channel_id: int, window: _Window) -> Callable[[str], bool]:
        signature = window.signatures.get(channel_id, frozenset())

        def is_signature(word: str) -> bool:
            stem = self.extractor.stem(word)
            return not stem or stem in signature

        return is_signature

    def _actor_filter(
        self, channel_ids: list[int], names: dict[int, str], window: _Window
    ) -> Callable[[str], bool]:
        """Words of the channels' own names and signatures are not actors."""
        signature: set[str] = set()
        for channel_id in channel_ids:
            signature |= window.signatures.get(channel_id, frozenset())
        own = {word.lower() for name in names.values() for word in re.findall(r"\w+", name)}

        def ignored(word: str) -> bool:
            return word in own or self.extractor.stem(word) in signature

        return ignored


def _ambiguous(term: str) -> bool:
    """A short word (an abbreviation such as "ЖК", "ЦБ", "США") names too many things to
    show that two groups of posts tell one story; a phrase with it is specific enough."""
    return " " not in term and len(term) < _MIN_BRIDGE_LENGTH


def _copies(members: list[int], window: _Window) -> dict[int, int]:
    """Post index -> the earlier post of the story it copies (the criterion of answers)."""
    result: dict[int, int] = {}
    originals: list[int] = []
    for index in members:  # oldest first
        terms = window.terms[index]
        for original in originals:
            other = window.terms[original]
            smaller, larger = sorted((len(terms), len(other)))
            if smaller < MIN_DUPLICATE_TERMS or smaller / larger < LENGTH_RATIO:
                continue
            if len(terms & other) >= SHARED_WORDS * smaller:
                result[index] = original
                break
        else:
            originals.append(index)
    return {index: window.posts[original].post_id for index, original in result.items()}


def _sister_groups(
    posts: list[TrendPost], terms: list[frozenset[str]], share: float
) -> dict[int, int]:
    """Channel -> a representative of its sisters: channels often posting the same text.

    Inferred from the posts (the same terms, signature removed, in two channels), so a
    network reposting itself counts less than independent newsrooms.
    """
    seen: dict[frozenset[str], set[int]] = defaultdict(set)
    sizes: Counter[int] = Counter()
    for post, post_terms in zip(posts, terms, strict=True):
        sizes[post.channel_id] += 1
        if len(post_terms) >= _SISTER_MIN_TERMS:
            seen[post_terms].add(post.channel_id)
    together: Counter[tuple[int, int]] = Counter()
    for channels in seen.values():
        if 1 < len(channels) <= 6:
            ordered = sorted(channels)
            for position, first in enumerate(ordered):
                for second in ordered[position + 1 :]:
                    together[(first, second)] += 1
    sisters = _UnionFind(sizes)
    for (first, second), count in together.items():
        if count >= 3 and count >= share * min(sizes[first], sizes[second]):
            sisters.join(first, second)
    return {channel_id: sisters.root(channel_id) for channel_id in sizes}


class _UnionFind:
    """Groups of items joined pairwise; each group named by one of its items."""

    def __init__(self, items: Iterable[int]) -> None:
        self._parent = {item: item for item in items}

    def root(self, item: int) -> int:
        """The name of the item's group."""
        parent = self._parent
        while parent[item] != item:
            parent[item] = parent[parent[item]]
            item = parent[item]
        return item

    def join(self, first: int, second: int) -> None:
        """Put the second item's group into the first's."""
        self._parent[self.root(second)] = self.root(first)


def _profile(indices: Iterable[int], window: _Window) -> dict[str, float]:
    """A group of posts as one idf-weighted term vector (share of its posts x idf)."""
    counts: Counter[str] = Counter()
    size = 0
    for index in indices:
        counts.update(window.terms[index])
        size += 1
    return {term: count / size * window.idf[term] for term, count in counts.items()}


def _cosine(first: dict[str, float], second: dict[str, float]) -> float:
    if len(second) < len(first):
        first, second = second, first
    dot = sum(weight * second.get(term, 0.0) for term, weight in first.items())
    norm = math.sqrt(sum(w * w for w in first.values())) * math.sqrt(
        sum(w * w for w in second.values())
    )
    return dot / norm if norm else 0.0


def _postings(window_terms: list[frozenset[str]]) -> dict[str, list[int]]:
    """Term -> indices of the window posts using it."""
    postings: defaultdict[str, list[int]] = defaultdict(list)
    for index, post_terms in enumerate(window_terms):
        for term in post_terms:
            postings[term].append(index)
    return postings


def _ewma(counts: list[int] | None, volume: list[int], alpha: float) -> tuple[float, float]:
    """EWMA mean and variance of a term's share of posts over the bins, oldest bin first."""
    mean = variance = 0.0
    started = False
    for bin_index in range(len(volume) - 1, -1, -1):
        total = volume[bin_index]
        if not total:
            continue
        rate = (counts[bin_index] if counts else 0) / total
        if not started:
            mean, started = rate, True
            continue
        delta = rate - mean
        mean += alpha * delta
        variance = (1 - alpha) * (variance + alpha * delta * delta)
    return mean, variance


def _display_terms(stems: list[str]) -> list[str]:
    """Terms worth showing: a phrase stands for the words in it."""
    covered = {part for term in stems if " " in term for part in term.split(" ")}
    result: list[str] = []
    for term in stems:
        if " " not in term and term in covered:
            continue
        if " " in term and any(part in term.split(" ") for t in result for part in t.split(" ")):
            continue  # an overlapping phrase says nothing new
        result.append(term)
    return result


def natural_key(seed: str, first_seen: datetime) -> str:
    """Identity of a new trend: its strongest term and the day its first post appeared."""
    source = f"{seed}|{first_seen:%Y-%m-%d}"
    return hashlib.sha1(source.encode(), usedforsecurity=False).hexdigest()[:16]


def carry_identity(trends: list[Trend], previous: Sequence[PreviousTrend]) -> list[Trend]:
    """Give each trend the key of the earlier trend it continues (same posts or top terms)."""
    if not previous:
        return trends
    available = list(previous)
    result = []
    for trend in trends:  # best first: the strongest claims its predecessor first
        match = _best_predecessor(trend, available)
        if match is not None:
            available.remove(match)
            trend = replace(trend, trend_key=match.trend_key)
        result.append(trend)
    seen: set[str] = set()
    unique = []
    for trend in result:  # a new natural key may clash with an inherited one
        if trend.trend_key in seen:
            trend = replace(trend, trend_key=natural_key("|".join(trend.stems), trend.first_seen))
        seen.add(trend.trend_key)
        unique.append(trend)
    return unique


def _best_predecessor(trend: Trend, candidates: list[PreviousTrend]) -> PreviousTrend | None:
    best, best_rank = None, (0.0, 0)
    post_ids = trend.post_ids
    top = set(trend.stems[:5])
    for candidate in candidates:
        shared_posts = len(post_ids & candidate.post_ids)
        smaller = min(len(post_ids), len(candidate.post_ids)) or 1
        post_share = shared_posts / smaller if shared_posts >= 2 else 0.0
        shared_terms = len(top & set(candidate.stems[:5]))
        if post_share < 0.3 and shared_terms < 2:
            continue
        rank = (post_share, shared_terms)
        if rank > best_rank:
            best, best_rank = candidate, rank
    return best
