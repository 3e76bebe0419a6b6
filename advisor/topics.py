"""Distinct areas of state education policy, so the advisor can tell a topic its sources never
discuss from a paraphrase of one they do.

A small embedding model cannot tell "school vouchers" (a policy area of its own, absent from the
corpus) from "rollout support" (a paraphrase of implementation support): both are loosely similar
to funding or implementation sentences. This list supplies that world knowledge. It follows the
way state policy trackers (for example the Education Commission of the States' policy topics)
divide the field, and is written as areas, not as questions: each line is one topic and its
common names. A topic counts as covered when the corpus uses any of its names, so a user's own
documents about, say, charter schools make charter-school questions answerable.
"""

from __future__ import annotations

TOPICS: tuple[tuple[str, ...], ...] = (
    # school choice and governance
    ("vouchers", "voucher", "school vouchers", "voucher program", "opportunity scholarships"),
    ("education savings accounts", "education savings account", "ESA", "ESAs"),
    ("tax-credit scholarships", "tax credit scholarships", "scholarship tax credits"),
    ("charter schools", "charter school", "charters", "charter cap", "charter authorizers"),
    ("open enrollment", "inter-district transfers", "interdistrict transfer"),
    ("homeschooling", "homeschool", "home schooling", "home school", "homeschooled", "homeschoolers"),
    ("private schools", "private school", "parochial schools"),
    ("magnet schools", "magnet school"),
    ("school choice",),
    ("school board elections", "school board recall", "school board races"),
    ("mayoral control",),
    ("state takeover", "state takeovers", "receivership"),
    ("district consolidation", "school consolidation", "consolidating districts", "consolidate", "consolidation"),
    ("school closures", "closing schools", "school closure"),
    # the education workforce
    ("collective bargaining", "bargaining"),
    ("teacher unions", "teachers unions", "labor unions", "union contracts", "unionized"),
    ("teacher strikes", "teachers strike", "teacher strike", "walkout", "walkouts"),
    ("tenure", "teacher tenure"),
    ("pensions", "pension", "teacher retirement", "retirement system"),
    ("teacher pay", "teacher salaries", "teacher salary", "salary schedule", "salaries", "compensation", "merit pay"),
    ("loan forgiveness", "student loan forgiveness", "public service loan forgiveness"),
    ("background checks", "fingerprinting"),
    ("substitute teachers", "substitute teaching"),
    # safety and discipline
    ("school safety", "school security"),
    ("lockdown drills", "active shooter", "active-shooter", "school shootings", "shooter drills"),
    ("school resource officers", "school police", "police in schools"),
    ("firearms", "guns", "arming teachers", "concealed carry"),
    ("bullying", "cyberbullying", "harassment"),
    ("suspensions", "suspension", "expulsions", "expulsion", "zero tolerance", "corporal punishment"),
    ("dress codes", "dress code", "school uniforms", "uniforms", "uniform policy"),
    ("cell phones", "cell phone", "cellphones", "cellphone", "smartphones", "smartphone", "phone ban", "phones"),
    # health
    ("school meals", "school lunches", "school lunch", "free lunch", "school breakfast", "nutrition"),
    ("vaccinations", "vaccination", "vaccines", "immunizations", "immunization"),
    ("physical education", "recess"),
    ("sex education", "sex ed", "sexual health education"),
    ("school nurses", "school nurse"),
    ("vaping", "tobacco", "drug testing", "substance use"),
    ("concussions", "concussion"),
    # curriculum and the classroom
    ("book bans", "banned books", "book removals", "library books", "school libraries"),
    ("critical race theory",),
    ("science of reading", "phonics", "reading instruction"),
    (
        "grade retention",
        "third-grade retention",
        "third grade retention",
        "repeat the grade",
        "repeat a grade",
        "held back a grade",
        "social promotion",
    ),
    ("school prayer", "prayer in schools", "religion in schools", "ten commandments"),
    ("pledge of allegiance",),
    ("creationism", "teaching evolution", "intelligent design"),
    ("artificial intelligence", "chatgpt", "generative ai"),
    ("screen time", "social media"),
    ("homework",),
    ("class size", "class sizes", "class-size"),
    # operations and money
    ("school transportation", "school buses", "school bus", "bus routes", "bus drivers", "busing"),
    ("school start times", "start times", "later start"),
    ("four-day school week", "four-day week", "year-round school", "school calendar"),
    ("school construction", "school facilities", "facility bonds", "capital bonds", "bond issues"),
    ("property taxes", "property tax", "tax levies", "levy"),
    ("lottery", "lottery funds"),
    ("tuition", "free college", "college affordability", "student loans"),
    ("act scores", "sat scores", "college entrance exams", "admissions tests"),
    ("test cheating", "cheating scandal", "cheating"),
    ("opt out", "opt-out", "opting out", "test refusal", "participation rates", "participation rate"),
    ("a-f grades", "a-f school grades", "letter grades for schools"),
    # students and families
    ("immigration status", "undocumented students", "daca"),
    ("gifted and talented", "gifted education"),
    (
        "english learners",
        "english language learners",
        "english learner",
        "el services",
        "esl",
        "english as a second language",
        "bilingual education",
        "dual language",
    ),
    ("child care", "childcare", "daycare"),
    ("juvenile justice",),
    ("parental rights", "parents' bill of rights", "parents bill of rights"),
    ("transgender students", "gender identity", "bathroom policy"),
)


def named_topics(question_stems: list[str]) -> list[tuple[str, ...]]:
    """The topics whose names occur (as stemmed word sequences) in the question."""
    from advisor.lexicon import stem, words

    text = f" {' '.join(question_stems)} "
    found = []
    for topic in TOPICS:
        for name in topic:
            key = " ".join(stem(w) for w in words(name))
            if key and f" {key} " in text:
                found.append(topic)
                break
    return found
