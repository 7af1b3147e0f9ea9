#!/usr/bin/env python3
"""What a search downloads, measured in headless Chromium (docs/search.md).

Serves a built site from 127.0.0.1 the way a static host does (HTML, CSS, JS, JSON
and wasm gzip-compressed on the fly; other files as they are), opens the search
page with a first query, then types further queries, and prints the bytes each
step transferred, as counted by the server. With --pagefind DIR (a Pagefind
index of the same site, e.g. `python -m pagefind --site SITE --output-path DIR`),
runs the same queries through Pagefind's own JavaScript API for comparison,
loading the same number of results.

Needs Debian's chromium and chromium-driver.

Usage: bench/search_browser.py SITE [--pagefind DIR] [--results 20] [--query Q ...]
"""

import argparse
import gzip
import http.server
import json
import os
import socket
import subprocess
import sys
import tempfile
import threading
import time
import urllib.request
from pathlib import Path

QUERIES = ["connection pool", "certificate expired", "kafka consumer lag", "dns", "memory leak crashed servers"]
COMPRESSED = {".html", ".css", ".js", ".json", ".svg", ".wasm", ".xml"}
TYPES = {".html": "text/html; charset=utf-8", ".css": "text/css", ".js": "text/javascript",
         ".json": "application/json", ".wasm": "application/wasm", ".svg": "image/svg+xml"}

PAGEFIND_PAGE = """<!DOCTYPE html><meta charset="utf-8"><title>pagefind</title>
<script type="module">
const pagefind = await import("/pagefind/pagefind.js");
await pagefind.init();
window.runQuery = async (q, n) => {
  const search = await pagefind.search(q);
  const data = await Promise.all(search.results.slice(0, n).map(r => r.data()));
  window.last = {count: search.results.length, titles: data.map(d => d.meta.title),
                 urls: data.map(d => d.url)};
};
window.ready = true;
</script>"""


def free_port():
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


class Log:
    def __init__(self):
        self.lock = threading.Lock()
        self.entries = []

    def add(self, path, size):
        with self.lock:
            self.entries.append((path, size))

    def mark(self):
        with self.lock:
            return len(self.entries)

    def since(self, mark):
        with self.lock:
            return self.entries[mark:]


def serve(site, pagefind, log):
    class Handler(http.server.BaseHTTPRequestHandler):
        def log_message(self, *args):
            pass

        def do_GET(self):
            path = self.path.split("?")[0].split("#")[0]
            if path == "/__pagefind.html":
                body, ext = PAGEFIND_PAGE.encode(), ".html"
            else:
                base = site
                rel = path.lstrip("/")
                if pagefind and rel.startswith("pagefind/"):
                    base, rel = pagefind, rel[len("pagefind/"):]
                file = (base / rel) if rel else base
                if file.is_dir():
                    file = file / "index.html"
                if ".." in Path(rel).parts or not file.is_file():
                    self.send_response(404)
                    self.send_header("Content-Length", "0")
                    self.end_headers()
                    return
                body, ext = file.read_bytes(), file.suffix
            self.send_response(200)
            self.send_header("Content-Type", TYPES.get(ext, "application/octet-stream"))
            if ext in COMPRESSED:
                body = gzip.compress(body, 6)
                self.send_header("Content-Encoding", "gzip")
            self.send_header("Content-Length", str(len(body)))
            self.end_headers()
            self.wfile.write(body)
            log.add(path, len(body))

    server = http.server.ThreadingHTTPServer(("127.0.0.1", free_port()), Handler)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    return server


class Browser:
    def __init__(self):
        self.port = free_port()
        self.driver = subprocess.Popen(["chromedriver", f"--port={self.port}"],
                                       stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        self.base = f"http://127.0.0.1:{self.port}"
        for _ in range(200):
            try:
                urllib.request.urlopen(self.base + "/status")
                break
            except OSError:
                time.sleep(0.05)
        self.profile = tempfile.TemporaryDirectory()
        args = ["--headless", "--no-sandbox", "--disable-gpu", "--disable-dev-shm-usage",
                "--no-first-run", "--disable-background-networking", "--disable-component-update",
                "--disable-sync", f"--user-data-dir={self.profile.name}"]
        caps = {"capabilities": {"alwaysMatch": {"browserName": "chrome", "goog:chromeOptions": {
            "binary": "/usr/bin/chromium", "args": args}}}}
        self.session = self.call("POST", "/session", caps)["sessionId"]

    def call(self, method, path, body=None):
        data = json.dumps(body).encode() if body is not None else None
        request = urllib.request.Request(self.base + path, data=data, method=method,
                                         headers={"Content-Type": "application/json"})
        with urllib.request.urlopen(request) as response:
            return json.load(response)["value"]

    def s(self, method, path, body=None):
        return self.call(method, f"/session/{self.session}{path}", body)

    def script(self, text, *args):
        return self.s("POST", "/execute/async", {"script": text, "args": list(args)})

    def wait(self, text, timeout=60):
        deadline = time.time() + timeout
        while time.time() < deadline:
            value = self.s("POST", "/execute/sync", {"script": text, "args": []})
            if value:
                return value
            time.sleep(0.02)
        raise RuntimeError(f"timed out: {text}")

    def close(self):
        try:
            self.call("DELETE", f"/session/{self.session}")
        finally:
            self.driver.kill()
            self.driver.wait()


def summarize(entries):
    return sum(size for _, size in entries), len(entries)


def casebook_run(browser, log, port, results):
    rows = []
    for i, query in enumerate(QUERIES):
        mark = log.mark()
        start = time.perf_counter()
        if i == 0:
            url = f"http://127.0.0.1:{port}/search/?q={urllib.request.quote(query)}"
            browser.s("POST", "/url", {"url": url})
        else:
            browser.s("POST", "/execute/sync", {"script": (
                "var i = document.querySelector('#search-input'); i.value = arguments[0];"
                "i.dispatchEvent(new Event('input'));"), "args": [query]})
        status = browser.wait(
            "var s = document.querySelector('[data-status]');"
            f"return s && s.textContent.indexOf({json.dumps('“' + query + '”')}) >= 0 &&"
            f" document.querySelectorAll('.search-result').length >= Math.min({results}, 1) ? s.textContent : '';")
        elapsed = time.perf_counter() - start
        time.sleep(0.3)  # let the result list's last fetches land
        size, count = summarize(log.since(mark))
        rows.append((query, status.split(" ")[0], size, count, elapsed))
    return rows


def pagefind_run(browser, log, port, results):
    rows = []
    mark = log.mark()
    start = time.perf_counter()
    browser.s("POST", "/url", {"url": f"http://127.0.0.1:{port}/__pagefind.html"})
    browser.wait("return window.ready === true;")
    for i, query in enumerate(QUERIES):
        if i > 0:
            mark = log.mark()
            start = time.perf_counter()
        browser.script("var done = arguments[arguments.length - 1];"
                       "window.runQuery(arguments[0], arguments[1]).then(() => done(true));", query, results)
        elapsed = time.perf_counter() - start
        count = browser.wait("return window.last && window.last.count;")
        time.sleep(0.3)
        size, files = summarize(log.since(mark))
        rows.append((query, str(count), size, files, elapsed))
    return rows


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("site", type=Path)
    parser.add_argument("--pagefind", type=Path)
    parser.add_argument("--results", type=int, default=20)
    parser.add_argument("--query", action="append",
                        help="a query to run (repeatable; the first opens the page); default: "
                        + ", ".join(QUERIES))
    args = parser.parse_args()
    if args.query:
        QUERIES[:] = args.query
    log = Log()
    server = serve(args.site.resolve(), args.pagefind.resolve() if args.pagefind else None, log)
    port = server.server_address[1]
    browser = Browser()
    try:
        print("| engine | query | results | KB transferred | files | s |")
        print("|---|---|--:|--:|--:|--:|")
        for row in casebook_run(browser, log, port, args.results):
            print(f"| casebook | {row[0]} | {row[1]} | {row[2] / 1024:.1f} | {row[3]} | {row[4]:.2f} |")
        if args.pagefind:
            for row in pagefind_run(browser, log, port, args.results):
                print(f"| Pagefind | {row[0]} | {row[1]} | {row[2] / 1024:.1f} | {row[3]} | {row[4]:.2f} |")
    finally:
        browser.close()
        server.shutdown()


if __name__ == "__main__":
    sys.exit(main())
