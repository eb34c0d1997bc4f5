"""Pure domain core: the checklist, answers, question flow and scoring (no I/O, no bot code)."""
