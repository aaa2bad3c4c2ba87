#!/usr/bin/env python3
"""Fictional exports of a pupil-monitoring system (LVS), one of each shape `kcsync trend
import` reads, from a fixed seed:

  Examples/lvs-cito-leerlingen.csv  pupil level, Cito-like: toetsmoment M/E + groep (M5, E5),
                                    niveau I-V, a referentieniveau in groep 8; ';' and decimal commas
  Examples/lvs-boom-datum.xlsx      pupil level, date-based like Boom LVS: an afnamedatum, niveau A-E
  Examples/lvs-groepen.csv          group level: one row per groep, toetsmoment and vakgebied

No vendor publishes its export's columns (DOMAIN.md), so these are shaped after what schools
see, not copied from any. Every name is made up. Run from the project's root:
python3 Tools/lvs-examples.py
"""
import importlib.util
import os
import random

spec = importlib.util.spec_from_file_location("inspectie", os.path.join(os.path.dirname(__file__), "inspectie-example.py"))
inspectie = importlib.util.module_from_spec(spec)
spec.loader.exec_module(inspectie)

FIRST = ["Daan", "Sanne", "Milan", "Noor", "Lucas", "Fenna", "Sem", "Julia", "Finn", "Tess", "Liam", "Mila", "Bram", "Evi", "Jesse",
         "Lotte", "Thijs", "Zoë", "Ruben", "Isa", "Max", "Nina", "Stijn", "Roos", "Jens", "Fleur", "Luuk", "Sophie"]
LAST = ["de Vries", "Jansen", "Bakker", "Visser", "Smit", "Meijer", "de Boer", "Mulder", "de Groot", "Bos", "Vos", "Peters", "Hendriks",
        "van Leeuwen", "Dekker", "Brouwer", "de Wit", "Dijkstra", "Smits", "de Graaf", "van der Meer", "Kok", "Jacobs", "Vermeulen"]


def level(score, mean):
    """Niveau I (top 20%) .. V from a score's distance to the norm mean."""
    z = (score - mean) / 12
    return 1 if z > 0.84 else 2 if z > 0.25 else 3 if z > -0.25 else 4 if z > -0.84 else 5


def cito(rng):
    rows = [["Leerlingnummer", "Achternaam", "Roepnaam", "Groep", "Schooljaar", "Toets", "Toetsmoment", "Vaardigheidsscore", "Niveau", "Referentieniveau"]]
    roman = ["I", "II", "III", "IV", "V"]
    number = 1000
    for group in [5, 6, 8]:
        for _ in range(24 if group != 8 else 26):
            number += 1
            last, first = rng.choice(LAST), rng.choice(FIRST)
            base = rng.gauss(0, 11)
            for test, offset in [("Rekenen-Wiskunde", 0), ("Begrijpend lezen", -6)]:
                for moment, step in [("M", 0), ("E", 1)]:
                    mean = 150 + 18 * (group - 3) + 9 * step + offset
                    score = round(mean + base + rng.gauss(0, 4))
                    ref = ""
                    if group == 8 and moment == "E":
                        ref = "<1F" if score < mean - 22 else "2F" if score > mean + 4 and test != "Rekenen-Wiskunde" else \
                            "1S" if score > mean + 4 else "1F"
                    rows.append([str(number), last, first, f"Groep {group}", "2025-2026", test, f"{moment}{group}", str(score),
                                 roman[level(score, mean) - 1], ref])
    return rows


def boom(rng):
    rows = [["Leerling", "Groep", "Afnamedatum", "Toets", "Score", "Niveau"]]
    letters = "ABCDE"
    used = set()
    for group in [4, 7]:
        for _ in range(22):
            name = f"{rng.choice(FIRST)} {rng.choice(LAST)}"
            while name in used:
                name = f"{rng.choice(FIRST)} {rng.choice(LAST)}"
            used.add(name)
            base = rng.gauss(0, 10)
            for day, step in [("2026-01-27", 0), ("2026-06-09", 1)]:
                mean = 60 + 10 * (group - 3) + 5 * step
                score = round(mean + base + rng.gauss(0, 3), 1)
                rows.append([name, str(group), day, "Spelling", score, letters[level(score, mean) - 1]])
    return rows


def groups(rng):
    rows = [["Groep", "Toetsmoment", "Vakgebied", "Aantal leerlingen", "% niveau I-II", "Gemiddelde vaardigheidsscore", "Groei"]]
    for year in ["2024-2025", "2025-2026"]:
        for moment in ["M", "E"]:
            for group in range(3, 8):
                for area in ["rekenen", "begrijpend lezen", "spelling"]:
                    n = rng.randint(18, 30)
                    rows.append([str(group), f"{year} {moment}", area, str(n), f"{rng.uniform(32, 58):.1f}".replace(".", ","),
                                 f"{120 + 14 * group + (6 if moment == 'E' else 0) + rng.uniform(-4, 4):.1f}".replace(".", ","),
                                 f"{rng.uniform(2, 12):.1f}".replace(".", ",")])
    return rows


def write_csv(path, rows):
    with open(path, "w", encoding="utf-8", newline="\r\n") as f:
        for row in rows:
            f.write(";".join(f'"{c}"' if ";" in str(c) else str(c) for c in row) + "\n")


if __name__ == "__main__":
    rng = random.Random(20261202)
    write_csv("Examples/lvs-cito-leerlingen.csv", cito(rng))
    boom_rows = boom(rng)
    inspectie.write_xlsx("Examples/lvs-boom-datum.xlsx", boom_rows[0], boom_rows[1:], title=None)
    write_csv("Examples/lvs-groepen.csv", groups(rng))
    print("written")
