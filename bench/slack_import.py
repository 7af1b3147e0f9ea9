#!/usr/bin/env python3
"""Times `casebook import slack` on generated Slack exports of growing size.

Each export has 50 channels, 200 users and 20 messages per channel per day (so a
larger export covers more days: 100,000 messages are 100 days), written in Slack's
export layout (channels.json, users.json, CHANNEL/YYYY-MM-DD.json) as a folder and
as a zip. The import reads one channel's two-hour window in the middle of the
export. Prints a Markdown table of medians (docs/performance.md has the figures).

    python3 bench/slack_import.py --binary target/release/casebook \\
        --sizes 10000,100000,300000 --runs 5 --work /dev/shm/slack-bench
"""

import argparse
import json
import os
import random
import statistics
import subprocess
import time
import zipfile
from datetime import datetime, timedelta, timezone

CHANNELS = 50
USERS = 200
PER_DAY = 20
START = datetime(2024, 1, 1, tzinfo=timezone.utc)


def generate(folder, messages):
    """Writes an export of about `messages` messages into `folder`, once."""
    marker = os.path.join(folder, ".complete")
    if os.path.exists(marker):
        return
    rng = random.Random(messages)
    os.makedirs(folder, exist_ok=True)
    users = [
        {"id": f"U{i:05d}", "name": f"user{i}", "real_name": f"User {i}",
         "profile": {"display_name": f"user{i}" if i % 3 else "", "real_name": f"User {i}"}}
        for i in range(USERS)
    ]
    channels = [{"id": f"C{i:04d}", "name": f"ch-{i:02d}", "created": 0} for i in range(CHANNELS)]
    with open(os.path.join(folder, "users.json"), "w") as f:
        json.dump(users, f)
    with open(os.path.join(folder, "channels.json"), "w") as f:
        json.dump(channels, f)
    days = max(1, messages // (CHANNELS * PER_DAY))
    for channel in channels:
        os.makedirs(os.path.join(folder, channel["name"]), exist_ok=True)
        for day in range(days):
            date = START + timedelta(days=day)
            items = []
            for n in range(PER_DAY):
                at = date + timedelta(seconds=int(86400 * (n + rng.random()) / PER_DAY))
                user = rng.randrange(USERS)
                other = rng.randrange(USERS)
                items.append({
                    "type": "message", "user": f"U{user:05d}", "ts": f"{int(at.timestamp())}.{n:06d}",
                    "text": f"*status* of <#C0001|ch-01>: <@U{other:05d}> says the error rate is {rng.random():.3f} "
                            f"&amp; falling, see <https://grafana.example.com/d/{n}|the dashboard>",
                })
            with open(os.path.join(folder, channel["name"], date.strftime("%Y-%m-%d.json")), "w") as f:
                json.dump(items, f)
    with open(marker, "w") as f:
        f.write("")


def zip_of(folder, path):
    """The folder as a zip, as Slack hands it out (deflated, files at the top)."""
    if os.path.exists(path):
        return
    with zipfile.ZipFile(path + ".part", "w", zipfile.ZIP_DEFLATED) as z:
        for root, _dirs, files in os.walk(folder):
            for name in sorted(files):
                if name.startswith("."):
                    continue
                full = os.path.join(root, name)
                z.write(full, os.path.relpath(full, folder))
    os.rename(path + ".part", path)


def tree_bytes(folder):
    return sum(os.path.getsize(os.path.join(r, f)) for r, _d, fs in os.walk(folder) for f in fs)


def timed(cmd, runs):
    samples = []
    for _ in range(runs):
        started = time.perf_counter()
        done = subprocess.run(cmd, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)
        samples.append(time.perf_counter() - started)
        if done.returncode != 0:
            raise SystemExit(f"{' '.join(cmd)} failed:\n{done.stderr.decode()}")
    return statistics.median(samples)


def main():
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--binary", default="target/release/casebook")
    parser.add_argument("--sizes", default="10000,100000,300000")
    parser.add_argument("--runs", type=int, default=5)
    parser.add_argument("--work", default="/dev/shm/casebook-slack-bench")
    args = parser.parse_args()
    print("| messages | day files | export MB | zip MB | folder s | zip s |")
    print("|--:|--:|--:|--:|--:|--:|")
    for size in [int(s) for s in args.sizes.split(",")]:
        folder = os.path.join(args.work, f"export-{size}")
        generate(folder, size)
        zipped = folder + ".zip"
        zip_of(folder, zipped)
        days = max(1, size // (CHANNELS * PER_DAY))
        middle = START + timedelta(days=days // 2, hours=14)
        window = ["--from", middle.isoformat(), "--to", (middle + timedelta(hours=2)).isoformat()]
        base = [args.binary, "import", "slack"]
        rest = ["--channel", "ch-07", *window]
        folder_s = timed([*base, folder, *rest], args.runs)
        zip_s = timed([*base, zipped, *rest], args.runs)
        print(f"| {size:,} | {days * CHANNELS:,} | {tree_bytes(folder) / 1e6:.1f} | "
              f"{os.path.getsize(zipped) / 1e6:.1f} | {folder_s:.3f} | {zip_s:.3f} |")


if __name__ == "__main__":
    main()
