"""The base exception of the core layer and its user-facing subclasses."""


class CoreError(Exception):
    """Base class for every error raised by the core layer."""


class InvalidChannelName(CoreError):
    """The text given does not name a Telegram channel."""


class ChannelNotReadable(CoreError):
    """The channel exists but its posts cannot be read (no public preview, private, gone)."""


class ChannelSourceError(CoreError):
    """The channel source failed for a reason that may go away (network, 5xx, garbage)."""


class ChannelLimitReached(CoreError):
    """The chat already follows as many channels as it may."""

    def __init__(self, message: str, limit: int | None = None) -> None:
        super().__init__(message)
        self.limit = limit  # the chat's own limit (it may have an override)


class ExportFormatError(CoreError):
    """A Telegram Desktop export file is malformed."""


class ExportNotSingleChannel(CoreError):
    """A username was given for exports that hold more (or less) than one channel."""


class IndexUnavailable(CoreError):
    """The search index cannot be reached or opened (e.g. locked by another process)."""


class ImportFailed(CoreError):
    """A file of an import could not be stored; nothing of that file was kept."""


class TooManyChanges(CoreError):
    """A user changed subscriptions too often; `wait_seconds` until the next change is allowed."""

    def __init__(self, wait_seconds: int, notify: bool = True) -> None:
        super().__init__(f"too many subscription changes; wait {wait_seconds} s")
        self.wait_seconds = wait_seconds
        self.notify = notify  # only the first refusal of a window is answered
