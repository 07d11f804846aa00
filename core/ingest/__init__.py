"""Ingest: storing posts (channel posts, Telegram Desktop exports) and indexing them."""
