"""Retention: what the bot stops keeping (deleted posts, old question logs)."""
