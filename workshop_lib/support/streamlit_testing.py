"""Streamlit's AppTest without its per-session scan of every installed package.

A new ``AppTest``'s first run reads the metadata of every installed package to find custom
components (2.8 s here, of a 6.9 s lab 04 check with two sessions); the workbook's pages use
none. ``app_test`` hands each new AppTest the components found once per process, through
``AppTest._bidi_component_manager``, the private attribute where AppTest keeps them (Streamlit
is pinned in requirements.lock).
"""

from __future__ import annotations

import functools
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from streamlit.testing.v1 import AppTest


def app_test(script: str, timeout: float) -> AppTest:
    """``AppTest.from_file(script, default_timeout=timeout)``, its components already found."""
    from streamlit.testing.v1 import AppTest  # imported when used: it is slow to import

    app = AppTest.from_file(script, default_timeout=timeout)
    app._bidi_component_manager = _components()
    return app


@functools.cache
def _components() -> Any:
    """The installed custom components, found once (Streamlit's BidiComponentManager)."""
    from streamlit.components.v2.component_manager import BidiComponentManager

    components = BidiComponentManager()
    components.discover_and_register_components(start_file_watching=False)
    return components
