"""The viewing office from tests/viewings, for the double-tap test."""

from __future__ import annotations

from tests.viewings.conftest import office

__all__ = ["office"]
