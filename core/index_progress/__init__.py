"""Telling a chat when a channel it subscribed to is indexed, and what still waits."""
