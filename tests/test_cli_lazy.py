"""The CLI imports a command's module only when that command is asked for, and still finds every command."""

from __future__ import annotations

import importlib
import subprocess
import sys

import click

from kinerja_lib.cli import COMMAND_MODULES


def _imported_after(*args: str) -> set[str]:
    """The kinerja_lib modules a fresh interpreter has imported after running ``kinerja *args``."""
    code = ("import sys\nfrom kinerja_lib.cli import main\n"
            f"try:\n    main({list(args)!r})\nexcept SystemExit:\n    pass\n"
            "print(' '.join(m for m in sys.modules if m.startswith('kinerja_lib')))")
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True).stdout
    return set(out.split())


def test_a_command_imports_its_own_module_only():
    """`kinerja score --help` loads the scoring command, not the form server, the mailer or the importers."""
    loaded = _imported_after("score", "--help")
    assert "kinerja_lib.cli.analysis" in loaded
    assert not loaded & {"kinerja_lib.cli.serve", "kinerja_lib.cli.outreach", "kinerja_lib.cli.imports",
                         "kinerja_lib.mailer", "kinerja_lib.importers"}, loaded


def test_the_map_names_each_command_of_each_module():
    """Every command a module registers is in COMMAND_MODULES under that module, and nothing else is."""
    registered = {}
    for module in set(COMMAND_MODULES.values()):
        group = click.Group()
        importlib.import_module(f"kinerja_lib.cli.{module}").register(group)
        registered.update({name: module for name in group.commands})
    assert registered == COMMAND_MODULES, "add each new top-level command to COMMAND_MODULES in kinerja_lib/cli"


def test_help_lists_every_command():
    from click.testing import CliRunner

    from kinerja_lib.cli import main

    result = CliRunner().invoke(main, ["--help"])
    assert result.exit_code == 0
    listed = {line.split()[0] for line in result.output.split("Commands:")[1].splitlines() if line.strip()}
    assert listed == set(COMMAND_MODULES)
