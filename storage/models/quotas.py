"""Tables of the quotas feature."""

from __future__ import annotations
