"""Outbound services behind core ports: LLM, vision, image fetcher, t.me web preview, locks, rate limiters, metrics."""
