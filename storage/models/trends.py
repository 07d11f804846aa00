"""Tables of the trends feature."""

from __future__ import annotations
