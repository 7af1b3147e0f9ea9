#!/usr/bin/env python3
"""casebook's benchmark: measures casebook against its peers on generated archives.

Generates archives of 1,000 / 10,000 / 50,000 records with shared/bench/gen_corpus.py
(cached between runs), then times `casebook check`, `casebook build` (cold: no previous
output; warm: rebuilding over an existing output) and `casebook serve`'s rebuild after
a body edit and after a title edit (from the write to the new generation) and its memory, reports the search index's size, and,
when Hugo is installed, builds the same Markdown with Hugo, alternating runs, and reports
casebook/Hugo as a ratio of medians. Writes a Markdown table and a JSON file.

With Chromium and chromedriver installed it also measures, in a real browser, the KB
the search page downloads for a first query and for the next ones.

Usage: bench/run.py [--sizes 1000,10000,50000] [--runs 5] [--smoke] [--no-browser] [--out DIR]
                    [--binary PATH] [--serve-only]
See docs/performance.md.
"""

import argparse
import gzip
import json
import os
import platform
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
import urllib.request
from pathlib import Path

REPO = Path(__file__).resolve().parent.parent
TODAY = "2026-10-31"  # gen_corpus.py's default --end-date: only deliberate items are overdue


def find_generator():
    env = os.environ.get("CASEBOOK_CORPUS_GEN")
    candidates = [Path(env)] if env else []
    candidates.append(REPO.parent / "shared" / "bench" / "gen_corpus.py")
    for candidate in candidates:
        if candidate.is_file():
            return candidate
    sys.exit("bench: cannot find gen_corpus.py; set CASEBOOK_CORPUS_GEN to its path")


def corpus(size, cache):
    """The archive of `size` records, generated once and kept in the cache folder."""
    out = cache / f"corpus-{size}"
    if not (out / "site.toml").is_file():
        print(f"bench: generating {size} records in {out}", file=sys.stderr)
        subprocess.run([sys.executable, str(find_generator()), str(out), "--incidents", str(size), "--force"],
                       check=True, stdout=subprocess.DEVNULL)
    return out


def git_corpus(size, commits, cache, repack=False):
    """The archive of `size` records with a git history of `commits` commits, and the
    same files without `.git` beside it (both generated once, kept in the cache).
    With `repack`, the history is repacked as `git gc --aggressive` or a server would
    pack it (newest trees whole, older ones as deltas of newer ones: the layout real
    clones have), instead of `git fast-import`'s (each tree a delta of its parent's)."""
    name = f"corpus-{size}-git{commits}" + ("-repacked" if repack else "")
    out = cache / name
    plain = cache / f"{name}-plain"
    if not (out / ".git").is_dir():
        print(f"bench: generating {size} records with {commits} commits in {out}", file=sys.stderr)
        subprocess.run([sys.executable, str(find_generator()), str(out), "--incidents", str(size),
                        "--git-commits", str(commits), "--force"], check=True, stdout=subprocess.DEVNULL)
        if repack:
            subprocess.run(["git", "-C", str(out), "repack", "-a", "-d", "-f", "-q"], check=True)
        shutil.rmtree(plain, ignore_errors=True)
    if not (plain / "site.toml").is_file():
        shutil.copytree(out, plain, ignore=shutil.ignore_patterns(".git"))
    return out, plain


def bench_history(size, commits_list, args, binary, cache):
    """What reading git history adds to a build: the same files with and without
    `.git`, built alternately; medians and their difference, per history length."""
    rows = []
    work = Path(tempfile.mkdtemp(prefix="casebook-bench-git-"))
    try:
        for commits in commits_list:
            repo, plain = git_corpus(size, commits, cache, args.git_repack)
            warm(repo)
            warm(plain)
            with_git, without = [], []
            for _ in range(args.runs):  # alternate so both see the same machine load
                for archive, samples in ((repo, with_git), (plain, without)):
                    out = work / "site"
                    shutil.rmtree(out, ignore_errors=True)
                    samples.append(run([binary, "--root", archive, "build", "--today", TODAY, "-q",
                                        "--output", out]))
            git_s, _ = median_of(with_git)
            plain_s, _ = median_of(without)
            rows.append({"records": size, "commits": commits, "build_git_s": git_s,
                         "build_plain_s": plain_s, "history_added_s": git_s - plain_s})
    finally:
        shutil.rmtree(work, ignore_errors=True)
    return rows


def warm(path):
    """Reads every file once so runs measure the program, not the disk."""
    for root, _, files in os.walk(path):
        for name in files:
            try:
                with open(os.path.join(root, name), "rb") as f:
                    while f.read(1 << 20):
                        pass
            except OSError:
                pass


def run(cmd, cwd=None):
    """Runs a command; returns (wall seconds, peak resident MiB). Its stderr goes to a
    temporary file, not a pipe: a build prints every warning, far more than a pipe
    holds, and a full pipe would stall the command until it is read."""
    with tempfile.TemporaryFile() as err:
        start = time.perf_counter()
        proc = subprocess.Popen(cmd, cwd=cwd, stdout=subprocess.DEVNULL, stderr=err)
        _, status, usage = os.wait4(proc.pid, 0)
        wall = time.perf_counter() - start
        err.seek(0)
        stderr = err.read().decode(errors="replace")
    code = os.waitstatus_to_exitcode(status)
    if code not in (0, 1):
        raise RuntimeError(f"{' '.join(map(str, cmd))} exited {code}:\n{stderr[-2000:]}")
    return wall, usage.ru_maxrss / 1024


def linked_copy(src, dest):
    """A copy of the archive that costs no disk: hard links where the file system
    allows them, copies elsewhere. Files edited later must be unlinked first."""
    def link_or_copy(a, b):
        try:
            os.link(a, b)
        except OSError:
            shutil.copy2(a, b)
    shutil.copytree(src, dest, copy_function=link_or_copy)


def serve_status(base, since, deadline):
    """Waits (long poll) until a rebuild after generation `since` has finished."""
    while True:
        if time.monotonic() > deadline:
            raise RuntimeError(f"casebook serve did not rebuild after generation {since}")
        with urllib.request.urlopen(f"{base}__casebook/reload?since={since}", timeout=60) as answer:
            status = json.load(answer)
        if status["generation"] > since and not status["building"]:
            return status


def memory_mib(pid):
    """The resident memory of a running process and its peak so far, in MiB (Linux)."""
    fields = {}
    with open(f"/proc/{pid}/status", encoding="utf-8") as status:
        for line in status:
            key, _, value = line.partition(":")
            if key in ("VmRSS", "VmHWM"):
                fields[key] = int(value.split()[0]) / 1024
    return fields.get("VmRSS", 0.0), fields.get("VmHWM", 0.0)


def retitled(text, i):
    """The record's bytes with its `title:` line replaced."""
    lines = text.split(b"\n")
    at = next(n for n, line in enumerate(lines) if line.startswith(b"title:"))
    lines[at] = f"title: Benchmark title {i + 1}".encode()
    return b"\n".join(lines)


def serve_rebuilds(binary, archive, runs, work):
    """`casebook serve` on a private copy of the archive: the first build's time,
    then, `runs` times each and alternating, the time from a save to the end of its
    rebuild (the status generation moving on) for a body edit (a sentence appended
    to one record) and a title edit (that record's `title:` line replaced), and the
    server's resident and peak memory at the end. The cached corpus is never
    touched."""
    root = work / "serve-archive"
    linked_copy(archive, root)
    incidents = root / "content" / "incidents"
    record = next(p for p in sorted(incidents.glob("*.md")) if not p.name.startswith(("_", ".")))
    text = record.read_bytes()
    record.unlink()  # break the hard link: the edits must not reach the cache
    record.write_bytes(text)
    with tempfile.TemporaryFile() as err:
        start = time.perf_counter()
        proc = subprocess.Popen([binary, "--root", root, "serve", "--port", "0", "--today", TODAY, "-q",
                                 "--color", "never"], stdout=subprocess.PIPE, stderr=err, text=True)
        try:
            line = proc.stdout.readline()
            if not line.startswith("serving http://"):
                err.seek(0)
                raise RuntimeError(f"casebook serve did not start: {line!r}\n{err.read().decode()[-2000:]}")
            base = line.split()[1]
            status = serve_status(base, 0, time.monotonic() + 3600)
            first = time.perf_counter() - start
            body, title = [], []

            def timed(edit):
                nonlocal status
                since = status["generation"]
                start = time.perf_counter()
                edit()
                status = serve_status(base, since, time.monotonic() + 3600)
                return time.perf_counter() - start

            for i in range(runs):
                def append(i=i):
                    with open(record, "a", encoding="utf-8") as f:
                        f.write(f"\nThe benchmark appended sentence {i + 1} to this record.\n")
                body.append(timed(append))
                title.append(timed(lambda i=i: record.write_bytes(retitled(record.read_bytes(), i))))
            rss, peak = memory_mib(proc.pid)
        finally:
            proc.terminate()
            proc.wait()
    return {"serve_first_build_s": first, "serve_rebuild_s": statistics.median(body),
            "serve_rebuild_runs_s": body, "serve_title_rebuild_s": statistics.median(title),
            "serve_title_rebuild_runs_s": title, "serve_rss_mib": rss, "serve_peak_mib": peak}


def tree_size(path):
    total, pages = 0, 0
    for root, _, files in os.walk(path):
        for name in files:
            total += os.path.getsize(os.path.join(root, name))
            pages += name.endswith(".html")
    return total, pages


def gzip_size(path):
    total = 0
    for root, _, files in os.walk(path):
        for name in files:
            with open(os.path.join(root, name), "rb") as f:
                total += len(gzip.compress(f.read(), 6))
    return total


def search_downloads(site):
    """KB the search page downloads for a first query and the most a further one
    takes, counted by bench/search_browser.py's server in headless Chromium."""
    script = REPO / "bench" / "search_browser.py"
    proc = subprocess.run([sys.executable, str(script), str(site), "--results", "10"],
                          capture_output=True, text=True, check=True)
    rows = [line.split("|") for line in proc.stdout.splitlines() if line.startswith("| casebook |")]
    kb = [float(row[4]) for row in rows]
    if not kb:
        raise RuntimeError(f"search_browser.py printed no casebook rows:\n{proc.stdout}\n{proc.stderr}")
    return {"search_first_query_kb": kb[0], "search_next_query_kb": max(kb[1:], default=0.0)}


def median_of(samples):
    return statistics.median(s[0] for s in samples), max(s[1] for s in samples)


def hugo_site(archive, dest):
    """The same Markdown as a Hugo site: one page per record plus taxonomy pages."""
    if dest.exists():
        return dest
    content = dest / "content" / "incidents"
    content.mkdir(parents=True)
    src = archive / "content" / "incidents"
    for entry in sorted(src.iterdir()):
        if entry.name.startswith(("_", ".")):
            continue
        if entry.is_dir():
            shutil.copytree(entry, content / entry.name)
        elif entry.suffix == ".md":
            shutil.copy(entry, content / entry.name)
    layouts = dest / "layouts" / "_default"
    layouts.mkdir(parents=True)
    (layouts / "baseof.html").write_text(
        "<!doctype html><html><head><title>{{ .Title }}</title></head><body>{{ block \"main\" . }}{{ end }}</body></html>\n")
    (layouts / "single.html").write_text(
        "{{ define \"main\" }}<h1>{{ .Title }}</h1><p>{{ .Date.Format \"2006-01-02\" }} {{ .Params.severity }}</p>"
        "{{ range .Params.services }}<a href=\"/services/{{ . | urlize }}/\">{{ . }}</a>{{ end }}"
        "{{ .TableOfContents }}{{ .Content }}{{ end }}\n")
    (layouts / "list.html").write_text(
        "{{ define \"main\" }}<h1>{{ .Title }}</h1><ul>{{ range .Paginator.Pages }}"
        "<li><a href=\"{{ .RelPermalink }}\">{{ .Title }}</a></li>{{ end }}</ul>{{ end }}\n")
    (dest / "config.toml").write_text(
        'baseURL = "https://incidents.example.com/"\ntitle = "bench"\ndisableKinds = ["RSS"]\n'
        "paginate = 100\n[taxonomies]\ntag = \"tags\"\nservice = \"services\"\nseverity = \"severity\"\n"
        "[markup.highlight]\nnoClasses = false\n[markup.goldmark.renderer]\nunsafe = false\n")
    return dest


def bench_size(size, args, binary, cache, hugo):
    archive = corpus(size, cache)
    warm(archive)
    result = {"records": size}
    work = Path(tempfile.mkdtemp(prefix="casebook-bench-"))
    try:
        if args.serve_only:
            result.update(serve_rebuilds(binary, archive, max(args.runs, 3), work))
            return result
        check = [run([binary, "--root", archive, "check", "--today", TODAY, "-q", "--format", "json"])
                 for _ in range(args.runs)]
        result["check_s"], result["check_mib"] = median_of(check)

        out = work / "site"
        build_cmd = [binary, "--root", archive, "build", "--today", TODAY, "-q", "--output", out]
        cold = []
        for _ in range(args.runs):
            shutil.rmtree(out, ignore_errors=True)
            cold.append(run(build_cmd))
        result["build_cold_s"], result["build_cold_mib"] = median_of(cold)
        warm_runs = [run(build_cmd) for _ in range(args.runs)]
        result["build_warm_s"], result["build_warm_mib"] = median_of(warm_runs)
        result["output_bytes"], result["pages"] = tree_size(out)
        result.update(serve_rebuilds(binary, archive, max(args.runs, 3), work))
        search = out / "search"
        if search.is_dir():
            result["search_index_bytes"], _ = tree_size(search)
            result["search_index_gzip_bytes"] = gzip_size(search)
            if args.browser:
                result.update(search_downloads(out))

        if hugo and size <= args.hugo_max:
            site = hugo_site(archive, cache / f"hugo-{size}")
            warm(site)
            hugo_out = work / "hugo"
            hugo_cmd = [hugo, "--quiet", "-s", site, "-d", hugo_out]
            ours, theirs = [], []
            for _ in range(args.runs):  # alternate so both see the same machine load
                shutil.rmtree(out, ignore_errors=True)
                ours.append(run(build_cmd))
                shutil.rmtree(hugo_out, ignore_errors=True)
                theirs.append(run(hugo_cmd))
            ours_s, _ = median_of(ours)
            result["hugo_s"], result["hugo_mib"] = median_of(theirs)
            result["hugo_pages"] = tree_size(hugo_out)[1]
            result["hugo_over_casebook"] = result["hugo_s"] / ours_s
    finally:
        shutil.rmtree(work, ignore_errors=True)
    return result


def markdown(results, machine):
    history = [h for r in results if "history" in r for h in r["history"]]
    results = [r for r in results if "history" not in r]
    lines = [f"Machine: {machine}", "",
             "| records | check s | check MiB | build cold s | build warm s | build MiB | output MB | pages "
             "| search index MB (gzip) | first / next query KB | serve first build s | serve rebuild after edit s "
             "| serve rebuild after title edit s | serve MiB (peak) | Hugo s | Hugo MiB | Hugo / casebook |",
             "|--:|--:|--:|--:|--:|--:|--:|--:|--:|--:|--:|--:|--:|--:|--:|--:|--:|"]
    for r in results:
        def f(key, fmt="{:.2f}", scale=1.0):
            return fmt.format(r[key] / scale) if key in r else "n/a"
        search = (f"{r['search_index_bytes'] / 1e6:.1f} ({r['search_index_gzip_bytes'] / 1e6:.1f})"
                  if "search_index_bytes" in r else "n/a")
        queries = (f"{r['search_first_query_kb']:.0f} / {r['search_next_query_kb']:.0f}"
                   if "search_first_query_kb" in r else "n/a")
        lines.append(
            f"| {r['records']:,} | {f('check_s')} | {f('check_mib', '{:.0f}')} | {f('build_cold_s')} "
            f"| {f('build_warm_s')} | {f('build_cold_mib', '{:.0f}')} | {f('output_bytes', '{:.0f}', 1e6)} "
            f"| {format(r['pages'], ',') if 'pages' in r else 'n/a'} | {search} | {queries} | {f('serve_first_build_s')} "
            f"| {f('serve_rebuild_s', '{:.3f}')} | {f('serve_title_rebuild_s', '{:.3f}')} "
            f"| {f('serve_rss_mib', '{:.0f}')} ({f('serve_peak_mib', '{:.0f}')}) | {f('hugo_s')} | {f('hugo_mib', '{:.0f}')} "
            f"| {f('hugo_over_casebook', '{:.1f}x')} |")
    lines += ["", "Growth (cost per record relative to the smallest size; 1.0 is linear):", ""]
    base = results[0]
    for r in results[1:]:
        scale = r["records"] / base["records"]
        parts = []
        for key in ("check_s", "build_cold_s"):
            if key in r and key in base and base[key] > 0:
                parts.append(f"{key.replace('_s', '')}: {r[key] / base[key] / scale:.2f}")
        lines.append(f"- {base['records']:,} -> {r['records']:,}: " + ", ".join(parts))
    if history:
        lines += ["", "Git history (the same files built with and without `.git`):", "",
                  "| records | commits | build with .git s | build without s | added s |",
                  "|--:|--:|--:|--:|--:|"]
        for h in history:
            lines.append(f"| {h['records']:,} | {h['commits']:,} | {h['build_git_s']:.2f} "
                         f"| {h['build_plain_s']:.2f} | {h['history_added_s']:.2f} |")
    return "\n".join(lines) + "\n"


def main():
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--sizes", default="1000,10000,50000")
    parser.add_argument("--runs", type=int, default=5)
    parser.add_argument("--hugo-max", type=int, default=10000, help="largest size to build with Hugo")
    parser.add_argument("--smoke", action="store_true", help="100 records, one run: checks the bench works")
    parser.add_argument("--no-browser", dest="browser", action="store_false",
                        help="skip the search download measure (needs chromium and chromedriver)")
    parser.add_argument("--binary", help="time this casebook binary (kept aside) instead of building one")
    parser.add_argument("--serve-only", action="store_true",
                        help="only `casebook serve`: first build, rebuild after a body and a title edit, memory")
    parser.add_argument("--git-commits", default="5000,10000,20000",
                        help="history lengths for the git-history measure at --git-records records; empty skips it")
    parser.add_argument("--git-records", type=int, default=10000)
    parser.add_argument("--git-repack", action="store_true",
                        help="repack the git histories as a clone has them (git repack -adf) "
                             "instead of keeping git fast-import's layout")
    parser.add_argument("--out", default=str(REPO / "target" / "bench"))
    parser.add_argument("--cache", default=os.environ.get("CASEBOOK_BENCH_CACHE",
                                                          str(Path.home() / ".cache" / "casebook-bench")))
    args = parser.parse_args()
    if args.smoke:
        args.sizes, args.runs, args.hugo_max, args.browser = "100", 1, 100, False
        args.git_commits, args.git_records = "50", 100
    args.browser = args.browser and bool(shutil.which("chromium") and shutil.which("chromedriver"))
    sizes = [int(s) for s in args.sizes.split(",")]
    cache = Path(args.cache)
    cache.mkdir(parents=True, exist_ok=True)
    if args.binary:
        binary = Path(args.binary).resolve()
    else:
        subprocess.run(["cargo", "build", "--release", "--quiet"], cwd=REPO, check=True)
        binary = Path(os.environ.get("CARGO_TARGET_DIR", REPO / "target")) / "release" / "casebook"
    hugo = shutil.which("hugo")
    machine = f"{platform.node()} {platform.machine()}, {os.cpu_count()} cores, Python {platform.python_version()}"
    results = [bench_size(size, args, binary, cache, hugo) for size in sizes]
    if args.git_commits and not args.serve_only:
        commits = [int(c) for c in args.git_commits.split(",")]
        results.append({"history": bench_history(args.git_records, commits, args, binary, cache)})
    out = Path(args.out)
    out.mkdir(parents=True, exist_ok=True)
    (out / "results.json").write_text(json.dumps({"machine": machine, "runs": args.runs, "results": results},
                                                 indent=2, sort_keys=True) + "\n")
    table = markdown(results, machine)
    (out / "results.md").write_text(table)
    print(table)
    print(f"bench: wrote {out / 'results.md'} and {out / 'results.json'}", file=sys.stderr)


if __name__ == "__main__":
    main()
