"""A local Sphinx extension: each page loads each script once.

sphinx-thebe 0.3.1 adds its inline ``const THEBE_JS_URL = ...`` script every time Sphinx reads
documents, so a rebuild (or Jupyter Book's two reading passes) declares it twice and the browser
logs "Identifier 'THEBE_JS_URL' has already been declared" on every page.
"""

from __future__ import annotations

from typing import Any


def _one_of_each_script(
    app: Any, pagename: str, templatename: str, context: dict, doctree: Any
) -> None:
    seen: set[tuple[str, str]] = (
        set()
    )  # (file, inline body): one inline script comes as None and as ""
    unique = []
    for script in context.get("script_files", []):
        attributes = getattr(script, "attributes", {})
        key = (str(getattr(script, "filename", script) or ""), str(attributes.get("body", "")))
        if key not in seen:
            seen.add(key)
            unique.append(script)
    context["script_files"] = unique


def setup(app: Any) -> dict:
    app.connect("html-page-context", _one_of_each_script, priority=900)
    return {"parallel_read_safe": True, "parallel_write_safe": True}
