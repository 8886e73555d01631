"""The project's set-up files agree with each other and with the README."""

from __future__ import annotations

import re
import subprocess
import tomllib
from pathlib import Path

import yaml

ROOT = Path(__file__).resolve().parent.parent


def _name_and_spec(requirement: str) -> tuple[str, str]:
    match = re.match(r"^\s*([A-Za-z0-9_.\-]+)\s*(.*)$", requirement)
    return match.group(1).lower().replace("_", "-"), match.group(2).replace(" ", "")


def _pyproject_requirements() -> dict[str, str]:
    project = tomllib.loads((ROOT / "pyproject.toml").read_text())["project"]
    reqs = list(project["dependencies"])
    for extra in project.get("optional-dependencies", {}).values():
        reqs += extra
    return dict(_name_and_spec(r) for r in reqs)


def _conda_requirements() -> dict[str, str]:
    env = yaml.safe_load((ROOT / "environment.yml").read_text())
    out = {}
    for dep in env["dependencies"]:
        if isinstance(dep, dict):  # the pip: section installs the kit itself
            continue
        name, spec = _name_and_spec(dep)
        if name not in ("python", "pip"):
            out[name] = spec
    return out


def test_environment_yml_and_pyproject_name_the_same_packages_and_versions():
    """Conda users and pip users get the same packages with the same lower bounds."""
    assert _conda_requirements() == _pyproject_requirements()


def test_environment_yml_pins_python_311():
    """The conda environment uses the Python the kit is tested on."""
    env = yaml.safe_load((ROOT / "environment.yml").read_text())
    assert "python=3.11" in env["dependencies"]


def test_readme_names_the_two_commands_and_the_makefile_has_them():
    """The README's set-up commands exist as Makefile targets listed by `make help`."""
    readme = (ROOT / "README.md").read_text()
    assert "make demo" in readme and "make test" in readme
    listing = subprocess.run(["make", "-s", "help"], cwd=ROOT, capture_output=True, text=True, check=True).stdout
    targets = {line.split()[0] for line in listing.splitlines() if line.strip()}
    assert {"demo", "test", "bench", "lab", "help"} <= {re.sub(r"\x1b\[[0-9;]*m", "", t) for t in targets}


def test_ci_runs_exactly_the_readme_test_command():
    """CI calls `make test`, the command the README gives to users."""
    script = (ROOT / ".ci" / "run").read_text()
    assert re.search(r"^make test$", script, re.MULTILINE)
