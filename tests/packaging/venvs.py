"""Fresh virtual environments with leadsieve installed in them, as an operator would.

The project is copied (only what a build reads, as the Dockerfile does), built and
installed into a new venv offline: `--no-deps --no-build-isolation --no-index`, the
dependencies and the build tools coming from the test's own environment through a .pth
file. Commands then run from a folder outside the checkout, with a bare environment.
"""

from __future__ import annotations

import shutil
import subprocess
import sysconfig
import venv
from dataclasses import dataclass
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
# What a build reads; the Dockerfile copies the same.
BUILD_INPUTS = ("pyproject.toml", "setup.py", "README.md", "bot", "locales", "migrations")
TOKEN = "123456789:AAEhBP0av28Qt4iuLXLpN5rAapTz9V7sZlY"


@dataclass(frozen=True)
class Installed:
    python: Path
    site_packages: Path
    source: Path  # the copy it was built from
    outside: Path  # an empty folder to run commands in

    def run(self, *args: str, **env: str) -> subprocess.CompletedProcess[str]:
        return subprocess.run(
            [str(self.python), *args],
            cwd=self.outside,
            env={"PATH": "/usr/bin:/bin", "HOME": str(self.outside), **env},
            capture_output=True,
            text=True,
            timeout=120,
            check=False,
        )

    def bot(self, *args: str, **env: str) -> subprocess.CompletedProcess[str]:
        return self.run("-m", "bot", *args, **env)


def copy_project(target: Path) -> Path:
    target.mkdir(parents=True)
    for name in BUILD_INPUTS:
        source = ROOT / name
        if source.is_dir():
            shutil.copytree(source, target / name, ignore=shutil.ignore_patterns("__pycache__"))
        else:
            shutil.copy2(source, target / name)
    return target


def install(where: Path, *, editable: bool = False) -> Installed:
    """A new venv under `where` with the project installed (a built wheel, or editable)."""
    source = copy_project(where / "source")
    home = where / "venv"
    venv.EnvBuilder(with_pip=False, symlinks=True).create(home)
    python = home / "bin" / "python"
    site_packages = Path(
        sysconfig.get_path("purelib", "venv", vars={"base": str(home), "platbase": str(home)})
    )
    ours = {sysconfig.get_path("purelib"), sysconfig.get_path("platlib")}
    # Lines of a .pth go after the venv's own site-packages: what we install comes first.
    (site_packages / "leadsieve_test_deps.pth").write_text("\n".join(sorted(ours)) + "\n")
    outside = where / "elsewhere"
    outside.mkdir()
    command = [str(python), "-m", "pip", "install", "--quiet", "--no-deps", "--no-index"]
    command += ["--no-build-isolation", "--no-cache-dir", "--disable-pip-version-check"]
    command += ["--editable", str(source)] if editable else [str(source)]
    result = subprocess.run(
        command, cwd=outside, capture_output=True, text=True, timeout=300, check=False
    )
    assert result.returncode == 0, f"pip install failed:\n{result.stdout}\n{result.stderr}"
    return Installed(python, site_packages, source, outside)
