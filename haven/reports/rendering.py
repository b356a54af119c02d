"""Render offline: HTML documents to PDF with WeasyPrint, SVG charts to PNG (WeasyPrint, then pdftoppm).

Nothing is fetched from outside: the only URLs a document may use are ``data:`` URLs (stylesheets are passed
in, charts are inline SVG), and the fetcher refuses every other one. Fonts come from the system through
fontconfig (Debian's fonts-nanum and fonts-wqy-microhei cover Hangul and Han).

PNG: Pillow cannot read SVG, and no SVG rasteriser is installed; WeasyPrint (already needed for the PDF
reports) draws the SVG into a one-page PDF of exactly the chart's size, and ``pdftoppm`` (Debian package
``poppler-utils``) rasterises that page. Both are deterministic and work offline.
"""

from __future__ import annotations

import base64
import re
import shutil
import subprocess
import tempfile
from pathlib import Path

from weasyprint import CSS, HTML
from weasyprint.urls import FatalURLFetchingError, URLFetcher

STATIC = Path(__file__).resolve().parent / "static" / "reports"
PDFTOPPM = "pdftoppm"


class RenderError(RuntimeError):
    """A document or image could not be rendered (the message says why)."""


class OfflineFetcher(URLFetcher):
    """Serve ``data:`` URLs only; refuse (and remember) anything else, so a document can never call out."""

    def __init__(self) -> None:
        super().__init__(allowed_protocols={"data"})
        self.refused: list[str] = []

    def fetch(self, url, headers=None):  # type: ignore[no-untyped-def]
        if not url.startswith("data:"):
            self.refused.append(url)
            raise FatalURLFetchingError(f"offline rendering refuses {url[:80]!r}")
        return super().fetch(url, headers)


def report_css() -> str:
    return (STATIC / "report.css").read_text(encoding="utf-8")


def html_to_pdf(html: str, *, stylesheets: list[str] | None = None) -> bytes:
    """Return ``html`` rendered as PDF (its own ``<style>`` applies; further stylesheets may be given as CSS)."""
    fetcher = OfflineFetcher()
    try:
        document = HTML(string=html, base_url="data:,", url_fetcher=fetcher)
        sheets = [CSS(string=s, url_fetcher=fetcher) for s in stylesheets or []]
        pdf = document.write_pdf(stylesheets=sheets)
    except FatalURLFetchingError as exc:
        raise RenderError(str(exc)) from None
    if pdf is None:  # pragma: no cover - write_pdf without a target returns bytes
        raise RenderError("WeasyPrint returned no PDF")
    return pdf


_SIZE = re.compile(r'<svg[^>]*?\swidth="([\d.]+)"[^>]*?\sheight="([\d.]+)"', re.S)


def svg_size(svg: str) -> tuple[float, float]:
    match = _SIZE.search(svg)
    if not match:
        raise RenderError("the SVG has no width and height")
    return float(match.group(1)), float(match.group(2))


def svg_to_pdf(svg: str) -> bytes:
    """Return a one-page PDF exactly the size of the SVG, with the SVG drawn on it."""
    width, height = svg_size(svg)
    data = base64.b64encode(svg.encode("utf-8")).decode("ascii")
    page = (
        f"@page {{ size: {width}px {height}px; margin: 0 }} html, body {{ margin: 0; padding: 0 }} "
        "img { display: block }"
    )
    html = f'<!doctype html><html><body><img src="data:image/svg+xml;base64,{data}" alt=""></body></html>'
    fetcher = OfflineFetcher()
    try:
        pdf = HTML(string=html, base_url="data:,", url_fetcher=fetcher).write_pdf(
            stylesheets=[CSS(string=page)]
        )
    except FatalURLFetchingError as exc:
        raise RenderError(str(exc)) from None
    if pdf is None:  # pragma: no cover - write_pdf without a target returns bytes
        raise RenderError("WeasyPrint returned no PDF")
    return pdf


def pdf_to_png(pdf: bytes, *, dpi: int = 192, page: int = 1) -> bytes:
    """Return one page of a PDF as PNG, rasterised by pdftoppm at ``dpi`` (96 dpi = the SVG's pixel size)."""
    tool = shutil.which(PDFTOPPM)
    if tool is None:
        raise RenderError("pdftoppm is not installed (Debian package poppler-utils)")
    with tempfile.TemporaryDirectory(prefix="haven-png-") as tmp:
        source = Path(tmp) / "in.pdf"
        source.write_bytes(pdf)
        target = Path(tmp) / "out"
        result = subprocess.run(  # noqa: S603 (fixed tool, arguments we built)
            [
                tool,
                "-png",
                "-r",
                str(dpi),
                "-f",
                str(page),
                "-l",
                str(page),
                "-singlefile",
                str(source),
                str(target),
            ],
            capture_output=True,
            timeout=60,
            check=False,
        )
        png = target.with_suffix(".png")
        if result.returncode != 0 or not png.exists():
            raise RenderError(f"pdftoppm failed: {result.stderr.decode(errors='replace')[:200]}")
        return png.read_bytes()


def svg_to_png(svg: str, *, scale: float = 2.0) -> bytes:
    """Return the SVG as a PNG image, ``scale`` times its pixel size (2 = sharp on high-density screens)."""
    return pdf_to_png(svg_to_pdf(svg), dpi=round(96 * scale))


def pdf_pages_to_png(pdf: bytes, directory: Path, stem: str, *, dpi: int = 80) -> list[Path]:
    """Write every page of ``pdf`` as ``<stem>-<n>.png`` in ``directory``; return the paths (for checking)."""
    tool = shutil.which(PDFTOPPM)
    if tool is None:
        raise RenderError("pdftoppm is not installed (Debian package poppler-utils)")
    directory.mkdir(parents=True, exist_ok=True)
    with tempfile.TemporaryDirectory(prefix="haven-pages-") as tmp:
        source = Path(tmp) / "in.pdf"
        source.write_bytes(pdf)
        subprocess.run(  # noqa: S603
            [tool, "-png", "-r", str(dpi), str(source), str(directory / stem)],
            capture_output=True,
            timeout=120,
            check=True,
        )
    return sorted(directory.glob(f"{stem}-*.png"))
