"""Scheduled digests: the period's stories, ranked by a chat's interests, cited, sent once."""
