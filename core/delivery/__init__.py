"""Crash-safe delivery of prepared messages: the outbox shared by trend alerts, digests, watches."""
