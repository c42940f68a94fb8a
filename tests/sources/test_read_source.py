"""read_source: dispatch by suffix and the SourceError message format."""

from __future__ import annotations

import pickle
from pathlib import Path

import pytest

from opsys.sources import SUPPORTED_SUFFIXES, SourceError, read_source
from tests_sources_paths import FIXTURES  # noqa: F401  (replaced below)
