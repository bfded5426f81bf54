"""The packaged copy of ``resources/``: the application icon and the theme's images.

Built by ``packaging/build_resources.py`` (``make resources``); a test proves it is current.
Qt needs real files (style sheets name images by path), and the package is always installed
as files (wheel, editable install or bundle), so :func:`path` returns one.
"""

from __future__ import annotations

from importlib.resources import files
from pathlib import Path

ICON_NAME = "interim-crm"
ICON_SIZES = (16, 24, 32, 48, 64, 128, 256, 512)


def path(name: str) -> Path:
    """The file ``name`` (e.g. ``check.svg`` or ``icons/interim-crm-64.png``) of the package."""
    resource = files(__name__).joinpath(name)
    if not isinstance(resource, Path):  # a zipped install: Qt could not open it by path
        raise FileNotFoundError(f"{name} is not a file on disk ({resource})")
    if not resource.is_file():
        raise FileNotFoundError(f"{resource} is missing: run `make resources`")
    return resource


def icon_pngs() -> list[Path]:
    """The application icon at every size, smallest first."""
    return [path(f"icons/{ICON_NAME}-{size}.png") for size in ICON_SIZES]
