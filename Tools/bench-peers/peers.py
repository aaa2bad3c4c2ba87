"""W8's peers: the history kcsync-bench W8 imports, written through Loro and through Yrs
(pycrdt), then imported into a fresh document of each, in memory.

The history: `notes` notes, each of seven fields (title, role, category, period, meeting
date, a set of two tags, a body of `body` characters as text), one commit per note; then
`updates` single-field updates (title, category or period, in turn, of note u × 7919 mod
notes), one commit each. Prints JSON: per library its version, the bytes of the exported
history, and the seconds its import took (the median of `runs`).
"""
import json
from importlib import metadata
import statistics
import sys
import time

import loro
import pycrdt

ROLES = ["learningCoordinator", "careCoordinator", "trendAnalyst"]
CATEGORIES = ["groepsbespreking", "leerteamoverleg", "trendanalyse", "observatie"]
AREAS = ["rekenen", "begrijpend lezen", "technisch lezen", "spelling"]
FIELDS = ["title", "category", "period"]


def history(notes, updates, body_length):
    """The same notes and updates kcsync-bench W8 writes (Bench.peerHistory), as plain values."""
    rows = []
    for i in range(notes):
        area = AREAS[i % 4]
        body = (f"De leerteams zien bij {area} een daling in groep {i % 8 + 1}. Afspraak: verlengde instructie. ({i}) " * 8)[:body_length]
        rows.append({
            "title": f"Groepsbespreking groep {i % 8 + 1} {area} {i}", "role": ROLES[i % 3],
            "category": CATEGORIES[i % 4], "period": "2025-2026 M" if i % 2 == 0 else "2025-2026 E",
            "meetingDate": 20400 + i % 300, "tags": [area, f"groep {i % 8 + 1}"], "body": body,
        })
    edits = []
    for u in range(updates):
        note = u * 7919 % notes
        field = FIELDS[u % 3]
        edits.append((note, field, f"{field} {u}"))
    return rows, edits


def with_loro(rows, edits):
    doc = loro.LoroDoc()
    root = doc.get_map("notes")
    maps = []
    for i, row in enumerate(rows):
        note = root.insert_container(f"n{i}", loro.LoroMap())
        for key in ("title", "role", "category", "period", "meetingDate"):
            note.insert(key, row[key])
        tags = note.insert_container("tags", loro.LoroMap())
        for tag in row["tags"]:
            tags.insert(tag, True)
        note.insert_container("body", loro.LoroText()).insert(0, row["body"])
        doc.commit()
        maps.append(note)
    for note, field, value in edits:
        maps[note].insert(field, value)
        doc.commit()
    blob = doc.export(loro.ExportMode.Updates(loro.VersionVector()))

    def load():
        fresh = loro.LoroDoc()
        fresh.import_(blob)
        return fresh

    check = load().get_map("notes")
    assert len(check.keys()) == len(rows)
    return blob, load


def with_yrs(rows, edits):
    doc = pycrdt.Doc()
    root = doc.get("notes", type=pycrdt.Map)
    maps = []
    for i, row in enumerate(rows):
        with doc.transaction():
            note = pycrdt.Map({key: row[key] for key in ("title", "role", "category", "period", "meetingDate")})
            root[f"n{i}"] = note
            note["tags"] = pycrdt.Map({tag: True for tag in row["tags"]})
            note["body"] = pycrdt.Text(row["body"])
        maps.append(note)
    for note, field, value in edits:
        with doc.transaction():
            maps[note][field] = value
    blob = doc.get_update()

    def load():
        fresh = pycrdt.Doc()
        fresh.apply_update(blob)
        return fresh

    check = load().get("notes", type=pycrdt.Map)
    assert len(check) == len(rows)
    return blob, load


def main():
    notes, updates, body_length, runs = (int(a) for a in sys.argv[1:5])
    rows, edits = history(notes, updates, body_length)
    result = {}
    for name, build, package in (("loro", with_loro, "loro"), ("yrs", with_yrs, "pycrdt")):
        blob, load = build(rows, edits)
        seconds = []
        for _ in range(runs):
            start = time.perf_counter()
            load()
            seconds.append(time.perf_counter() - start)
        result[name] = {"version": f"{package} {metadata.version(package)}", "bytes": len(blob), "importSeconds": statistics.median(seconds)}
    json.dump(result, sys.stdout)
    print()


if __name__ == "__main__":
    main()
