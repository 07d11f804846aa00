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
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field, replace
from datetime import datetime

from core.text.terms import TermExtractor, surface_forms
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
_LEADING_JUNK = re.compile(r"^[\W_]+")
_HEADLINE_LENGTH = 140
_SNIPPET_LENGTH = 90


@dataclass(slots=True)
class _Scored:
    term: str
    z: float
    expected: float  # posts usually mentioning it in a window like this one
    posts: set[int]  # window post indices


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
        self._terms_cache: dict[tuple[int, int], frozenset[str]] = {}
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
        sequences = [self.extractor.sequence(post.text) for post in window_posts]
        window_terms = [
            self._with_phrases(terms[i], sequences[n], boilerplate.get(recent[i].channel_id))
            for n, i in enumerate(chosen)
        ]
        window = _Window(window_posts, window_terms, sequences, _postings(window_terms))
        if near_misses is not None:
            near_misses.extend(self._few_channels(window))
        candidates = self._candidates(window)
        if not candidates:
            return []
        baseline_rows = [
            (terms[i], int((window_start - post.date) / params.window))
            for i, post in enumerate(recent)
            if post.date < window_start and terms[i]
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
                    label=_first_line(window.posts[first].text, _SNIPPET_LENGTH),
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
            if z >= params.min_z / 2:
                scored.append(_Scored(term, z, expected, set(indices)))
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
        return kept

    def _stories(self, indices: set[int], window: _Window) -> list[set[int]]:
        """The posts of one term split into groups that read alike, each of enough channels."""
        ordered = sorted(indices)
        parent = {index: index for index in ordered}

        def root(index: int) -> int:
            while parent[index] != index:
                parent[index] = parent[parent[index]]
                index = parent[index]
            return index

        for position, first in enumerate(ordered):
            for second in ordered[position + 1 :]:
                if root(first) != root(second) and (
                    window.similarity(first, second) >= _EDGE_SIMILARITY
                ):
                    parent[root(second)] = root(first)
        groups: defaultdict[int, set[int]] = defaultdict(set)
        for index in ordered:
            groups[root(index)].add(index)
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
        names = set(stems)
        seed = cluster.seed
        central = max(
            (i for i in members if seed.term in window.terms[i]),
            key=lambda i: (len(window.terms[i] & names) / math.sqrt(len(window.terms[i])), -i),
        )
        names_by_id = {posts[i].channel_id: posts[i].channel_name for i in members}
        score = seed.z * math.sqrt(len(channel_ids) / params.min_channels)
        first_seen = posts[members[0]].date
        return Trend(
            trend_key=natural_key(seed.term, first_seen),
            label=" · ".join(readable[:3]),
            headline=_first_line(posts[central].text, _HEADLINE_LENGTH),
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
                    snippet=_first_line(posts[i].text, _SNIPPET_LENGTH),
                )
                for i in members
            ],
            first_seen=first_seen,
        )


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


def _first_line(text: str, limit: int) -> str:
    """The first line with some words in it, without leading emoji and markup, shortened."""
    line = text.strip()
    for candidate in text.splitlines():
        candidate = _LEADING_JUNK.sub("", candidate.replace("**", "").replace("__", "")).strip()
        if sum(ch.isalpha() for ch in candidate) >= 8:
            line = candidate
            break
    if len(line) <= limit:
        return line
    cut = line[:limit].rsplit(" ", 1)[0]
    return cut.rstrip(",.;:—- ") + "…"


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
