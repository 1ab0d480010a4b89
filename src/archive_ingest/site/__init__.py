"""The catalog as a static website (`archive-ingest site OUT_DIR`), browsable offline.

`builder.py` writes the pages and owns OUT_DIR; `views.py` says what a page shows of a
record; `images.py` puts the access copies and thumbnails beside them; `search_keys.py`
computes the search index that `static/site.js` searches in the browser.
"""

from __future__ import annotations

from .builder import DEFAULT_TITLE, MARKER, SiteError, SiteReport, build_site

__all__ = ["DEFAULT_TITLE", "MARKER", "SiteError", "SiteReport", "build_site"]
