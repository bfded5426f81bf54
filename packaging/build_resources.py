"""Build the packaged copy of ``resources/`` into ``crm/resources/``.

``resources/`` at the top of the tree holds the sources drawn by hand (SVG). The package
ships a copy of them and what is rendered from them, so neither the app nor a bundle needs
the tree or a build step at run time:

- the SVGs themselves (the app icon and the theme's check mark);
- the icon as PNGs at the freedesktop sizes, rendered with Qt's QSvgRenderer;
- ``interim-crm.ico`` (Windows) and ``interim-crm.icns`` (macOS), both holding those PNGs
  (the formats allow PNG entries, so no image library is needed to write them);
- ``sources.sha256``: the digest of every source file, which a test compares with the tree
  so a source changed without rebuilding fails the suite.

Run it with ``make resources`` (or ``python packaging/build_resources.py``).
"""

from __future__ import annotations

import hashlib
import shutil
import struct
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
SOURCE = ROOT / "resources"
TARGET = ROOT / "crm" / "resources"
ICON = "interim-crm"
PNG_SIZES = (16, 24, 32, 48, 64, 128, 256, 512)
ICO_SIZES = (16, 24, 32, 48, 64, 128, 256)
# Apple's element types for PNG data at each size.
ICNS_TYPES = {16: b"icp4", 32: b"icp5", 64: b"icp6", 128: b"ic07", 256: b"ic08", 512: b"ic09"}
COPIED = ("interim-crm.svg", "check.svg")
DIGESTS = "sources.sha256"


def source_files() -> list[Path]:
    """Every file under ``resources/`` that the packaged copy is built from."""
    return sorted(p for p in SOURCE.rglob("*") if p.is_file())


def digests() -> str:
    """One ``sha256  relative/path`` line per source file, in a stable order."""
    lines = []
    for path in source_files():
        digest = hashlib.sha256(path.read_bytes()).hexdigest()
        lines.append(f"{digest}  {path.relative_to(SOURCE).as_posix()}")
    return "\n".join(lines) + "\n"


def render_png(svg: Path, size: int) -> bytes:
    """The SVG drawn into a transparent square of ``size`` pixels, as PNG bytes."""
    from PySide6.QtCore import QBuffer, QByteArray, QIODevice, Qt
    from PySide6.QtGui import QGuiApplication, QImage, QPainter
    from PySide6.QtSvg import QSvgRenderer

    if QGuiApplication.instance() is None:
        # Kept on the module so it lives as long as the rendering does.
        render_png.app = QGuiApplication([sys.argv[0], "-platform", "offscreen"])  # type: ignore[attr-defined]
    renderer = QSvgRenderer(str(svg))
    if not renderer.isValid():
        raise SystemExit(f"build_resources: {svg} is not a valid SVG")
    image = QImage(size, size, QImage.Format.Format_ARGB32)
    image.fill(Qt.GlobalColor.transparent)
    painter = QPainter(image)
    painter.setRenderHint(QPainter.RenderHint.Antialiasing)
    painter.setRenderHint(QPainter.RenderHint.SmoothPixmapTransform)
    renderer.render(painter)
    painter.end()
    data = QByteArray()
    buffer = QBuffer(data)
    buffer.open(QIODevice.OpenModeFlag.WriteOnly)
    image.save(buffer, "PNG")
    buffer.close()
    return bytes(data.data())


def ico(pngs: dict[int, bytes]) -> bytes:
    """A Windows icon file whose entries are the PNGs (Windows Vista and later read them)."""
    sizes = [s for s in ICO_SIZES if s in pngs]
    header = struct.pack("<HHH", 0, 1, len(sizes))
    offset = len(header) + 16 * len(sizes)
    entries, blobs = b"", b""
    for size in sizes:
        blob = pngs[size]
        side = 0 if size >= 256 else size  # 0 stands for 256 in the directory
        entries += struct.pack("<BBBBHHII", side, side, 0, 0, 1, 32, len(blob), offset)
        offset += len(blob)
        blobs += blob
    return header + entries + blobs


def icns(pngs: dict[int, bytes]) -> bytes:
    """A macOS icon file: the ``icns`` header, then one PNG element per size."""
    body = b""
    for size, kind in ICNS_TYPES.items():
        body += kind + struct.pack(">I", 8 + len(pngs[size])) + pngs[size]
    return b"icns" + struct.pack(">I", 8 + len(body)) + body


def build(target: Path = TARGET) -> None:
    """Write the packaged copy into ``target`` (replacing what was built before)."""
    icons = target / "icons"
    if icons.exists():
        shutil.rmtree(icons)
    icons.mkdir(parents=True)
    for name in COPIED:
        shutil.copyfile(SOURCE / name, target / name)
    pngs = {size: render_png(SOURCE / f"{ICON}.svg", size) for size in PNG_SIZES}
    for size, blob in pngs.items():
        (icons / f"{ICON}-{size}.png").write_bytes(blob)
    (target / f"{ICON}.ico").write_bytes(ico(pngs))
    (target / f"{ICON}.icns").write_bytes(icns(pngs))
    (target / DIGESTS).write_text(digests(), encoding="utf-8")


if __name__ == "__main__":
    build(Path(sys.argv[1]) if len(sys.argv) > 1 else TARGET)
    print(f"resources built into {TARGET.relative_to(ROOT)}")
