"""How the tool makes files: atomic writes, temp files with the user's umask, whether a
folder may be written, the archive's folder layout, and the test-only crash points.

Below every other package (it imports only `errors` and `record`), so the catalog, the
run and the exports write files the same way.
"""
