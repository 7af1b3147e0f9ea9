#!/usr/bin/env python3
"""Relevance of search: top-5 hit rate of casebook and of Pagefind on the same pages.

Reads a query set (TOML: [[query]] q = "...", expect = ["record id", ...]), opens
each query on the built site's search page in headless Chromium, and counts a hit
when one of the expected records is among the first five results. With --pagefind
DIR (an index of the same site's record pages, e.g.
`python3 -m pagefind --site SITE --output-path DIR --glob "incidents/*/index.html"`),
runs the same queries through Pagefind's JavaScript API and counts the same way.
Prints a table per query and the totals (docs/search.md has the figures).

Needs Debian's chromium and chromium-driver; the site must be built with its
records under incidents/<id>/ at the server's root (`--base-url http://127.0.0.1/`).

Usage: bench/relevance.py SITE --queries bench/relevance/real-postmortems.toml [--pagefind DIR]
"""

import argparse
import json
import re
import sys
import tomllib
import urllib.parse
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
from search_browser import Browser, serve, Log  # noqa: E402

TOP = 5
RECORD_ID = re.compile(r"/incidents/([^/]+)/")


def record_ids(urls):
    """The record ids of result URLs, in order (other pages are skipped)."""
    out = []
    for url in urls:
        found = RECORD_ID.search(urllib.parse.urlparse(url).path)
        if found:
            out.append(urllib.parse.unquote(found.group(1)).upper())
    return out


def casebook_top(browser, port, query):
    url = f"http://127.0.0.1:{port}/search/?q={urllib.parse.quote(query)}"
    browser.s("POST", "/url", {"url": url})
    return browser.wait(f"""
        var s = document.querySelector('[data-status]');
        if (!s || s.textContent.indexOf({json.dumps(query)}) < 0) return null;
        var links = Array.from(document.querySelectorAll('.search-result a.search-result-title'))
          .map(function (a) {{ return a.href; }});
        var total = parseInt(s.textContent.replace(/[^0-9].*$/, ''), 10);
        if (/^No (results|incidents)/.test(s.textContent)) return {{urls: [], status: s.textContent}};
        if (links.length < Math.min({TOP}, isNaN(total) ? 1 : total)) return null;
        return {{urls: links.slice(0, {TOP}), status: s.textContent}};""")


def pagefind_top(browser, port, query):
    browser.s("POST", "/url", {"url": f"http://127.0.0.1:{port}/__pagefind.html"})
    browser.wait("return window.ready === true;")
    browser.script("var done = arguments[arguments.length - 1];"
                   "window.runQuery(arguments[0], arguments[1]).then(() => done(true));", query, TOP)
    last = browser.wait("return window.last;")
    return {"urls": last["urls"], "status": f"{last['count']} results"}


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("site", type=Path)
    parser.add_argument("--queries", type=Path, required=True)
    parser.add_argument("--pagefind", type=Path)
    args = parser.parse_args()
    queries = tomllib.loads(args.queries.read_text())["query"]
    server = serve(args.site.resolve(), args.pagefind.resolve() if args.pagefind else None, Log())
    port = server.server_address[1]
    browser = Browser()
    engines = ["casebook"] + (["Pagefind"] if args.pagefind else [])
    hits = {e: 0 for e in engines}
    empty = {e: 0 for e in engines}
    try:
        print("| query | expected | " + " | ".join(engines) + " |")
        print("|---|---|" + "---|" * len(engines))
        for query in queries:
            expect = {e.upper() for e in query["expect"]}
            cells = []
            for engine in engines:
                if engine == "casebook":
                    got = casebook_top(browser, port, query["q"])
                else:
                    got = pagefind_top(browser, port, query["q"])
                ids = record_ids(got["urls"])
                rank = next((i + 1 for i, r in enumerate(ids) if r in expect), None)
                if rank:
                    hits[engine] += 1
                if not ids:
                    empty[engine] += 1
                cells.append(f"#{rank}" if rank else ("none" if not ids else "miss"))
            print(f"| {query['q']} | {len(expect)} | " + " | ".join(cells) + " |")
        print()
        for engine in engines:
            print(f"{engine}: {hits[engine]} of {len(queries)} queries with an expected record"
                  f" in the top {TOP}; {empty[engine]} with no results")
    finally:
        browser.close()
        server.shutdown()


if __name__ == "__main__":
    sys.exit(main())
