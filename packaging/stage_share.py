"""Stage the files a Linux install puts under ``share/``, into ``OUT/share``.

- the desktop file and the AppStream metainfo (from packaging/linux/);
- the icon in the hicolor theme (PNG at every size, and the SVG as scalable);
- shell completion for bash and zsh (shtab) and the man page crm(1) (argparse-manpage),
  generated from the ``crm`` command's own argparse parser, so they never drift from it.

``make package`` runs it into the bundle; ``packaging/linux/install.sh`` installs the result.
Usage: python packaging/stage_share.py OUT
"""

from __future__ import annotations

import shutil
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
LINUX = ROOT / "packaging" / "linux"
sys.path.insert(0, str(ROOT))


def completions(out: Path) -> None:
    import shtab

    from crm.cli import build_parser

    bash = out / "share" / "bash-completion" / "completions" / "crm"
    zsh = out / "share" / "zsh" / "site-functions" / "_crm"
    for path, shell in ((bash, "bash"), (zsh, "zsh")):
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(shtab.complete(build_parser(), shell=shell) + "\n", encoding="utf-8")


def man_page(out: Path) -> None:
    from argparse_manpage.manpage import Manpage

    from crm import app_identity
    from crm.cli import build_parser

    page = Manpage(
        build_parser(),
        _data={
            "project_name": app_identity.DISPLAY_NAME,
            "version": app_identity.version(),
            "manual_title": "Interim CRM manual",
            "description": "organisations, people, placements and their X activity",
        },
    )
    path = out / "share" / "man" / "man1" / "crm.1"
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(str(page), encoding="utf-8")


def desktop_files(out: Path) -> None:
    from crm import app_identity, resources

    share = out / "share"
    for source, target in (
        (LINUX / f"{app_identity.APP_ID}.desktop", share / "applications"),
        (LINUX / f"{app_identity.APP_ID}.metainfo.xml", share / "metainfo"),
    ):
        target.mkdir(parents=True, exist_ok=True)
        shutil.copyfile(source, target / source.name)
    icons = share / "icons" / "hicolor"
    for size, png in zip(resources.ICON_SIZES, resources.icon_pngs(), strict=True):
        folder = icons / f"{size}x{size}" / "apps"
        folder.mkdir(parents=True, exist_ok=True)
        shutil.copyfile(png, folder / f"{app_identity.ICON_NAME}.png")
    scalable = icons / "scalable" / "apps"
    scalable.mkdir(parents=True, exist_ok=True)
    shutil.copyfile(resources.path("interim-crm.svg"), scalable / f"{app_identity.ICON_NAME}.svg")


def stage(out: Path) -> None:
    desktop_files(out)
    completions(out)
    man_page(out)
    shutil.copyfile(LINUX / "install.sh", out / "install.sh")
    (out / "install.sh").chmod(0o755)


if __name__ == "__main__":
    if len(sys.argv) != 2:
        raise SystemExit(__doc__)
    stage(Path(sys.argv[1]))
