"""Errors a user can cause by pointing the AI settings at something that is not there."""

from __future__ import annotations


class ModelUnavailable(Exception):
    """A model named in system_map/classifier.yml cannot be found or loaded; the message says which and why."""
