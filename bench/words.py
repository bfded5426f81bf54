"""Word lists for the synthetic benchmark database: names, places, titles and phrases.

Surnames carry rough UK frequencies (Smith about 1.3 % of people) so that a surname query
matches as many people as it would in a real agency's database; the rest of the surnames
are built from common English surname parts, which gives a long tail of rare names.
"""

from __future__ import annotations

# fmt: off
# The most common surnames in England and Wales with their share per 10,000 people.
COMMON_SURNAMES: list[tuple[str, int]] = [
    ("Smith", 126),
    ("Jones", 75),
    ("Williams", 62),
    ("Taylor", 57),
    ("Brown", 52),
    ("Davies", 47),
    ("Evans", 38),
    ("Wilson", 36),
    ("Thomas", 35),
    ("Johnson", 34),
    ("Roberts", 33),
    ("Robinson", 27),
    ("Thompson", 27),
    ("Wright", 26),
    ("Walker", 25),
    ("White", 24),
    ("Edwards", 24),
    ("Hughes", 23),
    ("Green", 23),
    ("Hall", 22),
    ("Lewis", 22),
    ("Harris", 22),
    ("Clarke", 21),
    ("Patel", 21),
    ("Jackson", 20),
    ("Wood", 20),
    ("Turner", 19),
    ("Martin", 19),
    ("Cooper", 19),
    ("Hill", 19),
    ("Ward", 18),
    ("Morris", 18),
    ("Moore", 18),
    ("Clark", 17),
    ("Lee", 17),
    ("King", 17),
    ("Baker", 17),
    ("Harrison", 16),
    ("Morgan", 16),
    ("Allen", 16),
    ("James", 15),
    ("Scott", 15),
    ("Phillips", 15),
    ("Watson", 14),
    ("Davis", 14),
    ("Parker", 14),
    ("Price", 14),
    ("Bennett", 14),
    ("Young", 14),
    ("Griffiths", 13),
    ("Mitchell", 13),
    ("Kelly", 13),
    ("Cook", 13),
    ("Carter", 13),
    ("Richardson", 13),
    ("Bailey", 12),
    ("Collins", 12),
    ("Bell", 12),
    ("Shaw", 12),
    ("Murphy", 12),
    ("Miller", 12),
    ("Cox", 12),
    ("Richards", 11),
    ("Khan", 11),
    ("Marshall", 11),
    ("Anderson", 11),
    ("Simpson", 11),
    ("Ellis", 11),
    ("Adams", 11),
    ("Singh", 11),
    ("Begum", 10),
    ("Wilkinson", 10),
    ("Foster", 10),
    ("Chapman", 10),
    ("Powell", 10),
    ("Webb", 10),
    ("Rogers", 10),
    ("Gray", 10),
    ("Mason", 10),
    ("Ali", 10),
    ("Hunt", 10),
    ("Hussain", 9),
    ("Campbell", 9),
    ("Matthews", 9),
    ("Owen", 9),
    ("Palmer", 9),
    ("Holmes", 9),
    ("Mills", 9),
    ("Barnes", 9),
    ("Knight", 9),
    ("Lloyd", 9),
    ("Butler", 9),
    ("Russell", 9),
    ("Barker", 9),
    ("Fisher", 9),
    ("Stevens", 8),
    ("Jenkins", 8),
    ("Murray", 8),
    ("Dixon", 8),
    ("Harvey", 8),
    ("O'Brien", 6),
    ("Ó Súilleabháin", 1),
    ("Smithson", 2),
    ("Smithers", 2),
]

# Parts for the long tail of rarer surnames: "Ash" + "worth" -> "Ashworth".
SURNAME_STARTS = [
    "Ash", "Black", "Brad", "Brook", "Burn", "Cal", "Carl", "Chad", "Clay", "Cross", "Dal",
    "Dun", "East", "Elm", "Fair", "Farn", "Fern", "Ford", "Gar", "Glad", "Gold", "Green",
    "Hal", "Ham", "Har", "Haw", "Hay", "Heath", "Hol", "Hurst", "Kings", "Lang", "Lea",
    "Lind", "Lock", "Long", "Mar", "Mel", "Mid", "Mill", "Moor", "New", "North", "Oak",
    "Pem", "Pen", "Rad", "Red", "Ring", "Rock", "Ros", "Rush", "Sal", "Sand", "Sher",
    "Shel", "Stan", "Stock", "Stone", "Sut", "Thorn", "Tre", "Under", "Wal", "Ware",
    "Wat", "Wen", "West", "Whit", "Wil", "Win", "Wood", "Wor", "Yar", "Zel", "Quin",
    "Ib", "Ux", "Vin", "Jar",
]
SURNAME_ENDS = [
    "worth", "ley", "ton", "field", "ford", "ham", "wood", "by", "more", "well", "stone",
    "bridge", "combe", "croft", "dale", "den", "gate", "hurst", "land", "man", "mere",
    "port", "shaw", "thorpe", "wick", "win", "low", "berry", "bourne", "cott", "dell",
    "ing", "son", "er", "kin", "ridge", "holme", "grove", "lock", "ward",
]

FIRST_NAMES = [
    "Aaliyah", "Abigail", "Adam", "Adrian", "Ahmed", "Aisha", "Alan", "Alex", "Alexander",
    "Alice", "Alison", "Amanda", "Amelia", "Amir", "Amy", "Andrew", "Angela", "Anna",
    "Anne", "Anthony", "Asif", "Barbara", "Ben", "Beth", "Bridget", "Caroline", "Carol",
    "Catherine", "Charles", "Charlotte", "Chloe", "Chris", "Christine", "Claire", "Colin",
    "Craig", "Daniel", "David", "Deborah", "Dominic", "Eleanor", "Elizabeth", "Emily",
    "Emma", "Fatima", "Fiona", "Frances", "Gareth", "Gemma", "Geoffrey", "George",
    "Gillian", "Graham", "Hannah", "Harriet", "Harry", "Helen", "Ian", "Imran", "Isabel",
    "Jack", "James", "Jane", "Janet", "Jason", "Jennifer", "Jessica", "Joanna", "John",
    "Jonathan", "Joseph", "Julia", "Julie", "Karen", "Kate", "Katherine", "Keith", "Kevin",
    "Laura", "Lauren", "Lee", "Linda", "Lisa", "Louise", "Lucy", "Mark", "Martin", "Mary",
    "Matthew", "Megan", "Michael", "Michelle", "Mohammed", "Naomi", "Natalie", "Neil",
    "Nicola", "Nigel", "Olivia", "Owen", "Patricia", "Paul", "Peter", "Philip", "Priya",
    "Rachel", "Rebecca", "Richard", "Robert", "Ruth", "Sally", "Samantha", "Sarah",
    "Sean", "Siobhan", "Simon", "Sophie", "Stephen", "Steven", "Stuart", "Susan",
    "Tariq", "Thomas", "Timothy", "Tom", "Victoria", "William", "Yasmin", "Zoe", "Zainab",
    "Chidi", "Ngozi", "Oluwaseun", "Wei", "Mei", "Hiroshi", "Siân", "Eoin", "Aoife",
    "Renée", "José", "Zoë",
]

PLACES = [
    "Barnsley", "Bath", "Bedford", "Birmingham", "Blackburn", "Blackpool", "Bolton",
    "Bournemouth", "Bradford", "Brighton", "Bristol", "Burnley", "Bury", "Calderdale",
    "Cambridge", "Camden", "Canterbury", "Carlisle", "Cheshire", "Chester", "Chesterfield",
    "Colchester", "Cornwall", "Coventry", "Croydon", "Cumbria", "Darlington", "Derby",
    "Derbyshire", "Devon", "Doncaster", "Dorset", "Dudley", "Durham", "Ealing", "Enfield",
    "Essex", "Exeter", "Gateshead", "Gloucester", "Greenwich", "Hackney", "Halton",
    "Harrogate", "Hartlepool", "Hereford", "Hertfordshire", "Hillingdon", "Hounslow",
    "Hull", "Ipswich", "Islington", "Kent", "Kingston", "Kirklees", "Knowsley", "Lambeth",
    "Lancashire", "Leeds", "Leicester", "Lewisham", "Lincoln", "Liverpool", "Luton",
    "Manchester", "Medway", "Merton", "Middlesbrough", "Milton Keynes", "Newcastle",
    "Newham", "Norfolk", "Northampton", "Northumberland", "Norwich", "Nottingham",
    "Oldham", "Oxford", "Peterborough", "Plymouth", "Poole", "Portsmouth", "Preston",
    "Reading", "Redbridge", "Rochdale", "Rotherham", "Salford", "Sandwell", "Sefton",
    "Sheffield", "Shropshire", "Slough", "Solihull", "Somerset", "Southampton",
    "Southend", "Southwark", "St Helens", "Stockport", "Stockton", "Stoke", "Suffolk",
    "Sunderland", "Surrey", "Sutton", "Swindon", "Tameside", "Telford", "Torbay",
    "Trafford", "Wakefield", "Walsall", "Warrington", "Warwick", "Westminster", "Wigan",
    "Wiltshire", "Wirral", "Wolverhampton", "Worcester", "York", "Harrow", "Barnet",
    "Bexley", "Bromley", "Havering", "Wandsworth", "Richmond", "Haringey", "Tower Hamlets",
    "Waltham Forest", "Brent", "Kensington", "Chelsea", "Hammersmith", "Fulham",
    "Gosport", "Fareham", "Eastleigh", "Basingstoke", "Winchester", "Crawley", "Worthing",
    "Hastings", "Eastbourne", "Maidstone", "Ashford", "Dover", "Thanet", "Swale",
    "Chelmsford", "Basildon", "Harlow", "Stevenage", "Watford", "St Albans", "Dacorum",
]

QUALIFIERS = ["", "", "", "North", "South", "East", "West", "Central", "Greater", "Mid"]

# (pattern, organisation type, sector); "{p}" is the place.
ORGANISATION_PATTERNS: list[tuple[str, str, str]] = [
    ("{p} Hospitals NHS Foundation Trust", "nhs_foundation_trust", "health_social_care"),
    ("{p} Teaching Hospitals NHS Trust", "nhs_trust", "health_social_care"),
    ("{p} Community Healthcare NHS Trust", "nhs_trust", "health_social_care"),
    ("{p} Partnership NHS Foundation Trust", "nhs_foundation_trust", "health_social_care"),
    ("NHS {p} Integrated Care Board", "icb_ccg", "health_social_care"),
    ("{p} City Council", "council", "local_government"),
    ("{p} Borough Council", "council", "local_government"),
    ("{p} District Council", "council", "local_government"),
    ("{p} County Council", "council", "local_government"),
    ("{p} Housing Association", "housing_association", "housing"),
    ("{p} Homes", "housing_association", "housing"),
    ("{p} Housing Trust", "housing_association", "housing"),
    ("{p} Academy Trust", "academy_trust", "education"),
    ("{p} Learning Partnership", "academy_trust", "education"),
    ("{p} High School", "school", "education"),
    ("{p} Primary School", "school", "education"),
    ("University of {p}", "university", "education"),
    ("{p} College", "university", "education"),
    ("{p} Community Foundation", "charity", "other"),
    ("{p} Care Partnership", "charity", "health_social_care"),
    ("{p} Consulting Ltd", "company", "other"),
]

REGIONS = [
    "London", "South East", "South West", "East of England", "West Midlands",
    "East Midlands", "Yorkshire and the Humber", "North West", "North East",
]

JOB_TITLES = [
    "Chief Executive", "Deputy Chief Executive", "Director of Finance", "Chief Finance Officer",
    "Director of Nursing", "Chief Nurse", "Medical Director", "Chief Operating Officer",
    "Director of People", "HR Director", "Head of HR", "Director of Adult Social Care",
    "Director of Children's Services", "Head of Housing", "Director of Housing",
    "Head of Procurement", "Director of Estates", "Head of Transformation",
    "Programme Director", "Director of Strategy", "Head of Governance", "Company Secretary",
    "Director of Public Health", "Head of Finance", "Financial Controller",
    "Head of Revenues and Benefits", "Director of Education", "Headteacher",
    "Executive Headteacher", "Chief Information Officer", "Director of Digital",
    "Head of IT", "Head of Communications", "Director of Communications",
    "Head of Commissioning", "Commissioning Manager", "Service Manager",
    "Senior Project Manager", "Change Manager", "Operations Director",
    "Head of Asset Management", "Repairs Director", "Director of Resources",
    "Chief Operating Officer (Academies)", "Registrar", "Pro Vice-Chancellor",
]

SPECIALISMS = [
    "turnaround", "financial recovery", "CQC improvement", "Ofsted improvement",
    "digital transformation", "EPR implementation", "procurement", "mergers",
    "restructuring", "housing regulation", "repairs and maintenance", "capital programmes",
    "adult social care", "children's services", "SEND", "public health", "estates",
    "governance", "workforce", "change management", "commissioning", "revenues",
]

TAGS = [
    "board-level", "interim", "permanent", "NED", "hot lead", "referral", "conference",
    "webinar", "alumni", "shortlist", "do not chase", "VIP", "London only", "north",
    "south", "midlands", "finance", "nursing", "housing", "education", "digital",
    "turnaround", "CQC", "Ofsted", "retained", "2024 event", "Twitter chat", "LinkedIn",
    "mailing list", "newsletter",
]

RECRUITERS = [
    "Ruth Ashby", "Dev Malhotra", "Claire Benson", "Tom Okafor", "Hannah Greaves",
    "Liam Doyle", "Sara Quinn", "Joe Whitfield",
]

TOPICS = [
    "interim finance director role", "availability from next month", "board restructure",
    "CQC inspection outcome", "day rate expectations", "IR35 status of the role",
    "extension of current assignment", "shortlist for the housing director post",
    "reference for a candidate", "budget pressures this year", "digital programme",
    "new chief executive starting", "merger of the two trusts", "Ofsted report",
    "winter pressures", "repairs backlog", "procurement framework", "the conference panel",
    "a coffee next week", "their team's vacancies", "the regulator's judgement",
    "recovery plan", "capital programme slippage", "contract renewal",
]

SUMMARY_PATTERNS = [
    "Spoke about {t}", "Call about {t}", "Catch-up: {t}", "Emailed re {t}",
    "Met to discuss {t}", "Left a message about {t}", "Followed up on {t}",
    "Introduced to {t}", "Quick chat on {t}", "Sent details of {t}",
]

BODY_SENTENCES = [
    "Keen to hear about anything in the North West.",
    "Said the board will decide by the end of the month.",
    "Prefers outside IR35 roles but would consider inside at the right rate.",
    "Mentioned two colleagues who may be available.",
    "Asked us to call back after the inspection.",
    "Budget approved; they want someone in post within three weeks.",
    "Not looking right now but open to a conversation in spring.",
    "Very positive about the last placement.",
    "Wants a shortlist of three by Friday.",
    "Will send the job description and structure chart.",
]

TWEET_PHRASES = [
    "Proud of our teams today", "Great to visit the new ward", "Thank you to all our staff",
    "Our annual report is out", "Join us at the conference next week",
    "We are recruiting: interim director of finance", "Fantastic turnout at the event",
    "Read our response to the consultation", "Winter plan published today",
    "Congratulations to the housing team", "Delighted to welcome our new chair",
    "New homes handed over this morning", "Ofsted rated us good", "CQC report published",
    "Listening to residents in the town centre", "Our board papers are online",
    "Celebrating our apprentices", "Digital front door goes live", "Budget consultation open",
]

HASHTAGS = [
    "#NHS", "#socialcare", "#housing", "#localgov", "#education", "#leadership",
    "#interim", "#recruitment", "#digitalhealth", "#teamwork", "#NHSchat",
]

PLACEMENT_NOTES = [
    "Client happy with progress at the first review.",
    "Timesheets approved for the month.",
    "Candidate asked about an extension beyond the end date.",
    "Rate review agreed with the client.",
    "Handover plan agreed with the permanent appointee.",
    "Board presentation went well.",
    "IR35 determination confirmed in writing.",
    "Client raised a concern about travel days.",
]
# fmt: on
