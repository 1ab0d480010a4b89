"""Errors that end a command, each carrying the exit code DESIGN.md gives it.

A problem with one file is not an error here: stages record it on the file's record
(a flag and a failure event) and the batch goes on. These exceptions are for what stops
the whole command; only `cli/__init__.py` turns them into an exit code.
"""

from __future__ import annotations


class IngestError(Exception):
    """Base class; an unexpected internal error exits 1."""

    exit_code = 1


class ConfigError(IngestError):
    """Bad usage or a bad `pipeline.yaml`: one line naming the file and key."""

    exit_code = 2


class CatalogLocked(IngestError):
    """Another process holds the catalog's write lock."""

    exit_code = 3


class MissingDependency(IngestError):
    """An outside program (tesseract) or its data is missing; says how to install it."""

    exit_code = 2


class CatalogError(IngestError):
    """The catalog file cannot be read or written."""

    exit_code = 1


class RecordNotFound(IngestError):
    """No record has the id the user asked for."""

    exit_code = 2
