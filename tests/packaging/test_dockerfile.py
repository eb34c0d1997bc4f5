"""The Dockerfile builds the package from what a build reads and runs the installed
package alone (no Docker engine here: its text is checked)."""

from __future__ import annotations

import re

from tests.packaging.venvs import BUILD_INPUTS, ROOT


def _stages() -> list[list[str]]:
    """The instructions of each stage, continuation lines joined."""
    text = re.sub(r"\\\n\s*", " ", (ROOT / "Dockerfile").read_text(encoding="utf-8"))
    stages: list[list[str]] = []
    for line in text.splitlines():
        if not line.strip() or line.lstrip().startswith("#"):
            continue
        if line.startswith("FROM "):
            stages.append([])
        stages[-1].append(line.strip())
    return stages


def _copied(stage: list[str]) -> set[str]:
    sources: set[str] = set()
    for line in stage:
        if line.startswith("COPY ") and "--from=" not in line:
            sources |= set(line.split()[1:-1])
    return sources


def test_the_build_stage_copies_what_the_build_reads() -> None:
    build, _ = _stages()
    assert _copied(build) == set(BUILD_INPUTS)
    assert any(line.startswith("RUN pip wheel") for line in build)


def test_the_image_runs_the_installed_package_without_the_source_tree() -> None:
    _, final = _stages()
    assert _copied(final) == set(), "the run stage copies source files"
    assert any(line.startswith("RUN pip install /wheels/") for line in final)
    assert "USER leadsieve" in final
    assert 'VOLUME ["/data"]' in final
    assert any(line.startswith("HEALTHCHECK ") for line in final)
    assert final[-1] == 'CMD ["python", "-m", "bot"]'
