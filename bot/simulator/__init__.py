"""`python -m bot simulate`: a checklist tried in the terminal before it goes live.

`session` walks the checklist with the bot's own rules and parsers, `terminal` shows it
to a person, `answers_file` and `cases` run expected outcomes without one, `cli` wires
them to stdin and stdout.
"""
