#!/usr/bin/env python3
"""Lays out JSON Resume's public sample (jsonresume/resume-schema, sample.resume.json, MIT)
as HTML (two layouts) and as a DOCX written by python-docx (skills in a two-column table).
make_generated.sh then converts the HTML with LibreOffice. Usage: gen_jsonresume.py OUT_DIR"""
import html, json, sys, os

out = sys.argv[1]
r = json.load(open(os.path.join(os.path.dirname(__file__), "jsonresume_sample.resume.json")))
b = r["basics"]
loc = b["location"]
MONTHS = "Jan Feb Mar Apr May Jun Jul Aug Sep Oct Nov Dec".split()


def d(s):
    y, m, _ = s.split("-")
    return f"{MONTHS[int(m) - 1]} {y}"


def e(s):
    return html.escape(s)


def page(layout):
    h = ["<html><head><meta charset='utf-8'><title>Resume</title></head><body>"]
    h.append(f"<h1>{e(b['name'])}</h1><p>{e(b['label'])}</p>")
    contact = [b["email"], b["phone"], f"{loc['address']}, {loc['city']}, {loc['region']}", b["url"]]
    contact += [f"{p['network']}: {p['username']}" for p in b["profiles"]]
    if layout == "a":
        h.append("<p>" + " | ".join(e(c) for c in contact) + "</p>")
    else:
        h.append("<table><tr>" + "".join(f"<td>{e(c)}</td>" for c in contact[:3]) + "</tr><tr>"
                 + "".join(f"<td>{e(c)}</td>" for c in contact[3:]) + "</tr></table>")
    h.append(f"<h2>Summary</h2><p>{e(b['summary'])}</p>")
    h.append("<h2>Experience</h2>")
    for w in r["work"]:
        if layout == "a":
            h.append(f"<p><b>{e(w['position'])}</b>, {e(w['name'])} — {e(w['location'])}<br>"
                     f"{d(w['startDate'])} – {d(w['endDate'])}</p>")
        else:
            h.append(f"<p><b>{e(w['name'])}</b>, {e(w['location'])}</p><p><i>{e(w['position'])}</i>"
                     f" ({d(w['startDate'])} – {d(w['endDate'])})</p>")
        h.append(f"<p>{e(w['summary'])}</p><ul>" + "".join(f"<li>{e(x)}</li>" for x in w["highlights"]) + "</ul>")
    h.append("<h2>Volunteer</h2>")
    for v in r["volunteer"]:
        h.append(f"<p><b>{e(v['position'])}</b>, {e(v['organization'])}<br>{d(v['startDate'])} – {d(v['endDate'])}</p>")
        h.append(f"<p>{e(v['summary'])}</p>")
    h.append("<h2>Education</h2>")
    for ed in r["education"]:
        h.append(f"<p><b>{e(ed['institution'])}</b><br>{e(ed['studyType'])} of Science in {e(ed['area'])}, "
                 f"{d(ed['startDate'])} – {d(ed['endDate'])} (GPA {e(ed['score'])})</p>")
    h.append("<h2>Skills</h2>")
    if layout == "a":
        for s in r["skills"]:
            h.append(f"<p>{e(s['name'])} ({e(s['level'])}): {e(', '.join(s['keywords']))}</p>")
    else:
        h.append("<table>" + "".join(f"<tr><td><b>{e(s['name'])}</b></td><td>{e(', '.join(s['keywords']))}</td></tr>"
                                     for s in r["skills"]) + "</table>")
    h.append("<h2>Languages</h2><p>" + ", ".join(f"{e(l['language'])} ({e(l['fluency'])})" for l in r["languages"]) + "</p>")
    h.append("<h2>Projects</h2>")
    for p in r["projects"]:
        h.append(f"<p><b>{e(p['name'])}</b> — {e(p['description'])}</p><ul>"
                 + "".join(f"<li>{e(x)}</li>" for x in p["highlights"]) + "</ul>")
    h.append("</body></html>")
    return "\n".join(h)


for layout in ("a", "b"):
    with open(os.path.join(out, f"jsonresume_{layout}.html"), "w") as f:
        f.write(page(layout))

# DOCX written directly by python-docx: header paragraphs, tab-separated contact line, skills table.
import docx  # python3-docx (Debian)

doc = docx.Document()
doc.add_heading(b["name"], 0)
doc.add_paragraph(b["label"])
doc.add_paragraph(f"{b['email']}\t{b['phone']}\t{loc['city']}, {loc['region']}")
doc.add_paragraph(" · ".join(f"{p['network']}: {p['username']}" for p in b["profiles"]))
doc.add_heading("Professional Experience", 1)
for w in r["work"]:
    doc.add_paragraph(w["name"]).runs[0].bold = True
    doc.add_paragraph(f"{w['position']}\t{d(w['startDate'])} - {d(w['endDate'])}")
    for x in w["highlights"]:
        doc.add_paragraph(x, style="List Bullet")
doc.add_heading("Education", 1)
for ed in r["education"]:
    doc.add_paragraph(f"{ed['studyType']} of Science in {ed['area']}")
    doc.add_paragraph(f"{ed['institution']}\t{ed['endDate'][:4]}")
doc.add_heading("Technical Skills", 1)
t = doc.add_table(rows=0, cols=2)
for s in r["skills"]:
    row = t.add_row().cells
    row[0].text = s["name"]
    row[1].text = ", ".join(s["keywords"])
doc.add_heading("Languages", 1)
doc.add_paragraph(", ".join(l["language"] for l in r["languages"]))
doc.core_properties.author = ""
doc.save(os.path.join(out, "pythondocx_jsonresume.docx"))
