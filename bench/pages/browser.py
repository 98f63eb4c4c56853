"""The app in a browser: ``python -m dashboard`` started as operators do, its warm-up watched, every page drawn in
headless Chromium (by address, again, narrowed, from the sidebar)."""

from __future__ import annotations

import os
import re
import socket
import subprocess
import sys
import threading
import time
import urllib.request
from pathlib import Path

from bench.pages.common import ROOT

# ----------------------------------------------------------------------------- app and browser

WAIT_JS = """
async ([stableMs, timeoutMs]) => {
  // Drawn means: the script finished, no spinner or placeholder shows, every plotly chart has drawn its
  // SVG, and every map (streamlit-folium's frame, same origin) shows a sized Leaflet container with its
  // areas or points drawn.
  const mapPending = () => {
    for (const frame of document.querySelectorAll('iframe')) {
      let doc = null;
      try { doc = frame.contentDocument; } catch (e) { continue; }
      if (!doc || !String(frame.title || frame.src || '').includes('folium')) continue;
      const box = doc.querySelector('.leaflet-container');
      if (!box || box.offsetWidth === 0 || box.offsetHeight === 0) return true;
      if (!doc.querySelector('.leaflet-overlay-pane path, .leaflet-marker-pane *')) return true;
    }
    return false;
  };
  const busy = () => {
    const app = document.querySelector('[data-testid="stApp"]');
    if (!app || app.getAttribute('data-test-script-state') !== 'notRunning') return true;
    if (document.querySelector('[data-testid="stSpinner"], [data-testid="stSkeleton"], '
      + '[data-testid="stStatusWidgetRunningIcon"], [data-testid="stStatusWidgetRunningManIcon"]')) return true;
    for (const chart of document.querySelectorAll('[data-testid="stPlotlyChart"]')) {
      if (!chart.querySelector('.main-svg')) return true;
    }
    return mapPending();
  };
  let since = null;
  while (performance.now() < timeoutMs) {
    const now = performance.now();
    if (busy()) since = null; else if (since === null) since = now;
    if (since !== null && now - since >= stableMs) return {ok: true, at: since};
    await new Promise(r => setTimeout(r, 20));
  }
  return {ok: false, at: performance.now()};
}
"""


def vm(pid: int, key: str) -> float:
    """A /proc/PID/status memory figure in MB (VmHWM: peak RSS; VmRSS: current)."""
    text = Path(f"/proc/{pid}/status").read_text()
    return int(text.split(f"{key}:")[1].split()[0]) / 1024


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


WARMUP_LINE = re.compile(r"Warm-up done: (\d+) queries cached in ([\d.]+) s")


class WarmupWatch(threading.Thread):
    """Watches the server's console log from its start for the warm-up line (``dashboard/warmup.py``).

    A thread, so that the moment the line appears is known even while the browser is busy with a page.
    """

    def __init__(self, log_path: Path, started: float) -> None:
        super().__init__(daemon=True)
        self.log_path, self.started = log_path, started
        self.found: re.Match | None = None
        self.at: float | None = None  # seconds after the server's start
        self.done = threading.Event()
        self.stop = threading.Event()

    def run(self) -> None:
        while not self.stop.is_set():
            found = WARMUP_LINE.search(self.log_path.read_text(errors="replace"))
            if found:
                self.found, self.at = found, time.monotonic() - self.started
                self.done.set()
                return
            time.sleep(0.05)


BENCH_USER = "bench-admin"
BENCH_PASSWORD = "bench password, never used for real data"
# Cheap password hashing for the bench's own throwaway user: sign-in is not what is measured.
BENCH_ARGON2 = {"ACCESS_ARGON2_TIME_COST": "1", "ACCESS_ARGON2_MEMORY_KIB": "8192", "ACCESS_ARGON2_PARALLELISM": "1"}


def bench_user(db: str) -> None:
    """A user who sees everything (admin with every region) in the users file beside the bench database."""
    from etl.accounts.users import UserStore, users_path
    from etl.config import Settings

    settings = Settings(db=Path(db), argon2_time_cost=1, argon2_memory_kib=8192, argon2_parallelism=1)
    store = UserStore(users_path(settings), settings)
    if not store.exists() or store.get(BENCH_USER) is None:
        store.add_user(BENCH_USER, BENCH_PASSWORD, "admin", store.known_regions())


def start_app(db: str, log_path: Path) -> tuple[subprocess.Popen, str, WarmupWatch]:
    """Start the real app as operators do (``python -m dashboard``); return it, its address, its warm-up watch."""
    port = free_port()
    bench_user(db)
    env = {**{k: v for k, v in os.environ.items() if not k.startswith("ACCESS_")}, "ACCESS_DB": db, **BENCH_ARGON2}
    log = open(log_path, "w")  # noqa: SIM115 - closed by the caller's server.wait()
    started = time.monotonic()
    server = subprocess.Popen([sys.executable, "-m", "dashboard",
                               "--server.headless", "true", "--server.port", str(port),
                               "--server.address", "127.0.0.1", "--browser.gatherUsageStats", "false"],
                              cwd=ROOT, env=env, stdout=log, stderr=subprocess.STDOUT)
    log.close()  # the child holds its own copy of the descriptor
    watch = WarmupWatch(log_path, started)
    watch.start()
    base = f"http://127.0.0.1:{port}"
    deadline = started + 120
    while time.monotonic() < deadline and server.poll() is None:
        try:
            if urllib.request.urlopen(f"{base}/_stcore/health", timeout=1).read() == b"ok":
                return server, base, watch
        except OSError:
            time.sleep(0.1)
    watch.stop.set()
    server.kill()
    server.wait()
    raise SystemExit(f"the app did not answer /_stcore/health within 120 s; see {log_path}")


# Seconds a person takes to type a username and password on the sign-in form. The app uses them to load
# the chart code (dashboard/ui/frontend.py); they are not counted in any figure.
TYPING_S = 3.0


def _drawn(page, timeout_s: float) -> dict:  # type: ignore[no-untyped-def]
    state = page.evaluate(WAIT_JS, [500, timeout_s * 1000])
    errors = page.locator('[data-testid="stException"]')
    n_err = errors.count()
    return {"at": state["at"], "ok": state["ok"], "errors": n_err,
            "error": errors.first.inner_text()[:300] if n_err else None}


def draw(page, url: str, timeout_s: float) -> dict:  # type: ignore[no-untyped-def]
    """Open ``url`` and wait until the page is fully drawn (WAIT_JS); sign in first if the form shows.

    A browser that signed in before is remembered (dashboard/session/remember.py), so a visit by address draws
    the page straight away: ``s`` is from navigation to drawn. In a browser that never signed in the
    sign-in form is drawn first (``form_s``, from navigation), then the bench waits TYPING_S as a person
    typing would, signs in, and times the page from the click (``after_sign_in_s``); ``s`` is their sum.
    """
    page.goto(url, wait_until="commit")
    x = _drawn(page, timeout_s)
    if not page.get_by_role("textbox", name="Password").count():
        return {**x, "s": x["at"] / 1000, "signed_in": False}
    form_s = x["at"] / 1000
    page.wait_for_timeout(TYPING_S * 1000)
    page.get_by_label("Username").fill(BENCH_USER)
    page.get_by_role("textbox", name="Password").fill(BENCH_PASSWORD)
    clicked = page.evaluate("performance.now()")
    page.get_by_role("button", name="Sign in").click()
    x = _drawn(page, timeout_s)
    after = (x["at"] - clicked) / 1000
    return {**x, "s": form_s + after, "form_s": form_s, "after_sign_in_s": after, "signed_in": True}


def navigate(page, name: str, timeout_s: float) -> dict:  # type: ignore[no-untyped-def]
    """Open a page from the sidebar, inside the app (the same Streamlit session: no new page load)."""
    start = page.evaluate("performance.now()")
    from dashboard import registry

    title = registry.page(name).title  # as the sidebar shows it
    page.locator('[data-testid="stSidebarNav"]').get_by_role("link", name=title, exact=True).click()
    x = _drawn(page, timeout_s)
    return {**x, "s": (x["at"] - start) / 1000, "signed_in": False}


def measure_app(db: str, info: dict, work: Path, rows: int, timeout_s: float, warmup_timeout_s: float,
                visit_during_warmup: bool) -> dict:
    """Start the app warmed up (``python -m dashboard``), open every page in headless Chromium three times.

    Returns draw times, the server's memory, and the warm-up: seconds until the server answered, until
    it printed "Warm-up done", and (optionally) one visit to the landing page made before that, which
    is what somebody arriving right after a restart gets. The browser is started before the app so
    that this visit can begin as soon as the server answers.
    """
    from urllib.parse import urlencode

    from playwright.sync_api import sync_playwright

    from dashboard import registry

    pages = registry.DATABASE_PAGES  # the pages whose queries the bench times
    log_path = work / f"streamlit_{rows}.log"
    result: dict = {"pages": {}, "missing": [p.key for p in pages if not (registry.APP_PAGES / p.file).exists()],
                    "launcher": "python -m dashboard"}
    shots = work / "screens"
    shots.mkdir(exist_ok=True)
    with sync_playwright() as p:
        browser = p.chromium.launch(executable_path="/usr/bin/chromium",
                                    args=["--no-sandbox", "--disable-gpu", "--disable-background-networking"])
        result["chromium"] = browser.version
        server, base, watch = start_app(db, log_path)
        try:
            result["up_s"] = time.monotonic() - watch.started
            result["rss_up"] = vm(server.pid, "VmRSS")
            print(f"  app: answering after {result['up_s']:.1f} s", flush=True)
            if visit_during_warmup:
                # Its own browser context (own HTTP cache), so the first visits below still start from empty.
                early = browser.new_context(viewport={"width": 1440, "height": 1000})
                began_during = not watch.done.is_set()
                x = draw(early.new_page(), base + "/", timeout_s)
                x["began_during_warmup"] = began_during
                x["ended_during_warmup"] = not watch.done.is_set()
                x["hwm"] = vm(server.pid, "VmHWM")
                result["during_warmup"] = x
                early.close()
                print(f"  browser trends        during warm-up drawn in {x['s']:6.2f} s"
                      + (f" (sign-in form {x['form_s']:.2f} s, the page {x['after_sign_in_s']:.2f} s after the click)"
                         if x.get("signed_in") else "")
                      + ("" if began_during else "  (warm-up had already finished: not a during-warm-up figure)")
                      + ("  (warm-up finished while the page was drawn)" if began_during and
                         not x["ended_during_warmup"] else ""), flush=True)
            watch.done.wait(max(0.0, watch.started + warmup_timeout_s - time.monotonic()))
            watch.stop.set()
            found = watch.found
            result["warmup_wall_s"] = watch.at
            result["warmup_queries"] = int(found.group(1)) if found else None
            result["warmup_reported_s"] = float(found.group(2)) if found else None
            result["warmup_timeout_s"] = warmup_timeout_s
            result["rss_idle"] = vm(server.pid, "VmRSS")
            print("  app: " + (f"warm-up done: {found.group(1)} queries in {found.group(2)} s (as the app reports)"
                               f", {result['warmup_wall_s']:.1f} s after its start" if found else
                               f"no 'Warm-up done' line within {warmup_timeout_s:.0f} s of start: measuring anyway"),
                  flush=True)
            page = browser.new_context(viewport={"width": 1440, "height": 1000}).new_page()
            # By address: the first visit (trends: the browser has never opened the app, so it signs in),
            # the same address again, narrowed to a region; then every page again from the sidebar.
            visits = (("first visit", {}), ("again", {}), ("region", {"region": info["region"]}))
            # The lookup page last: a page that does not finish keeps the server busy after the browser leaves.
            order = [p.key for p in pages if not p.needs_id] + [p.key for p in pages if p.needs_id]
            plan = [(visit, extra, name) for visit, extra in visits for name in order]
            plan += [("in the app", {}, name) for name in [*order[1:], order[0]]]
            stuck: set[str] = set()
            for visit, extra, name in plan:
                r = result["pages"].setdefault(name, {})
                if name in stuck:
                    continue
                if visit == "in the app":
                    x = navigate(page, name, timeout_s)
                else:
                    params = {**extra, **({"id": info["counterpart"]} if registry.page(name).needs_id else {})}
                    x = draw(page, base + registry.page(name).url + (f"?{urlencode(params)}" if params else ""),
                             timeout_s)
                if visit == "first visit":
                    page.screenshot(path=str(shots / f"{rows}_{name}.png"))
                x["hwm"] = vm(server.pid, "VmHWM")
                r[visit] = x
                if not x["ok"]:
                    stuck.add(name)
                flag = "" if x["ok"] else f"  (still running after {timeout_s:.0f} s: not visited again)"
                err = f"  {x['errors']} exception(s): {x['error'].splitlines()[0] if x['error'] else ''}" \
                    if x["errors"] else ""
                how = (f"  (sign-in form drawn in {x['form_s']:.2f} s, the page {x['after_sign_in_s']:.2f} s after "
                       "the click)" if x.get("signed_in") else "")
                print(f"  browser {name:<13} {visit:<12} drawn in {x['s']:6.2f} s   server peak "
                      f"{x['hwm']:,.0f} MB{flag}{err}{how}", flush=True)
            result["rss_end"] = vm(server.pid, "VmRSS")
            result["peak"] = vm(server.pid, "VmHWM")
        finally:
            watch.stop.set()
            server.terminate()
            try:
                server.wait(timeout=20)
            except subprocess.TimeoutExpired:
                server.kill()
                server.wait()
            browser.close()
    return result
