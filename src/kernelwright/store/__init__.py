"""Persistent, signed record of every verdict, run, environment and lesson.

``Store.open(url)`` with an SQLAlchemy URL, ``$KERNELWRIGHT_DB``, or the default SQLite file in the
user data dir. See :mod:`kernelwright.store.core` for the API and :mod:`kernelwright.store.signing` for what
a record's signature covers.
"""

from __future__ import annotations

from kernelwright.settings import DB_ENV
from kernelwright.store.core import Store, StoredRecord, StoreError, stronger_speedup
from kernelwright.store.db import default_url

__all__ = ["DB_ENV", "Store", "StoreError", "StoredRecord", "default_url", "stronger_speedup"]
