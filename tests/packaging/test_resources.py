"""The packaged copy of resources/ (crm/resources) is current and well-formed."""

from __future__ import annotations

import importlib.util
import struct
import sys
from pathlib import Path
from types import ModuleType

import pytest

from crm import resources

ROOT = Path(__file__).resolve().parents[2]


def _build_script() -> ModuleType:
    spec = importlib.util.spec_from_file_location(
        "build_resources", ROOT / "packaging" / "build_resources.py"
    )
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    sys.modules[spec.name] = module
    spec.loader.exec_module(module)
    return module


def test_the_packaged_copy_was_built_from_the_current_sources() -> None:
    build = _build_script()
    recorded = resources.path("sources.sha256").read_text(encoding="utf-8")
    assert recorded == build.digests(), "resources/ changed: run `make resources` and commit"
    for name in build.COPIED:
        assert resources.path(name).read_bytes() == (ROOT / "resources" / name).read_bytes()


def test_a_rebuild_writes_what_is_committed(qapp, tmp_path: Path) -> None:  # type: ignore[no-untyped-def]
    """Rendering again gives the same files (so the PNGs, .ico and .icns match the SVG)."""
    build = _build_script()
    build.build(tmp_path)
    for built in sorted(p for p in tmp_path.rglob("*") if p.is_file()):
        name = built.relative_to(tmp_path).as_posix()
        assert built.read_bytes() == resources.path(name).read_bytes(), name


def test_icon_pngs_have_their_sizes() -> None:
    from PySide6.QtGui import QImage

    for size, png in zip(resources.ICON_SIZES, resources.icon_pngs(), strict=True):
        image = QImage(str(png))
        assert (image.width(), image.height()) == (size, size), png
        assert image.hasAlphaChannel()
        assert image.pixelColor(0, 0).alpha() == 0  # rounded corner: transparent
        assert image.pixelColor(size // 2, size // 2).alpha() == 255


def test_ico_holds_png_entries_up_to_256() -> None:
    data = resources.path("interim-crm.ico").read_bytes()
    reserved, kind, count = struct.unpack_from("<HHH", data)
    assert (reserved, kind, count) == (0, 1, 7)
    sizes = []
    for i in range(count):
        w, h, _c, _r, planes, bits, length, offset = struct.unpack_from(
            "<BBBBHHII", data, 6 + 16 * i
        )
        assert w == h and planes == 1 and bits == 32
        assert data[offset : offset + 8] == b"\x89PNG\r\n\x1a\n"
        assert offset + length <= len(data)
        sizes.append(w or 256)
    assert sizes == [16, 24, 32, 48, 64, 128, 256]


def test_icns_holds_png_elements_up_to_512() -> None:
    data = resources.path("interim-crm.icns").read_bytes()
    assert data[:4] == b"icns" and struct.unpack_from(">I", data, 4)[0] == len(data)
    kinds, at = [], 8
    while at < len(data):
        kind, length = data[at : at + 4], struct.unpack_from(">I", data, at + 4)[0]
        assert data[at + 8 : at + 16] == b"\x89PNG\r\n\x1a\n"
        kinds.append(kind)
        at += length
    assert at == len(data)
    assert kinds == [b"icp4", b"icp5", b"icp6", b"ic07", b"ic08", b"ic09"]


def test_the_theme_ticks_with_the_packaged_image() -> None:
    from crm.ui.kit import theme

    # check.svg is white: both looks must put it on an accent that white reads on.
    assert theme.LIGHT.accent_text == theme.DARK.accent_text == "#ffffff"
    assert 'stroke="#ffffff"' in resources.path("check.svg").read_text(encoding="utf-8")
    sheet = theme.style_sheet(theme.LIGHT)
    assert f'url("{resources.path("check.svg").as_posix()}")' in sheet
    assert "interim-crm-ui" not in sheet  # no longer drawn into the temporary folder


def test_a_checked_box_shows_the_tick(qtbot) -> None:  # type: ignore[no-untyped-def]
    """The SVG loads (Qt's SVG image plugin is there) and draws white on the accent."""
    from PySide6.QtWidgets import QCheckBox

    from crm.ui.kit import theme

    def white_pixels(sheet: str) -> int:
        box = QCheckBox()
        qtbot.addWidget(box)
        box.setStyleSheet(sheet)
        box.resize(24, 24)
        box.setChecked(True)
        image = box.grab().toImage()
        return sum(
            1
            for x in range(image.width())
            for y in range(image.height())
            if image.pixelColor(x, y).lightness() > 200
        )

    sheet = theme.style_sheet(theme.LIGHT)
    tick = f'image: url("{resources.path("check.svg").as_posix()}");'
    assert tick in sheet
    assert white_pixels(sheet) > white_pixels(sheet.replace(tick, "")) + 5


def test_a_missing_resource_says_how_to_build_it() -> None:
    with pytest.raises(FileNotFoundError, match="make resources"):
        resources.path("nothing.svg")
