#!/usr/bin/env python3
"""Check a benchalign HTML report in a real headless browser and take a screenshot.

    python scripts/check_report.py REPORT.html SCREENSHOT.png [--chromium PATH]

Checks, failing with exit code 1 and a list of problems:

* static: one self-contained file: no external src/href (http, https, //, file), no script,
  every image an embedded data URI, every report section present;
* in Chromium (headless, fresh profile, no network): the page loads, the browser logs no
  console error, no failed resource load, every image decodes (a probe script is added to a
  temporary copy of the page, never to the report itself), and the dumped DOM still has every
  section;
* the screenshot exists and is not blank.

Exit code 0 prints "ok" with the counts. Exit code 2: Chromium not found.
"""

from __future__ import annotations

import argparse
import re
import shutil
import subprocess
import sys
import tempfile
from pathlib import Path

SECTIONS = ("evaluation", "heldout", "weights", "learning", "pruning")
PROBE = """<script>
window.addEventListener("load", function () {
  var imgs = Array.prototype.slice.call(document.images);
  var broken = imgs.filter(function (i) { return !(i.complete && i.naturalWidth > 0); }).length;
  document.documentElement.setAttribute("data-check", "images=" + imgs.length + ";broken=" + broken);
});
</script>"""
FLAGS = ("--headless", "--no-sandbox", "--disable-gpu", "--disable-background-networking",
         "--disable-component-update", "--disable-sync", "--no-first-run",
         "--hide-scrollbars", "--allow-file-access-from-files")
LOG_ERRORS = re.compile(r"CONSOLE.*(error|Uncaught)|net::ERR_|Failed to load|Refused to",
                        re.IGNORECASE)


def find_chromium(explicit: str | None) -> str | None:
    if explicit:
        return explicit
    for name in ("chromium", "chromium-browser", "google-chrome"):
        found = shutil.which(name)
        if found:
            return found
    return "/usr/bin/chromium" if Path("/usr/bin/chromium").exists() else None


def static_problems(page: str) -> list[str]:
    problems = []
    external = re.findall(r"""(?:src|href)\s*=\s*["']?\s*((?:https?:|file:|//)[^"'\s>]*)""", page,
                          re.IGNORECASE)
    if external:
        problems.append(f"external references: {external[:5]}")
    if re.search(r"<script", page, re.IGNORECASE):
        problems.append("the report contains a script")
    images = re.findall(r"<img\s[^>]*src=\"([^\"]*)\"", page)
    if not images:
        problems.append("no images")
    bad = [src[:40] for src in images if not src.startswith("data:image/")]
    if bad:
        problems.append(f"images that are not embedded data URIs: {bad[:5]}")
    for key in SECTIONS:
        if f'data-section="{key}"' not in page:
            problems.append(f"section '{key}' is missing")
    return problems


def run_chromium(chromium: str, page: Path, profile: Path, extra: list[str],
                 timeout: float) -> subprocess.CompletedProcess:
    cmd = [chromium, *FLAGS, f"--user-data-dir={profile}", "--enable-logging=stderr", "--v=0",
           "--virtual-time-budget=10000", *extra, page.resolve().as_uri()]
    return subprocess.run(cmd, capture_output=True, text=True, timeout=timeout, check=False)


def browser_problems(chromium: str, report: Path, screenshot: Path, timeout: float) -> tuple[list[str], str]:
    problems = []
    with tempfile.TemporaryDirectory(prefix="benchalign-check-") as tmp:
        tmp = Path(tmp)
        probed = tmp / "probed.html"
        probed.write_text(report.read_text(encoding="utf-8").replace("</body>", PROBE + "</body>"),
                          encoding="utf-8")
        dump = run_chromium(chromium, probed, tmp / "profile-dom", ["--dump-dom"], timeout)
        shot = run_chromium(chromium, report, tmp / "profile-shot",
                            [f"--screenshot={screenshot.resolve()}", "--window-size=1280,2200"],
                            timeout)
    for what, proc in (("dump-dom", dump), ("screenshot", shot)):
        if proc.returncode != 0:
            problems.append(f"chromium {what} exited with {proc.returncode}: {proc.stderr[-400:]}")
        errors = [line for line in proc.stderr.splitlines() if LOG_ERRORS.search(line)]
        if errors:
            problems.append(f"chromium {what} logged errors: {errors[:5]}")
    match = re.search(r'data-check="images=(\d+);broken=(\d+)"', dump.stdout)
    if not match:
        problems.append("the page did not finish loading (no load-event probe in the DOM)")
    elif int(match.group(2)) or not int(match.group(1)):
        problems.append(f"{match.group(2)} of {match.group(1)} images failed to decode")
    for key in SECTIONS:
        if f'data-section="{key}"' not in dump.stdout:
            problems.append(f"section '{key}' is missing from the rendered DOM")
    return problems, match.group(0) if match else ""


def screenshot_problems(path: Path) -> list[str]:
    if not path.exists() or path.stat().st_size == 0:
        return [f"no screenshot written to {path}"]
    from PIL import Image  # pillow comes with matplotlib

    with Image.open(path) as img:
        lo, hi = img.convert("L").getextrema()
    return ["the screenshot is blank"] if hi - lo < 50 else []


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("report", type=Path)
    parser.add_argument("screenshot", type=Path)
    parser.add_argument("--chromium", default=None, help="Browser binary (default: chromium).")
    parser.add_argument("--timeout", type=float, default=120.0)
    args = parser.parse_args(argv)
    chromium = find_chromium(args.chromium)
    if chromium is None:
        print("chromium not found; install it (apt-get install -y chromium) or pass --chromium",
              file=sys.stderr)
        return 2
    if not args.report.is_file():
        print(f"{args.report}: no such report file", file=sys.stderr)
        return 1
    problems = static_problems(args.report.read_text(encoding="utf-8"))
    found, probe = browser_problems(chromium, args.report, args.screenshot, args.timeout)
    problems += found + screenshot_problems(args.screenshot)
    if problems:
        print("report check failed:\n  " + "\n  ".join(problems), file=sys.stderr)
        return 1
    print(f"ok: {args.report} loaded in {Path(chromium).name} ({probe}); screenshot {args.screenshot}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
