#!/usr/bin/env python3
"""Derive ClearView's skills taxonomy (skills.tsv) from O*NET 29.2 Technology Skills.

Input : O*NET 29.2 `Technology Skills.txt` (CC BY 4.0, USDOL/ETA) and data/curated.tsv.
Output: data/skills.tsv, embedded by src/taxonomy.rs. The output is a MODIFIED subset:
        names cleaned ("... software" dropped), entries merged/renamed by curated.tsv,
        aliases added. See the NOTICE file at the repository root.

Which O*NET technologies are kept: every Hot Technology or In Demand example, every example
listed for >= 3 occupations, and developer-facing categories listed for >= 2 occupations.

Usage: python3 derive_taxonomy.py [ONET_DIR]   (default /work/shared/data/onet)
Deterministic: sorted output, no timestamps.
"""
import collections
import csv
import os
import re
import sys

HERE = os.path.dirname(os.path.abspath(__file__))
ONET = sys.argv[1] if len(sys.argv) > 1 else "/work/shared/data/onet"

DEV_CATEGORIES = {
    "Development environment software", "Object or component oriented development software",
    "Web platform development software", "Data base management system software",
    "Operating system software", "Program testing software", "Configuration management software",
    "Cloud-based management software", "Application server software",
    "Enterprise application integration software", "Business intelligence and data analysis software",
    "Data base user interface and query software", "Network monitoring software",
    "Metadata management software", "Data mining software", "Platform interconnectivity software",
    "Transaction security and virus protection software",
    "Network security or virtual private network VPN management software",
    "Cloud-based data access and sharing software", "Enterprise system management software",
}
# Vendor prefixes whose product name alone is also a common spelling ("Apache Kafka" -> "Kafka").
VENDORS = ["Microsoft", "Apache", "Atlassian", "Google", "Amazon", "Adobe", "IBM", "Oracle",
           "Autodesk", "Apple", "SAP", "Intuit", "Salesforce", "Red Hat", "The MathWorks",
           "Dassault Systemes", "ESRI", "Cisco", "VMware", "Epic Systems", "Bentley"]
# Product names that are also ordinary English words: only matched in skills lists.
COMMON_WORDS = {
    "access", "project", "teams", "outlook", "word", "chef", "puppet", "spark", "express",
    "office", "box", "slack", "zoom", "visio", "publisher", "paint", "notes", "sketch",
    "dreamweaver", "illustrator", "go", "r", "c", "make", "ant", "hive", "pig", "flash",
    "edge", "safari", "chrome", "bridge", "premiere", "animate", "acrobat", "reader",
    "forms", "lotus", "symphony", "works", "money", "quicken", "act", "maximizer", "drive",
    "dropbox", "keynote", "pages", "numbers", "photos", "mail", "calendar", "contacts", "docs",
    "sheets", "slides", "sites", "groups", "classroom", "meet", "analytics", "ads", "search",
    "maps", "earth", "translate", "people", "planner", "stream", "sway", "forms", "to do",
    "delve", "bookings", "lens", "whiteboard", "yammer", "kaizala", "list", "lists", "data",
    "windows", "dynamics", "explorer", "notepad", "facebook", "linkedin", "twitter", "instagram",
    "youtube", "pinterest", "tiktok", "snapchat", "email", "internet", "web", "oracle", "cloud",
    "server", "database", "creative cloud", "workspace", "store",
}


# O*NET examples that name a kind of software ("Scheduling software"), not a product: they
# keep their " software" suffix and get no one-word alias, or "testing" in prose would match.
GENERIC = {
    "accounting", "billing", "blogging", "bookkeeping", "budgeting", "calendar", "calibration",
    "chatbot", "connectivity", "database", "debuggers", "debugging", "deployment",
    "diagramming", "drawing", "educational", "email", "encoder", "encryption", "estimating",
    "firewall", "graphics", "inventory", "mapping", "mathematical", "medical", "migration",
    "modeling", "optimization", "payroll", "presentation", "pricing", "productivity",
    "purchasing", "recordkeeping", "reporting", "scanning", "scheduling", "simulation",
    "spreadsheet", "statistical", "survey", "tax", "teleconferencing", "testing",
    "timekeeping", "videoconferencing", "workflow", "google", "antivirus", "anti-spyware",
    "photogrammetric", "honeypot", "disassembler", "mathematical", "word processing",
}


def clean(name):
    n = re.sub(r"\s+software$", "", name.strip())
    if n.lower() in GENERIC:
        return name.strip()
    return n


def alias_forms(name):
    """Spellings derived mechanically from an O*NET example name."""
    out = {name.lower(), clean(name).lower()}
    base = clean(name)
    words = base.split()
    # "Hypertext markup language HTML" -> "HTML" and "Hypertext markup language"
    if len(words) >= 3 and re.fullmatch(r"[A-Z][A-Z0-9]{1,7}", words[-1]):
        out.add(words[-1].lower())
        out.add(" ".join(words[:-1]).lower())
    for v in VENDORS:
        if base.startswith(v + " "):
            rest = base[len(v) + 1:]
            # A plain capitalised word left over ("Oracle Reports" -> "Reports") is usually
            # English, not a product name: only distinctive remainders become aliases.
            plain_word = re.fullmatch(r"[A-Z][a-z]+", rest) is not None
            if len(rest) >= 4 and rest.lower() not in COMMON_WORDS and not plain_word:
                out.add(rest.lower())
    return {a for a in out if a}


def main():
    occ = collections.defaultdict(set)
    hot, demand, cat = set(), set(), {}
    with open(os.path.join(ONET, "Technology Skills.txt"), encoding="utf-8", newline="") as f:
        for r in csv.DictReader(f, delimiter="\t"):
            e = r["Example"].strip()
            occ[e].add(r["O*NET-SOC Code"])
            cat.setdefault(e, r["Commodity Title"].strip())
            if r["Hot Technology"] == "Y":
                hot.add(e)
            if r["In Demand"] == "Y":
                demand.add(e)

    keep = {e for e in occ if e in hot or e in demand or len(occ[e]) >= 3
            or (cat[e] in DEV_CATEGORIES and len(occ[e]) >= 2)}

    # canonical -> record
    skills = {}

    def rec(canonical):
        return skills.setdefault(canonical, {
            "category": None, "hot": False, "demand": False, "occ": set(),
            "source": "onet", "context": None, "aliases": set()})

    curated = []
    with open(os.path.join(HERE, "curated.tsv"), encoding="utf-8") as f:
        for line in f:
            if line.startswith("#") or not line.strip():
                continue
            canonical, onet, context, aliases, category = line.rstrip("\n").split("\t")
            curated.append((canonical, [] if onet == "-" else onet.split("|"), context,
                            [a for a in aliases.split("|") if a], category))

    renamed = {}
    for canonical, onet_names, _, _, _ in curated:
        for n in onet_names:
            if n not in occ:
                print(f"warning: curated O*NET name not found: {n!r}", file=sys.stderr)
                continue
            renamed[n] = canonical
            keep.add(n)

    for e in sorted(keep):
        canonical = renamed.get(e, clean(e))
        r = rec(canonical)
        r["category"] = r["category"] or cat[e]
        r["hot"] |= e in hot
        r["demand"] |= e in demand
        r["occ"] |= occ[e]
        r["aliases"] |= alias_forms(e)

    for canonical, onet_names, context, aliases, category in curated:
        r = rec(canonical)
        if not onet_names or not any(n in occ for n in onet_names):
            r["source"] = "curated"
        else:
            r["source"] = "onet+curated"
        r["category"] = r["category"] or category
        r["context"] = context
        r["aliases"] |= {a.lower() for a in aliases}

    # An alias claimed by two skills is ambiguous: the curated owner wins, otherwise drop it.
    owners = collections.defaultdict(list)
    for c, r in skills.items():
        r["aliases"].add(c.lower())
        for a in r["aliases"]:
            owners[a].append(c)
    for a, cs in owners.items():
        if len(cs) > 1:
            cur = [c for c in cs if skills[c]["source"] != "onet" and a in {c.lower()} | set()]
            winner = None
            for c in cs:
                if c.lower() == a:
                    winner = c
            if winner is None:
                cur = [c for c in cs if skills[c]["source"] != "onet"]
                winner = cur[0] if len(cur) == 1 else None
            for c in cs:
                if c != winner:
                    skills[c]["aliases"].discard(a)

    with open(os.path.join(HERE, "skills.tsv"), "w", encoding="utf-8", newline="\n") as out:
        out.write("# Derived from O*NET 29.2 Technology Skills (CC BY 4.0, USDOL/ETA), modified by "
                  "ClearView: subset, renamed, merged, aliases added. Generated by "
                  "derive_taxonomy.py from curated.tsv; do not edit by hand.\n")
        out.write("# canonical\tcategory\thot\tin_demand\toccupations\tsource\tcontext\taliases\n")
        for c in sorted(skills, key=lambda s: (s.lower(), s)):
            r = skills[c]
            context = r["context"]
            if context is None:
                context = "list" if (len(c) <= 2 or c.lower() in COMMON_WORDS) else "any"
            aliases = sorted(a for a in r["aliases"] if a != c.lower())
            out.write("\t".join([c, r["category"] or "", "Y" if r["hot"] else "N",
                                 "Y" if r["demand"] else "N", str(len(r["occ"])), r["source"],
                                 context, "|".join(aliases)]) + "\n")
    print(f"wrote {len(skills)} skills", file=sys.stderr)


if __name__ == "__main__":
    main()
