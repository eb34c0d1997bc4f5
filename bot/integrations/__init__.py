"""Adapters to the world outside Telegram: calendar files (iCalendar) and CalDAV servers."""
