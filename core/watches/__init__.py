"""Keyword watches: a chat is told at once when a new post matches one of its expressions."""
