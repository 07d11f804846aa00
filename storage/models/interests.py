"""Tables of the interests feature."""

from __future__ import annotations
