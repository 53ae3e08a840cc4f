"""The programs some cells need beyond the virtualenv, and what a notebook does without them.

Chapter 09 runs nginx (the balancer), Spark's cluster (Java) and MLServer (its own environment,
``.venv-mlserver``); ``make lab`` installs none of them. A cell that needs one starts with a
comment such as ``# needs: nginx``; once ``skip_marked_cells()`` has run, such a cell runs only
where everything it names is present, and elsewhere prints what is missing and the command that
installs it instead of running (no traceback, and the cells after it still run). On Binder the
cells ``support.binder`` names are skipped with its reason. In CI (``CI`` set) nothing may be
missing: such a cell raises ``ToolMissingError``.
"""

from __future__ import annotations

import os
import shutil
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from workshop_lib.paths import PROJECT_ROOT
from workshop_lib.support import binder

# Debian puts nginx in /usr/sbin, which is not on the PATH of users other than root.
SYSTEM_FOLDERS = ("/usr/sbin", "/sbin")
MARK = "# needs:"
MLSERVER_VENV = PROJECT_ROOT / ".venv-mlserver"  # make mlserver-env


@dataclass(frozen=True)
class Tool:
    """Something a cell needs: what it is, how to install it, and how to find it."""

    what: str
    install: str
    locate: Callable[[Mapping[str, str], str], Path | None]  # (environment, search path)


def _program(name: str) -> Callable[[Mapping[str, str], str], Path | None]:
    def locate(environ: Mapping[str, str], path: str) -> Path | None:
        found = shutil.which(name, path=path)
        return Path(found) if found else None

    return locate


def _java(environ: Mapping[str, str], path: str) -> Path | None:
    found = _program("java")(environ, path)
    java_home = environ.get("JAVA_HOME")
    if found is None and java_home and (Path(java_home) / "bin" / "java").exists():
        found = Path(java_home) / "bin" / "java"
    return found


def _mlserver(environ: Mapping[str, str], path: str) -> Path | None:
    program = MLSERVER_VENV / "bin" / "mlserver"
    return program if program.exists() else None


TOOLS = {
    "nginx": Tool("nginx (the load balancer)", "sudo apt-get install nginx", _program("nginx")),
    "spark": Tool(
        "Java 17 (Spark runs on it)",
        "sudo apt-get install openjdk-17-jre-headless (Debian/Ubuntu), brew install "
        "openjdk@17 (macOS) or from https://adoptium.net",
        _java,
    ),
    "mlserver": Tool("MLServer's environment (.venv-mlserver)", "make mlserver-env", _mlserver),
}


class ToolMissingError(RuntimeError):
    """A tool a cell needs is missing where it must not be (CI)."""


def _environ(environ: Mapping[str, str] | None) -> Mapping[str, str]:
    return os.environ if environ is None else environ


def locate(name: str, environ: Mapping[str, str] | None = None) -> Path | None:
    """Where ``name`` (a key of ``TOOLS``) is, or None. ``environ`` replaces this process's
    environment (its PATH is then searched as given, without ``SYSTEM_FOLDERS``)."""
    if name not in TOOLS:
        raise ValueError(f"unknown tool {name!r}: expected one of {sorted(TOOLS)}")
    variables = _environ(environ)
    folders = variables.get("PATH", "").split(os.pathsep)
    if environ is None:
        folders += SYSTEM_FOLDERS
    return TOOLS[name].locate(variables, os.pathsep.join(folder for folder in folders if folder))


def in_ci(environ: Mapping[str, str] | None = None) -> bool:
    """Whether this runs in CI (``CI`` set to anything but empty, 0 or false)."""
    return _environ(environ).get("CI", "").strip().lower() not in ("", "0", "false")


def missing(needs: Iterable[str], environ: Mapping[str, str] | None = None) -> dict[str, str]:
    """Each tool of ``needs`` that is not here, with what it is and how to install it."""
    return {
        name: f"{TOOLS[name].what} is not installed: {TOOLS[name].install}"
        for name in needs
        if locate(name, environ) is None
    }


def skip_reason(needs: Iterable[str], environ: Mapping[str, str] | None = None) -> str | None:
    """Why a cell needing ``needs`` does not run here, or None when it may.

    Binder's skips (``support.binder``) come first; a missing tool in CI raises.
    """
    needs = list(needs)
    for name in needs:
        if name in binder.SKIPPED_ON_BINDER and binder.on_binder(environ):
            return binder.SKIPPED_ON_BINDER[name]
    absent = missing(needs, environ)
    if not absent:
        return None
    if in_ci(environ):
        raise ToolMissingError(f"CI must run every cell, but {'; '.join(absent.values())}")
    return "skipped here: " + "; ".join(absent.values())


def needs_of(cell: str) -> list[str]:
    """The tools a cell's first line names (``# needs: nginx, mlserver``), if any."""
    first = cell.lstrip().partition("\n")[0].strip()
    if not first.startswith(MARK):
        return []
    return [name.strip() for name in first.removeprefix(MARK).split(",") if name.strip()]


def skip_if_missing(lines: list[str]) -> list[str]:
    """An IPython input transformer: a marked cell whose tools are missing becomes a print."""
    reason = skip_reason(needs_of("".join(lines)))
    return lines if reason is None else [f"print({reason!r})\n"]


def skip_marked_cells(shell: Any = None) -> None:
    """From now on, run a notebook cell marked ``# needs: ...`` only where its tools are."""
    if shell is None:
        from IPython import get_ipython

        shell = get_ipython()
    if shell is None:
        raise RuntimeError("skip_marked_cells works in a notebook (IPython) only")
    if skip_if_missing not in shell.input_transformers_post:
        shell.input_transformers_post.append(skip_if_missing)


def status(names: Iterable[str], environ: Mapping[str, str] | None = None) -> str:
    """One line per tool: found, or missing and how to install it."""
    names = list(names)
    absent = missing(names, environ)
    return "\n".join(f"{name}: {absent.get(name, 'found')}" for name in names)
