"""The vendored chart library: Vega, Vega-Lite and vega-embed as one minified script.

The bundle is produced by vl-convert (a pinned dependency that embeds the same Vega-Lite the
static reports use), so the browser draws charts exactly as the reports do, from the package,
with no CDN. It is committed under `static/vendor/`; `python -m yearofcare.web.vendor`
rewrites it after vl-convert is upgraded (a test checks the recorded versions still match).
"""

from __future__ import annotations

import json
from pathlib import Path

VENDOR_DIR = Path(__file__).parent / "static" / "vendor"
BUNDLE = VENDOR_DIR / "vega-bundle.min.js"
VERSIONS = VENDOR_DIR / "versions.json"


def versions() -> dict[str, str]:
    """The Vega, Vega-Lite and vega-embed versions of the installed vl-convert."""
    import vl_convert as vlc

    return {
        "vl-convert-python": _dist_version("vl-convert-python"),
        "vega": vlc.get_vega_version(),
        "vega-lite": vlc.get_vegalite_versions()[-1],
        "vega-embed": vlc.get_vega_embed_version(),
    }


def _dist_version(name: str) -> str:
    from importlib.metadata import version

    return version(name)


def write_bundle() -> Path:
    """Regenerate the bundle and its versions file from the installed vl-convert."""
    import vl_convert as vlc

    VENDOR_DIR.mkdir(parents=True, exist_ok=True)
    info = versions()
    header = (
        f"/* vega {info['vega']}, vega-lite {info['vega-lite']}, vega-embed {info['vega-embed']} "
        f"(BSD-3-Clause, (c) University of Washington Interactive Data Lab); bundled by "
        f"vl-convert-python {info['vl-convert-python']} (yearofcare.web.vendor) */\n"
    )
    BUNDLE.write_text(header + vlc.javascript_bundle(), encoding="utf-8")
    VERSIONS.write_text(json.dumps(info, indent=2) + "\n", encoding="utf-8")
    return BUNDLE


if __name__ == "__main__":
    print(write_bundle())
