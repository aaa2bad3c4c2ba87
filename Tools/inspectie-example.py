#!/usr/bin/env python3
"""The fictional open-data file of the Inspectie that `kcsync demo` and the tests read.

Writes, from one table and a fixed seed:
  Examples/inspectie-referentieniveaus-fictief.ods   (as the Inspectie publishes it)
  Examples/inspectie-referentieniveaus-fictief.xlsx  (the same table saved by Excel)
  Examples/inspectie-referentieniveaus-fictief.csv   (the same, saved as CSV with ';' and decimal commas)
  Sources/kcsync/DemoGroep8.swift                    (the demo schools' groep 8 figures behind it)

The layout follows the file "gemiddelde referentieniveaus primair onderwijs"
(onderwijsinspectie.nl, Onderwijsdata): a title row, then a header with BRIN, vestiging,
schoolweging, schoolwegingscategorie, the signaleringswaarden and the weighted three-year
averages with their outcomes. Everything in it is made up; the 1S/2F signaleringswaarden
follow the values DOMAIN.md cites ([27,28) 50.1%, [30,31) 45.5%, [31,32) 43.5%,
[33,34) 38.7%) and fall about 1.9 points per point of weging in between.

Run it from the project's root: python3 Tools/inspectie-example.py
"""
import random
import zipfile
from xml.sax.saxutils import escape

SEED = 20261201
YEARS = [2023, 2024, 2025]  # school years 2023-2024 .. 2025-2026
SUBJECTS = ["begrijpend lezen", "taalverzorging", "rekenen"]

# The demo's eight schools (Sources/kcsync/DemoData.swift) and their weging.
DEMO = [
    ("03AB", "De Regenboog", "Tiel", 26.4),
    ("05CD", "Het Kompas", "Culemborg", 28.7),
    ("07EF", "De Wilgen", "Tiel", 24.9),
    ("09GH", "Klavertje Vier", "Geldermalsen", 31.6),
    ("11JK", "De Zonnewijzer", "Buren", 27.3),
    ("13LM", "Het Palet", "Culemborg", 30.2),
    ("15NP", "De Fontein", "Zaltbommel", 25.8),
    ("17RS", "De Linde", "Tiel", 29.1),
]
# 13LM is below its 1S/2F signaleringswaarde over the three years; 09GH below 1F.
BELOW_1S2F = {"13LM"}
BELOW_1F = {"09GH"}

SEEN = {27: 50.1, 30: 45.5, 31: 43.5, 33: 38.7}


def threshold(weight):
    """The 1S/2F signaleringswaarde for a schoolweging (fictional, shaped like the real table)."""
    floor = int(weight)
    if floor in SEEN:
        return SEEN[floor]
    value = 50.1 - 1.9 * (floor - 27)
    return round(min(max(value, 30.3), 68.3), 1)


def category(weight):
    floor = int(weight)
    return f"[{floor},{floor + 1})"


def weighted(points):
    total = sum(n for _, n in points)
    return sum(v * n for v, n in points) / total


def demo_figures(rng):
    """Per demo school: {(year, subject): (pct1F, pct1S2F, n)}."""
    figures = {}
    for brin, _, _, weight in DEMO:
        limit = threshold(weight)
        table = {}
        for year in YEARS:
            n = rng.randint(18, 31)
            for subject in SUBJECTS:
                one_f = rng.uniform(90.0, 98.5)
                high = limit + rng.uniform(3.0, 14.0)
                if brin in BELOW_1S2F:
                    high = limit - rng.uniform(1.5, 5.0)
                if brin in BELOW_1F and subject == "rekenen":
                    one_f = rng.uniform(62.0, 68.0)
                table[(year, subject)] = (round(one_f, 1), round(min(high, 99.0), 1), n)
        figures[brin] = table
    return figures


def indicator(table, index):
    return weighted([(value[index], value[2]) for value in table.values()])


def rows():
    rng = random.Random(SEED)
    figures = demo_figures(rng)
    out = []
    for brin, name, place, weight in DEMO:
        table = figures[brin]
        out.append((brin, "00", name, place, weight, indicator(table, 0), indicator(table, 1)))
    # Other schools of the country: random BRINs, wegingen 22-36.
    letters = "ABCDEFGHJKLMNPRSTUVWXYZ"
    names = ["De Springplank", "Het Baken", "De Vlinder", "De Klimop", "Het Anker", "De Horizon", "De Toermalijn", "Het Mozaïek",
             "De Kleine Wereld", "De Bongerd", "Het Startpunt", "De Meander", "Sint Jozef", "De Eikenhorst", "Het Kristal"]
    used = {row[0] for row in out}
    while len(out) < 68:
        brin = f"{rng.randint(10, 99)}{rng.choice(letters)}{rng.choice(letters)}"
        if brin in used:
            continue
        used.add(brin)
        weight = round(rng.uniform(22.0, 36.0), 2)
        limit = threshold(weight)
        high = round(limit + rng.uniform(-6.0, 14.0), 2)
        one_f = round(rng.uniform(84.0, 98.0), 2)
        out.append((brin, "00", rng.choice(names), "Ergens", weight, one_f, high))
    # One school with a second location, so a match needs the vestiging.
    out.append(("05CD", "01", "Het Kompas, dependance", "Culemborg", 33.2, 91.0, 37.0))
    return figures, out


def table():
    figures, schools = rows()
    header = ["Peiljaar", "BRIN_NUMMER", "VESTIGINGSNUMMER", "VESTIGINGSNAAM", "PLAATSNAAM", "Schoolweging", "Schoolwegingscategorie",
              "Signaleringswaarde 1F", "Signaleringswaarde 1S/2F", "Gewogen driejaarsgemiddelde %1F", "Gewogen driejaarsgemiddelde %1S/2F",
              "Uitkomst indicator 1F", "Uitkomst indicator 1S/2F"]
    body = []
    for brin, vestiging, name, place, weight, one_f, high in schools:
        limit = threshold(weight)
        one_f, high = round(one_f, 2), round(high, 2)
        body.append(["2026", brin, vestiging, name, place, round(weight, 2), category(weight), 85.0, limit, one_f, high,
                     "Boven signaleringswaarde" if one_f >= 85 else "Onder signaleringswaarde",
                     "Boven signaleringswaarde" if high >= limit else "Onder signaleringswaarde"])
    return figures, header, body


TITLE = "Gemiddelde referentieniveaus primair onderwijs, peiljaar 2026 (fictief voorbeeld voor kcsync; geen echte scholen)"


def dutch(value):
    return f"{value:.2f}".rstrip("0").rstrip(".").replace(".", ",") if isinstance(value, float) else str(value)


def write_csv(path, header, body):
    lines = [TITLE + ";" * (len(header) - 1), ";".join(header)]
    for row in body:
        cells = [dutch(v) for v in row]
        lines.append(";".join(f'"{c}"' if ";" in c or "," in c else c for c in cells))
    with open(path, "w", encoding="utf-8", newline="\r\n") as f:
        f.write("\n".join(lines) + "\n")


def write_ods(path, header, body):
    def cell(value):
        if isinstance(value, float):
            return (f'<table:table-cell office:value-type="float" office:value="{value}" calcext:value-type="float">'
                    f"<text:p>{dutch(value)}</text:p></table:table-cell>")
        return f'<table:table-cell office:value-type="string"><text:p>{escape(str(value))}</text:p></table:table-cell>'
    rows = [f'<table:table-row><table:table-cell office:value-type="string"><text:p>{escape(TITLE)}</text:p></table:table-cell>'
            f'<table:table-cell table:number-columns-repeated="{len(header) - 1}"/></table:table-row>']
    rows.append("<table:table-row>" + "".join(cell(h) for h in header) + '<table:table-cell table:number-columns-repeated="1011"/></table:table-row>')
    for row in body:
        rows.append("<table:table-row>" + "".join(cell(v) for v in row) + '<table:table-cell table:number-columns-repeated="1011"/></table:table-row>')
    # As LibreOffice writes it: the sheet's empty tail as one repeated row.
    rows.append('<table:table-row table:number-rows-repeated="1048500"><table:table-cell table:number-columns-repeated="1024"/></table:table-row>')
    content = ('<?xml version="1.0" encoding="UTF-8"?>'
               '<office:document-content xmlns:office="urn:oasis:names:tc:opendocument:xmlns:office:1.0" '
               'xmlns:table="urn:oasis:names:tc:opendocument:xmlns:table:1.0" xmlns:text="urn:oasis:names:tc:opendocument:xmlns:text:1.0" '
               'xmlns:calcext="urn:org:documentfoundation:names:experimental:calc:xmlns:calcext:1.0" office:version="1.3">'
               '<office:body><office:spreadsheet><table:table table:name="Referentieniveaus">'
               + "".join(rows) +
               '</table:table><table:table table:name="Toelichting"><table:table-row><table:table-cell office:value-type="string">'
               '<text:p>Fictief: alle scholen en cijfers zijn verzonnen.</text:p></table:table-cell></table:table-row></table:table>'
               "</office:spreadsheet></office:body></office:document-content>")
    manifest = ('<?xml version="1.0" encoding="UTF-8"?><manifest:manifest xmlns:manifest="urn:oasis:names:tc:opendocument:xmlns:manifest:1.0" manifest:version="1.3">'
                '<manifest:file-entry manifest:full-path="/" manifest:media-type="application/vnd.oasis.opendocument.spreadsheet"/>'
                '<manifest:file-entry manifest:full-path="content.xml" manifest:media-type="text/xml"/></manifest:manifest>')
    with zipfile.ZipFile(path, "w") as z:
        z.writestr(zipfile.ZipInfo("mimetype", (2026, 1, 1, 0, 0, 0)), "application/vnd.oasis.opendocument.spreadsheet", compress_type=zipfile.ZIP_STORED)
        for name, text in [("content.xml", content), ("META-INF/manifest.xml", manifest)]:
            z.writestr(zipfile.ZipInfo(name, (2026, 1, 1, 0, 0, 0)), text, compress_type=zipfile.ZIP_DEFLATED)


def write_xlsx(path, header, body, title=TITLE):
    strings, index = [], {}

    def shared(text):
        if text not in index:
            index[text] = len(strings)
            strings.append(text)
        return index[text]

    def column(i):
        name = ""
        i += 1
        while i:
            i, r = divmod(i - 1, 26)
            name = chr(65 + r) + name
        return name
    sheet_rows = []
    for r, row in enumerate(([[title]] if title else []) + [header] + body, start=1):
        cells = []
        for c, value in enumerate(row):
            ref = f"{column(c)}{r}"
            if isinstance(value, float):
                cells.append(f'<c r="{ref}"><v>{value}</v></c>')
            else:
                cells.append(f'<c r="{ref}" t="s"><v>{shared(str(value))}</v></c>')
        sheet_rows.append(f'<row r="{r}">' + "".join(cells) + "</row>")
    main = 'xmlns="http://schemas.openxmlformats.org/spreadsheetml/2006/main"'
    rel = 'xmlns:r="http://schemas.openxmlformats.org/officeDocument/2006/relationships"'
    parts = {
        "[Content_Types].xml": '<?xml version="1.0" encoding="UTF-8"?><Types xmlns="http://schemas.openxmlformats.org/package/2006/content-types">'
            '<Default Extension="rels" ContentType="application/vnd.openxmlformats-package.relationships+xml"/><Default Extension="xml" ContentType="application/xml"/>'
            '<Override PartName="/xl/workbook.xml" ContentType="application/vnd.openxmlformats-officedocument.spreadsheetml.sheet.main+xml"/>'
            '<Override PartName="/xl/worksheets/sheet1.xml" ContentType="application/vnd.openxmlformats-officedocument.spreadsheetml.worksheet+xml"/>'
            '<Override PartName="/xl/sharedStrings.xml" ContentType="application/vnd.openxmlformats-officedocument.spreadsheetml.sharedStrings+xml"/></Types>',
        "_rels/.rels": '<?xml version="1.0" encoding="UTF-8"?><Relationships xmlns="http://schemas.openxmlformats.org/package/2006/relationships">'
            '<Relationship Id="rId1" Type="http://schemas.openxmlformats.org/officeDocument/2006/relationships/officeDocument" Target="xl/workbook.xml"/></Relationships>',
        "xl/workbook.xml": f'<?xml version="1.0" encoding="UTF-8"?><workbook {main} {rel}><sheets><sheet name="Referentieniveaus" sheetId="1" r:id="rId1"/></sheets></workbook>',
        "xl/_rels/workbook.xml.rels": '<?xml version="1.0" encoding="UTF-8"?><Relationships xmlns="http://schemas.openxmlformats.org/package/2006/relationships">'
            '<Relationship Id="rId1" Type="http://schemas.openxmlformats.org/officeDocument/2006/relationships/worksheet" Target="worksheets/sheet1.xml"/>'
            '<Relationship Id="rId2" Type="http://schemas.openxmlformats.org/officeDocument/2006/relationships/sharedStrings" Target="sharedStrings.xml"/></Relationships>',
        "xl/worksheets/sheet1.xml": f'<?xml version="1.0" encoding="UTF-8"?><worksheet {main}><sheetData>' + "".join(sheet_rows) + "</sheetData></worksheet>",
    }
    parts["xl/sharedStrings.xml"] = (f'<?xml version="1.0" encoding="UTF-8"?><sst {main} count="{len(strings)}" uniqueCount="{len(strings)}">'
                                     + "".join(f"<si><t>{escape(s)}</t></si>" for s in strings) + "</sst>")
    with zipfile.ZipFile(path, "w", zipfile.ZIP_DEFLATED) as z:
        for name, text in parts.items():
            z.writestr(zipfile.ZipInfo(name, (2026, 1, 1, 0, 0, 0)), text, compress_type=zipfile.ZIP_DEFLATED)


def write_swift(path, figures, ods_path):
    lines = ["// Generated by Tools/inspectie-example.py from its seed; do not edit (run the script again).",
             "// The demo schools' groep 8 figures behind Examples/inspectie-referentieniveaus-fictief.ods:",
             "// per school, school year (the year it starts in) and subject: % 1F, % 1S/2F and the pupils.",
             "", "import KCModel", "", "extension DemoData {",
             "    static let groep8: [String: [(year: Int, area: SubjectArea, oneF: Double, high: Double, pupils: Int)]] = ["]
    area = {"begrijpend lezen": ".readingComprehension", "taalverzorging": ".writing", "rekenen": ".arithmetic"}
    for brin in sorted(figures):
        lines.append(f'        "{brin}": [')
        for (year, subject), (one_f, high, n) in sorted(figures[brin].items()):
            lines.append(f"            ({year}, {area[subject]}, {one_f}, {high}, {n}),")
        lines.append("        ],")
    lines += ["    ]", "", "    /// The 1S/2F signaleringswaarde the file gives each demo school.",
              "    static let threshold1S2F: [String: Double] = ["]
    for brin, _, _, weight in DEMO:
        lines.append(f'        "{brin}": {threshold(weight)},')
    import base64
    with open(ods_path, "rb") as f:
        encoded = base64.b64encode(f.read()).decode()
    lines += ["    ]", "", "    /// Examples/inspectie-referentieniveaus-fictief.ods itself, which the demo's board imports.",
              "    static let inspectieFile = \"\"\""]
    lines += ["        " + encoded[i:i + 100] for i in range(0, len(encoded), 100)]
    lines += ["        \"\"\"", "}", ""]
    with open(path, "w", encoding="utf-8") as f:
        f.write("\n".join(lines))


if __name__ == "__main__":
    figures, header, body = table()
    write_ods("Examples/inspectie-referentieniveaus-fictief.ods", header, body)
    write_xlsx("Examples/inspectie-referentieniveaus-fictief.xlsx", header, body)
    write_csv("Examples/inspectie-referentieniveaus-fictief.csv", header, body)
    write_swift("Sources/kcsync/DemoGroep8.swift", figures, "Examples/inspectie-referentieniveaus-fictief.ods")
    print(f"{len(body)} schools written")
