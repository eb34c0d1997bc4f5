"""The wheel's layout; the project's metadata is in pyproject.toml.

The top-level migrations/ and locales/ folders travel inside the package as
bot/migrations and bot/locales (bot/resources.py finds them in either place), so an
installed bot needs no source tree. This lives here because pyproject.toml cannot add
mapped folders to the packages it finds.
"""

from setuptools import find_namespace_packages, setup

MAPPED = {"bot.migrations": "migrations", "bot.locales": "locales"}

# Folders of data files (checklists/clinic, locales/ru/LC_MESSAGES) count as packages too,
# or setuptools leaves their files out of the wheel.
packages = find_namespace_packages(include=["bot", "bot.*"], exclude=["*.__pycache__"])
for package, folder in MAPPED.items():
    packages += [package, *(f"{package}.{sub}" for sub in find_namespace_packages(where=folder))]

setup(
    packages=packages,
    package_dir=MAPPED,
    package_data={"": ["*.yaml", "*.json", "*.sql", "*.po"]},
)
