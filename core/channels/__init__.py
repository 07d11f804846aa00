"""Channels: following public and private channels, subscriptions, polling the t.me web preview."""
