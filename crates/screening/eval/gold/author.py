#!/usr/bin/env python3
"""Writes eval/gold/*.json. The values below were typed by hand from each file's `pdftotext
-layout` text (DOCX: the document as LibreOffice shows it), never from the parser's output.
Files that show the same person share a block; per-file differences are spelled out.
Keys left out of an entry are not checked; see ../README.md for the format.
identifiers.address holds street addresses only (a district such as "Mapo-gu" is a coarse
location, like the city the profile keeps)."""
import json, os

NOT = ["C", "C#", "R", "Go"]  # common false positives, checked unless the file really has them
here = os.path.dirname(os.path.abspath(__file__))
gold = {}


def put(file, **g):
    g = {"file": file, **g}
    gold[file] = g


# --- best-resume-ever (Chromium/Skia), one persona in six layouts --------------------------------
bre_exp = [
    {"company": "Company A", "title": "Developer", "start": "2016-01", "current": True},
    {"company": "Company B", "title": "Frontend Developer", "start": "2015-01", "end": "2015-12", "current": False},
    {"company": "Company C", "title": "Trainee", "start": "2014-03", "end": "2014-12", "current": False},
]
bre_edu = [
    {"institution": "University A", "level": "master", "field": "Hacking and Computer Penetration"},
    {"institution": "University B", "level": "bachelor", "field": "Engineering"},
]
bre_edu_years = [dict(bre_edu[0], end_year=2013), dict(bre_edu[1], end_year=2011)]
bre_ids = {"name": ["John", "Doe"], "email": ["john.doe@email.com"], "phone": ["0123 456789"],
           "address": ["1234 Broadway"], "url": ["johndoe.com", "github.com/johnyD"], "handle": ["johnyD"]}
bre = dict(name="John Doe", email="john.doe@email.com", phone="0123 456789", experience=bre_exp,
           skills_must=["HTML", "CSS", "JavaScript", "Node.js", "Angular", "TypeScript", "Docker",
                        "Adobe Photoshop", "Adobe Illustrator"],
           skills_must_not=NOT, languages=["English", "Klingon"], identifiers=bre_ids)
put("chromium_left_right.pdf", location="New York", education=bre_edu, **bre)
put("chromium_oblique.pdf", location="New York", education=bre_edu, **bre)
put("chromium_side_bar.pdf", location="New York", education=bre_edu, **bre)
put("chromium_material_dark.pdf", location="New York", education=bre_edu_years, **bre)
# purple and green show no address line: location not checked
put("chromium_purple.pdf", education=bre_edu_years, **bre)
put("chromium_green.pdf", education=bre_edu_years, **bre)

# --- RenderCV 2 sample (LaTeX, pdfTeX): John Doe with placeholder contact details ----------------
rcv_ids = {"name": ["John", "Doe"], "email": ["youremail@yourdomain.com"], "phone": ["0541 999 99 99"],
           "url": ["yourwebsite.com"], "handle": ["yourusername"]}
rcv = dict(name="John Doe", email="youremail@yourdomain.com", phone=["0541 999 99 99", "+90 541 999 99 99"],
           experience=[
               {"company": "Apple", "title": "Software Engineer", "start": "2005-06", "end": "2007-08", "current": False},
               {"company": "Microsoft", "title": "Software Engineer Intern", "start": "2003-06", "end": "2003-08", "current": False},
           ],
           education=[{"institution": "University of Pennsylvania", "level": "bachelor", "field": "Computer Science", "end_year": 2005}],
           skills_must=["C++", "C", "Java", "Objective-C", "C#", "SQL", "JavaScript", ".NET", "Microsoft SQL Server", "Perl", "XML"],
           skills_must_not=["R", "Go"], languages=[], identifiers=rcv_ids)
for f in ["rendercv_classic.pdf", "rendercv_sb2nov.pdf", "rendercv_engineeringresumes.pdf", "rendercv_moderncv.pdf"]:
    put(f, **rcv)

# --- RenderCV 2.8 sample rendered with Typst ("Jane Smith") --------------------------------------
tcv = dict(name="Jane Smith", email="john.doe@example.com", phone=["(609) 999-9995", "+1-609-999-9995"],
           experience=[
               {"company": "Company C", "title": "Summer Intern", "start": "2024-06", "end": "2024-09", "current": False},
               {"company": "Company B", "title": "Summer Intern", "start": "2023-06", "end": "2023-09", "current": False},
               {"company": "Company A", "title": "Summer Intern", "start": "2022-06", "end": "2022-09", "current": False},
           ],
           education=[
               {"institution": "Stanford University", "level": "doctorate", "field": "Computer Science"},
               {"institution": ["Boğaziçi University", "Bogazici University"], "level": "bachelor",
                "field": "Computer Engineering", "end_year": 2022},
           ],
           skills_must=["Python", "C++", "Git"], skills_must_not=NOT, languages=["English", "Turkish"],
           identifiers={"name": ["Jane", "Smith"], "email": ["john.doe@example.com"], "phone": ["(609) 999-9995"],
                        "handle": ["john.doe"]})
for t in ["classic", "engineeringresumes", "sb2nov", "moderncv", "engineeringclassic"]:
    put(f"typst_rendercv_{t}.pdf", **tcv)

# --- basic-typst-resume-template (Typst 0.11) ----------------------------------------------------
put("typst_basic.pdf", name="Stephen Xu", email="stxu@hmc.edu", phone=None, location="San Diego",
    experience=[
        {"company": "Microscopic Circus, Schrodinger's University", "title": "Subatomic Shepherd and Caffeine Connoisseur", "start": "2024-05", "current": True},
        {"company": "Organic Stupidity Startup", "title": "AI Wrangler and Code Ninja", "start": "2023-12", "end": "2024-03", "current": False},
        {"company": "Pixels & Profit Interactive", "title": "Digital Playground Architect", "start": "2020-06", "end": "2023-05", "current": False},
        {"company": "Bits & Bytes Consulting", "title": "Code Conjurer Intern", "start": "2022-06", "end": "2022-08", "current": False},
    ],
    education=[{"institution": "Harvey Mudd College", "level": "bachelor", "field": ["Computer Science and Mathematics", "Computer Science"], "end_year": 2027}],
    skills_must=["JavaScript", "Python", "C++", "C", "HTML", "CSS", "Java", "Bash", "R", "Dart", "React", "Svelte",
                 "Git", "UNIX", "Docker", "NGINX", "Google Cloud Platform", "Kubernetes", "MongoDB"],
    # (the file spells TypeScript "TypesScript": not a must)
    skills_must_not=["C#", "Go"], languages=[],
    identifiers={"name": ["Stephen", "Xu"], "email": ["stxu@hmc.edu"], "url": ["github.com/stuxf", "linkedin.com/in/stuxf", "stuxf.dev"],
                 "handle": ["stuxf"]})

# --- OpenResume sample (react-pdf) ---------------------------------------------------------------
put("reactpdf_openresume.pdf", name="John Doe", email="hello@openresume.com", phone="123-456-7890", location=["NYC", "New York"],
    experience=[
        {"company": "ABC Company", "title": "Software Engineer", "start": "2023-05", "current": True},
        {"company": "DEF Organization", "title": "Software Engineer Intern", "start": "2022", "end": "2022", "current": False},
        {"company": "XYZ University", "title": "Research Assistant", "start": "2021", "end": "2021", "current": False},
    ],
    education=[{"institution": "XYZ University", "level": "bachelor", "field": "Computer Science", "end_year": 2023}],
    skills_must=["HTML", "CSS", "Python", "TypeScript", "React", "C++", "GraphQL", "Node.js", "SQL", "PostgreSQL",
                 "NoSQL", "Redis", "REST APIs", "Git", "Agile"],
    skills_must_not=NOT, languages=[],
    identifiers={"name": ["John", "Doe"], "email": ["hello@openresume.com"], "phone": ["123-456-7890"],
                 "url": ["linkedin.com/in/john-doe"], "handle": ["john-doe"]})

# --- University of La Verne sample (Word for Mac, Quartz PDFContext: one text object per word) ----
put("word_mac_laverne.pdf", name="Leo Leopard", email="lleopard@laverne.edu", phone="(909) 555-5555", location="La Verne",
    experience=[
        {"company": ["Enactus", "Enactus, University of La Verne"], "title": "Member", "start": "2013-08", "current": True},
        {"company": "LionLike MindState", "title": "Volunteer", "start": "2012-06", "current": True},
        {"company": "YMCA", "title": "Volunteer Swim Coach", "current": False},
    ],
    education=[{"institution": "University of La Verne", "level": "bachelor", "field": "Business Administration", "end_year": 2016}],
    skills_must=["Microsoft Windows", "Apple macOS", "Microsoft Word", "Microsoft PowerPoint", "Microsoft Excel", "Facebook", "Twitter", "Instagram"],
    skills_must_not=NOT, languages=["Spanish"],
    identifiers={"name": ["Leo", "Leopard"], "email": ["lleopard@laverne.edu"], "phone": ["(909) 555-5555"],
                 "address": ["555 La Verne Way"]})

# --- Deedy (XeTeX/xdvipdfmx), two font builds --------------------------------------------------
deedy = dict(name="Debarghya Das", email=["deedy@fb.com", "dd367@cornell.edu"], phone="607.379.5733",
             experience=[
                 {"company": "Facebook", "title": "Software Engineer", "start": "2015-01", "current": True},
                 {"company": "Coursera", "title": "KPCB Fellow + Software Engineering Intern", "start": "2014-06", "end": "2014-09", "current": False},
                 {"company": "Google", "title": "Software Engineering Intern", "start": "2013-05", "end": "2013-08", "current": False},
                 {"company": "Phabricator", "title": "Open Source Contributor & Team Leader", "start": "2013-01", "end": "2013-05", "current": False},
                 {"company": "Cornell Robot Learning Lab", "title": "Researcher", "start": "2014-01", "end": "2015-01", "current": False},
                 {"company": "Cornell Phonetics Lab", "title": "Head Undergraduate Researcher", "start": "2012-03", "end": "2013-05", "current": False},
             ],
             education=[
                 {"institution": "Cornell University", "level": "master", "field": "Computer Science", "end_year": 2014},
                 {"institution": "Cornell University", "level": "bachelor", "field": "Computer Science", "end_year": 2014},
                 {"institution": "La Martiniere for Boys", "level": "high_school", "end_year": 2011},
             ],
             skills_must=["Java", "Python", "JavaScript", "OCaml", "MATLAB", "Ruby on Rails", "C", "C++", "CSS", "PHP",
                          "Assembly", "Android", "MySQL", "Scala"],
             skills_must_not=["C#", "R", "Go"], languages=[],
             identifiers={"name": ["Debarghya", "Das"], "email": ["deedy@fb.com", "dd367@cornell.edu"], "phone": ["607.379.5733"],
                          "url": ["debarghyadas.com", "fb.co/dd"],
                          "handle": ["deedydas", "debarghyadas", "DeedyDash007", "debarghya_das", "Debarghya-Das"]})
put("deedy_macfonts.pdf", **deedy)
put("deedy_openfont.pdf", **deedy)

# --- sb2nov/resume (pdfTeX) ----------------------------------------------------------------------
put("sb2nov_resume.pdf", name="Sourabh Bajaj", email="sourabh@sourabhbajaj.com", phone="+1-123-456-7890",
    experience=[
        {"company": "Google", "title": "Software Engineer", "start": "2016-10", "current": True},
        {"company": "Coursera", "title": "Senior Software Engineer", "start": "2014-01", "end": "2016-10", "current": False},
        {"company": "Lucena Research", "title": "Data Scientist", "current": False},
        {"company": "Georgia Institute of Technology", "title": "Research and Teaching Assistant", "start": "2012-01", "end": "2013-12", "current": False},
    ],
    education=[
        {"institution": "Georgia Institute of Technology", "level": "master", "field": "Computer Science", "end_year": 2013},
        {"institution": "Birla Institute of Technology and Science", "level": "bachelor", "field": "Electrical and Electronics", "end_year": 2012},
    ],
    skills_must=["TensorFlow", "Apache Hadoop", "Apache Cassandra", "Docker", "Amazon Web Services AWS software", "Python", "R", "Amazon Redshift", "D3.js", "Git"],
    skills_must_not=["C", "C#", "Go"], languages=[],
    identifiers={"name": ["Sourabh", "Bajaj"], "email": ["sourabh@sourabhbajaj.com"], "phone": ["+1-123-456-7890"],
                 "url": ["sourabhbajaj.com"]})

# --- Awesome-CV (LuaTeX): resume and CV of the class's author; and pyresparser's author (XeTeX) ----
acv_ids = {"email": ["posquit0.bj@gmail.com"], "phone": ["(+82) 10-9030-1843"], "url": ["www.posquit0.com"],
           "handle": ["posquit0"]}
put("awesomecv_resume.pdf", name="Byungjin Park", email="posquit0.bj@gmail.com", phone="(+82) 10-9030-1843", location="Seoul",
    experience=[
        {"company": "Dunamu Inc.", "title": "DevOps Engineer", "start": "2023-09", "end": "2024-03", "current": False},
        {"company": "Danggeun Pay Inc. (KarrotPay)", "title": "Founding Member & Site Reliability Engineer & Infrastructure Team Lead", "start": "2021-03", "end": "2023-06", "current": False},
        {"company": "Danggeun Market Inc.", "title": "Site Reliability Engineer", "start": "2021-02", "end": "2021-03", "current": False},
        {"company": "Kasa", "title": "Founding Member & Director of Infrastructure Division", "start": "2018-06", "end": "2021-01", "current": False},
        {"company": "Omnious. Co., Ltd.", "title": "Software Architect", "start": "2017-06", "end": "2018-05", "current": False},
        {"company": "PLAT Corp.", "title": "Co-founder & Software Engineer", "start": "2016-01", "end": "2017-06", "current": False},
        {"company": "R.O.K Cyber Command, MND", "title": "Software Engineer & Security Researcher (Compulsory Military Service)", "start": "2014-08", "end": "2016-04", "current": False},
        {"company": "ShitOne Corp.", "title": "Software Engineer", "start": "2011-12", "end": "2012-02", "current": False},
    ],
    education=[{"institution": "POSTECH(Pohang University of Science and Technology)", "level": "bachelor", "field": "Computer Science and Engineering", "end_year": 2017}],
    skills_must=["Terraform", "Kubernetes", "Docker", "Apache Kafka", "Grafana", "InfluxDB", "Elasticsearch", "Node.js",
                 "Ansible", "Amazon Web Services AWS software", "GitHub", "Slack", "OpenVPN", "Istio", "Android"],
    skills_must_not=NOT, languages=[],
    identifiers=dict(acv_ids, name=["Byungjin", "Park"]))
put("awesomecv_cv.pdf", name="Claud D. Park", email="posquit0.bj@gmail.com", phone="(+82) 10-9030-1843", location="Seoul",
    experience=[
        {"company": "Danggeun Pay Inc. (KarrotPay)", "title": "Founding Member & Site Reliability Engineer & Infrastructure Team Lead", "start": "2021-03", "current": True},
        {"company": "Danggeun Market Inc.", "title": "Site Reliability Engineer", "start": "2021-02", "end": "2021-03", "current": False},
        {"company": "Kasa", "title": "Founding Member & Director of Infrastructure Division", "start": "2018-06", "end": "2021-01", "current": False},
        {"company": "Omnious. Co., Ltd.", "title": "Software Architect", "start": "2017-06", "end": "2018-05", "current": False},
        {"company": "PLAT Corp.", "title": "Co-founder & Software Engineer", "start": "2016-01", "end": "2017-06", "current": False},
        {"company": "Undergraduate Research, Machine Learning Lab(Prof. Seungjin Choi)", "title": "Researcher", "start": "2016-03", "end": "2017-06", "current": False},
        {"company": "R.O.K Cyber Command, MND", "title": "Software Engineer & Security Researcher (Compulsory Military Service)", "start": "2014-08", "end": "2016-04", "current": False},
        {"company": "NEXON", "title": "Game Developer Intern at Global Internship Program", "start": "2013-01", "end": "2013-02", "current": False},
        {"company": "Undergraduate Research, Computer Vision Lab(Prof. Bohyung Han)", "title": "Researcher for <Detecting video's torrents using image similarity algorithms>", "start": "2012-09", "end": "2013-02", "current": False},
        {"company": "Software Maestro (funded by Korea Ministry of Knowledge and Economy)", "title": "Software Engineer Trainee", "start": "2012-07", "end": "2013-06", "current": False},
        {"company": "ShitOne Corp.", "title": "Software Engineer", "start": "2011-12", "end": "2012-02", "current": False},
        {"company": "SAMSUNG Electronics", "title": "Freelance Penetration Tester", "current": False},
    ],
    education=[{"institution": "POSTECH(Pohang University of Science and Technology)", "level": "bachelor", "field": "Computer Science and Engineering", "end_year": 2017}],
    skills_must=["Amazon Web Services AWS software", "Docker", "Kubernetes", "Vagrant", "Terraform", "Jenkins", "Express.js", "Django",
                 "REST APIs", "Redux", "React", "HTML", "LESS", "Sass", "Node.js", "Python", "Java", "OCaml", "LaTeX"],
    skills_must_not=NOT, languages=["Korean", "English", "Japanese"],
    identifiers=dict(acv_ids, name=["Claud", "Park"]))
put("pyresparser_omkar.pdf", name="Omkar Pathak", email="omkarpathak27@gmail.com", phone="(+91) 8087996634", location="Pune",
    experience=[
        {"company": "Schlumberger", "title": "Data Engineer", "start": "2018-07", "current": True},
        {"company": "Truso", "title": "Full Stack Developer Intern", "start": "2018-06", "end": "2018-07", "current": False},
        {"company": "Propeluss", "title": "Data Engineering Intern", "start": "2017-10", "end": "2018-01", "current": False},
        {"company": "GeeksForGeeks", "title": "Technical Content Writer", "start": "2017-07", "end": "2017-09", "current": False},
        {"company": "Softtestlab Technologies", "title": "Web Developer Intern", "start": "2017-06", "end": "2017-07", "current": False},
    ],
    education=[{"institution": "Marathwada Mitra Mandal's College of Engineering", "level": "bachelor", "field": "Computer Engineering", "end_year": 2018}],
    skills_must=["Python", "C", "PHP", "C++", "HTML", "CSS", "JavaScript", "Angular", "Django", "Flask", "Laravel", "Linux",
                 "UNIX", "Microsoft Windows", "MySQL", "SQLite", "MongoDB", "Git", "Scikit-learn", "OpenCV", "Google Cloud Platform", "Microsoft Azure"],
    skills_must_not=["C#", "R", "Go"], languages=[],
    identifiers={"name": ["Omkar", "Pathak"], "email": ["omkarpathak27@gmail.com"], "phone": ["(+91) 8087996634"],
                 "url": ["www.omkarpathak.in"], "handle": ["OmkarPathak", "omkar-pathak-94473811b"]})

# --- moderncv's own template (LuaTeX): placeholders only, contact and identifiers checked --------
put("moderncv_banking.pdf", name="John Doe", email="john@doe.org", phone="+1 (234) 567 890",
    skills_must=[], skills_must_not=NOT,
    identifiers={"name": ["John", "Doe"], "email": ["john@doe.org"], "phone": ["+1 (234) 567 890", "+2 (345) 678 901", "+3 (456) 789 012"],
                 "url": ["www.johndoe.com"], "handle": ["jdoe", "john.doe"]})

# --- JSON Resume sample, laid out here (LibreOffice PDF and DOCX, wkhtmltopdf, pandoc, python-docx)
jr_ids = {"name": ["Richard", "Hendriks"], "email": ["richard.hendriks@mail.com"], "phone": ["(912) 555-4321"],
          "address": ["2712 Broadway St"], "url": ["richardhendricks.example.com"], "handle": ["neutralthoughts", "dandymusicnl"]}
jr_job = {"company": "Pied Piper", "title": "CEO/President", "start": "2013-12", "end": "2014-12", "current": False}
jr_vol = {"company": "CoderDojo", "title": "Teacher", "start": "2012-01", "end": "2013-01", "current": False}
jr = dict(name="Richard Hendriks", email="richard.hendriks@mail.com", phone="(912) 555-4321", location="San Francisco",
          education=[{"institution": "University of Oklahoma", "level": "bachelor", "field": "Information Technology", "end_year": 2014}],
          skills_must=["HTML", "CSS", "JavaScript"], skills_must_not=NOT, languages=["English"], identifiers=jr_ids)
for f in ["libreoffice_jsonresume.pdf", "libreoffice_jsonresume.docx", "wkhtmltopdf_jsonresume.pdf", "pandoc_jsonresume.docx"]:
    put(f, experience=[jr_job, jr_vol], **jr)
put("pythondocx_jsonresume.docx", experience=[jr_job], **dict(jr, identifiers={k: v for k, v in jr_ids.items() if k != "address"}))

for f, g in gold.items():
    with open(os.path.join(here, os.path.splitext(f)[0] + "." + f.rsplit(".", 1)[1] + ".json"), "w") as out:
        json.dump(g, out, ensure_ascii=False, indent=1)
        out.write("\n")
print(len(gold), "gold files")
