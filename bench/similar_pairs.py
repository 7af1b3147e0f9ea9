#!/usr/bin/env python3
"""Similar incidents against hand-picked alike pairs (docs/similar.md).

Reads a built site's incidents.json and a pairs file (TOML: [[pair]] record = "id",
alike = ["id", ...]) and counts, for each record, whether one of its alike records
is among its similar incidents, or already on its page as related or backlink
(where the similar list does not repeat it). Prints each record's similar list with
its reasons, so the reasons can be read too.

Usage: bench/similar_pairs.py SITE/incidents.json --pairs bench/relevance/real-postmortems-alike.toml
"""

import argparse
import json
import sys
import tomllib
from pathlib import Path


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("incidents", type=Path)
    parser.add_argument("--pairs", type=Path, required=True)
    args = parser.parse_args()
    data = json.loads(args.incidents.read_text())
    records = data if isinstance(data, list) else data["incidents"]
    by_id = {r["id"]: r for r in records}
    pairs = tomllib.loads(args.pairs.read_text())["pair"]
    in_similar = on_page = found = wanted = 0
    for pair in pairs:
        record = by_id[pair["record"]]
        alike = set(pair["alike"])
        similar = [s["id"] for s in record.get("similar", [])]
        linked = set(record.get("related", [])) | set(record.get("backlinks", []))
        hit = [i for i in similar if i in alike]
        found += len(hit)
        wanted += len(alike)
        if hit:
            in_similar += 1
        if hit or alike & linked:
            on_page += 1
        mark = "similar" if hit else ("linked" if alike & linked else "MISS")
        print(f"{pair['record']} {record['title'][:60]!r}: {mark}")
        for s in record.get("similar", []):
            star = "*" if s["id"] in alike else " "
            print(f"   {star} {s['id']} {s.get('reason', '')}")
    print()
    print(f"{in_similar} of {len(pairs)} records list an alike record among their similar incidents;"
          f" {on_page} of {len(pairs)} show one on their page (similar, related or backlink);"
          f" {found} of the {wanted} alike records are among the similar incidents")


if __name__ == "__main__":
    sys.exit(main())
