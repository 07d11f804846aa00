"""Every scheduled job by name: the feature job modules, listed here explicitly.

Each feature module offers `SPECS` (names, intervals, descriptions: enough for `jobs list`)
and `jobs(...)`, which binds them to only the services they use. Feature modules import
`jobs.base`, never this module, so there is no import cycle.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from jobs import channels, dlq, embedding, interests, media, quotas, retention, trends, vision
from jobs.base import Job, JobSpec

if TYPE_CHECKING:
    from app.container import Container

FEATURES = (channels, embedding, interests, dlq, quotas, media, vision, trends, retention)

SPECS: dict[str, JobSpec] = {spec.name: spec for feature in FEATURES for spec in feature.SPECS}


def build_jobs(container: Container, *, interactive: bool = False) -> dict[str, Job]:
    """Every job bound to the container's services, in `SPECS` order (`interactive`: run by
    hand, `tgassist jobs run`, rather than by the scheduler)."""
    settings = container.settings
    bound = [
        *channels.jobs(container.poller, container.background_indexer, container.indexer),
        *embedding.jobs(container.embedding, settings.embed_job_seconds, interactive=interactive),
        *interests.jobs(container.interests.sync),
        *dlq.jobs(container.dlq, container.metrics),
        *quotas.jobs(container.storage_usage),
        *media.jobs(container.media),
        *vision.jobs(container.media, container.vision),
        *trends.jobs(
            container.trends.service, container.trends.outbox, container.trends.broadcaster
        ),
        *retention.jobs(container.retention),
    ]
    by_name = {job.name: job for job in bound}
    return {name: by_name[name] for name in SPECS}
