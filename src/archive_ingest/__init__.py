"""archive-ingest: turn a folder of scanned photos into a preserved, searchable archive."""

from __future__ import annotations

__version__ = "0.1.0"
