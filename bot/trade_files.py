"""Which companion files (sites, knowledge base, deal timeline) go with the checklist.

A trade keeps its files in one folder: `checklist.yaml` with `sites.yaml`,
`knowledge.yaml` and `deal.yaml` next to it. A setting (SITES_PATH, KNOWLEDGE_PATH,
DEAL_PATH) always wins; the bundled flats files go only with the bundled flats checklist,
so a clinic's prospects never get a flat's FAQ or a flat's deal timeline.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path

from bot.config import BUNDLED_DEAL, BUNDLED_KNOWLEDGE, BUNDLED_SITES
from bot.domain.checklist import BUNDLED_CHECKLIST
from bot.domain.checklist_text import Localized
from bot.domain.deal import DealFile, Stage, StageMessage
from bot.domain.knowledge_file import KnowledgeFile
from bot.domain.sites_file import SitesFile

SITES_FILE = "sites.yaml"
KNOWLEDGE_FILE = "knowledge.yaml"
DEAL_FILE = "deal.yaml"


@dataclass(frozen=True)
class TradeFiles:
    """The files in use; None: there is none (booking, answers or deal support off)."""

    checklist: Path
    sites: Path | None
    knowledge: Path | None
    deal: Path | None

    def describe(self) -> str:
        """One log line naming every file, or what is off without it."""

        def name(path: Path | None, off: str) -> str:
            return str(path) if path is not None else off

        return (
            f"checklist {self.checklist}; "
            f"sites {name(self.sites, 'none (no booking: a manager will call)')}; "
            f"knowledge {name(self.knowledge, 'none (staff answers only)')}; "
            f"deal {name(self.deal, 'none (deal support off)')}"
        )


def trade_files(
    checklist: Path,
    *,
    sites: Path | None = None,
    knowledge: Path | None = None,
    deal: Path | None = None,
) -> TradeFiles:
    """The settings' paths where set, else the files found next to the checklist."""
    if _same(checklist, BUNDLED_CHECKLIST):
        found: tuple[Path | None, ...] = (BUNDLED_SITES, BUNDLED_KNOWLEDGE, BUNDLED_DEAL)
    else:
        folder = checklist.parent
        found = tuple(
            candidate if candidate.is_file() else None
            for candidate in (folder / SITES_FILE, folder / KNOWLEDGE_FILE, folder / DEAL_FILE)
        )
    return TradeFiles(
        checklist=checklist,
        sites=sites if sites is not None else found[0],
        knowledge=knowledge if knowledge is not None else found[1],
        deal=deal if deal is not None else found[2],
    )


def _same(path: Path, other: Path) -> bool:
    try:
        return path.resolve() == other.resolve()
    except OSError:
        return False


NO_SITES = SitesFile(sites=(), managers=())


def no_knowledge(language: str) -> KnowledgeFile:
    """An empty knowledge base: every question goes to staff (their saved answers work)."""
    return KnowledgeFile(version=0, languages=(language,), entries=())


def dormant_deal() -> DealFile:
    """What the deal machinery holds when deal support is off: the card offers no deal,
    so nothing reaches it; one neutral stage keeps its invariants (a first stage)."""
    dash = Localized(texts={"ru": "—", "en": "—"})
    stage = Stage(id="none", title=dash, message=StageMessage(now=dash, takes=dash), owner="")
    return DealFile(
        id="none", version=0, languages=("ru", "en"), roles=(), facts=(), stages=(stage,)
    )


def files_from_environment(environ: Mapping[str, str]) -> TradeFiles:
    """The files the bot would use with these environment variables (for the check
    commands, which need no token and so read no full settings)."""

    def path(name: str) -> Path | None:
        value = environ.get(name, "").strip()
        return Path(value) if value else None

    return trade_files(
        path("CHECKLIST_PATH") or BUNDLED_CHECKLIST,
        sites=path("SITES_PATH"),
        knowledge=path("KNOWLEDGE_PATH"),
        deal=path("DEAL_PATH"),
    )
