"""Show an app's code in a notebook, one section at a time.

The apps mark their sections with ``# --- title ---`` comment lines; ``source_section`` reads
them, so those dividers are read by code: renaming one breaks the notebook that prints it.
"""

from __future__ import annotations

from pathlib import Path


def source_section(path: Path | str, title: str) -> str:
    """The lines of a source file under a ``# --- title ---`` marker, up to the next marker.

    The notebooks print the apps section by section with it.
    """
    lines = Path(path).read_text().splitlines()
    starts = [i for i, line in enumerate(lines) if line.lstrip().startswith("# --- ")]
    for index, start in enumerate(starts):
        if lines[start].lstrip().removeprefix("# --- ").startswith(title):
            end = starts[index + 1] if index + 1 < len(starts) else len(lines)
            return "\n".join(lines[start:end]).rstrip()
    found = [lines[i].strip() for i in starts]
    raise KeyError(f"no section {title!r} in {path}; sections: {found}")
