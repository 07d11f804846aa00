"""Trends: stories several channels suddenly cover, stored per chat, alerts through an outbox."""
