"""What the demo's fictional names are made of: given and family names by naming style, titles and
their spellings, transliterations, place-name syllables, and combinations never generated.

Data only; :mod:`etl.demo.people` draws names from it.
"""

from __future__ import annotations

TRANSLIT = (("Mohammed", "Muhammad", "Mohamed", "Mohamad", "Mohammad"), ("Ahmed", "Ahmad"),
            ("Hussein", "Husain", "Hussain"), ("Yusuf", "Youssef", "Yousef"), ("Osman", "Othman", "Uthman"),
            ("Omar", "Umar"))
_TRANSLIT_OF = {w: g for g in TRANSLIT for w in g}

# Title forms: the first is the canonical one; variants use another form or drop the title.
TITLE_FORMS: dict[str, tuple[str, ...]] = {
    "lt": ("Lt.", "Lieutenant", "Lt", "LT"),
    "capt": ("Capt.", "Captain", "Capt", "CAPT", "Cpt."),
    "maj": ("Maj.", "Major", "Maj", "MAJ"),
    "ltcol": ("Lt. Col.", "Lieutenant Colonel", "Lt Col", "LTCOL"),
    "col": ("Col.", "Colonel", "Col", "COL"),
    "brig": ("Brig.", "Brigadier", "Brig"),
    "gen": ("Gen.", "General", "Gen", "GEN"),
    "cmdr": ("Cmdr.", "Commander", "Cdr", "Cmdr", "Cdr."),
    "sheikh": ("Sheikh", "Shaykh", "Sh."),
    "mawlawi": ("Mawlawi", "Maulvi"),
    "mullah": ("Mullah",),
    "haji": ("Haji", "Hajji"),
    "chief": ("Chief",),
    "chef": ("Chef",),
    "sultan": ("Sultan",),
    "imam": ("Imam",),
    "mr": ("Mr.", "Mr"),
}

_ARABIC_GIVEN = ("Idris", "Mohammed", "Ahmed", "Hussein", "Yusuf", "Osman", "Omar", "Abdul Rahman",
                 "Abdul Karim", "Abdul Latif", "Abdul Aziz", "Abdul Majid", "Khalid", "Ibrahim", "Ismail",
                 "Salih", "Tariq", "Faisal", "Hamza", "Bashir", "Adil", "Jamal", "Kamal", "Musa", "Issa",
                 "Nasser", "Saif", "Walid", "Anwar", "Hashim", "Hassan", "Mahmoud", "Mustafa", "Suleiman",
                 "Said", "Ziad", "Fadi", "Nabil", "Majid", "Qasim", "Raed", "Samir", "Yasin", "Munir",
                 "Ayman", "Zakaria", "Haitham", "Sa'ad", "Ma'mun")
STYLES: dict[str, dict[str, tuple[str, ...]]] = {
    "yemeni": {
        "given": _ARABIC_GIVEN,
        "family": ("Al-Sharabi", "Al-Maqtari", "Al-Hakimi", "Al-Sanani", "Al-Adeni", "Ba-Wazir",
                   "Al-Hamdani", "Al-Kibsi", "Al-Qubati", "Shamsan", "Ghaleb", "Mansour", "Al-Nur",
                   "Al-Amin", "Al-Tayeb", "Al-Khatib", "Al-Sharif", "Qaid", "Al-Absi", "Al-Wesabi",
                   "Nasher", "Al-Dhalei", "Ali", "Hamid", "Adam", "Nur", "Rashid", "Amin", "Mahdi"),
        "elder": ("sheikh",), "fixed_elder": ("Aqil",),
    },
    "syrian": {
        "given": _ARABIC_GIVEN,
        "family": ("Al-Halabi", "Al-Hamwi", "Al-Khatib", "Haddad", "Khoury", "Al-Hassan", "Al-Omar",
                   "Al-Shami", "Darwish", "Al-Jabr", "Al-Masri", "Qassab", "Al-Rifai", "Hamadeh",
                   "Al-Najjar", "Al-Sabbagh", "Al-Nur", "Kanaan", "Al-Ali", "Ali", "Hamid", "Adam",
                   "Rashid", "Amin", "Nur"),
        "elder": ("sheikh",), "fixed_elder": ("Mukhtar",),
    },
    "iraqi": {
        "given": _ARABIC_GIVEN + ("Rebwar", "Karwan", "Shwan", "Dilshad", "Hemin", "Aras", "Soran", "Azad"),
        "family": ("Al-Obeidi", "Al-Dulaimi", "Al-Jubouri", "Al-Tamimi", "Al-Ani", "Al-Rawi", "Al-Saadi",
                   "Al-Shammari", "Al-Khafaji", "Al-Bayati", "Al-Hiti", "Mahmoud", "Salih", "Rasul",
                   "Qadir", "Kakai", "Al-Nur", "Ali", "Hamid", "Rashid", "Amin"),
        "elder": ("sheikh",), "fixed_elder": ("Mukhtar",),
    },
    "south_sudanese": {
        "given": ("Deng", "Garang", "Majok", "Mabior", "Kuol", "Akol", "Nyuon", "Gatluak", "Lual",
                  "Malual", "Wani", "Lado", "Lokiru", "Bol", "Chol", "Peter", "John", "James", "Joseph",
                  "Samuel", "David", "Simon", "Gabriel", "Daniel", "Stephen", "Angelo", "Santino",
                  "Mawien", "Makur", "Thon", "Ajang", "Gai", "Puok", "Koang", "Duop", "Yohannes", "Elia"),
        "family": ("Ajak", "Akech", "Bol", "Chol", "Dut", "Kur", "Mading", "Nhial", "Ruai", "Wek", "Thon",
                   "Yak", "Lual", "Akuei", "Ayuel", "Mayen", "Wol", "Gatdet", "Tut", "Jok", "Loku", "Ladu",
                   "Modi", "Kenyi", "Nyang", "Gatkuoth", "Mawut"),
        "elder": ("chief", "sultan"), "fixed_elder": (),
    },
    "ugandan": {
        "given": ("Moses", "Patrick", "Simon", "Joseph", "Geoffrey", "Denis", "Charles", "Godfrey",
                  "Richard", "Samuel", "Robert", "Francis", "Alex", "Emmanuel", "Okot", "Lokol", "Grace",
                  "Florence"),
        "family": ("Okello", "Otim", "Opio", "Ocen", "Odongo", "Lokiru", "Lomongin", "Nakiru", "Kato",
                   "Ssempala", "Mugisha", "Tumusiime", "Byaruhanga", "Wasswa", "Ochola", "Akena", "Loum",
                   "Adupa", "Obua", "Lochap"),
        "elder": ("chief",), "fixed_elder": ("Rwot",),
    },
    "pashto": {
        "given": ("Rahmatullah", "Noorullah", "Hamidullah", "Naqibullah", "Shafiq", "Wahid", "Bashir",
                  "Qadir", "Mohammad", "Ahmad", "Omar", "Osman", "Yusuf", "Abdul Hadi", "Abdul Qadir",
                  "Abdul Wahid", "Khalil", "Sardar", "Nasir", "Hekmat", "Najib", "Farid", "Obaidullah",
                  "Ezatullah", "Asadullah", "Lutfullah", "Mirwais", "Jawad", "Hussain", "Sadiq"),
        "family": ("Safi", "Zazai", "Mangal", "Shinwari", "Popal", "Sherzad", "Amiri", "Karimi", "Rahimi",
                   "Hotak", "Barakzai", "Nuristani", "Kakar", "Jalali", "Momand", "Wardak", "Kohistani",
                   "Hashimi", "Noori", "Rahmani", "Azizi", "Hakimi", "Khostai", "Paktiawal", "Ludin",
                   "Amini"),
        "elder": ("haji", "mullah"), "fixed_elder": ("Malik",),
    },
    "pakistani": {
        "given": ("Mohammad", "Ahmed", "Tariq", "Bilal", "Faisal", "Usman", "Kamran", "Adnan", "Zubair",
                  "Shahid", "Naveed", "Saleem", "Javed", "Irfan", "Waqas", "Hamza", "Farhan", "Sajid",
                  "Junaid", "Noman", "Yusuf", "Omar", "Abdul Qayyum", "Hussain"),
        "family": ("Khattak", "Bangash", "Orakzai", "Durrani", "Marwat", "Mohmand", "Awan", "Chaudhry",
                   "Malik", "Butt", "Raza", "Iqbal", "Mirza", "Siddiqui", "Baig", "Jadoon", "Swati",
                   "Tanoli", "Khan", "Rana"),
        "elder": ("haji",), "fixed_elder": ("Malik",),
    },
    "hausa_kanuri": {
        "given": ("Abubakar", "Musa", "Ibrahim", "Usman", "Bello", "Sani", "Aminu", "Yakubu", "Haruna",
                  "Lawal", "Modu", "Bukar", "Mohammed", "Ahmed", "Umar", "Yusuf", "Idris", "Kabiru",
                  "Nasiru", "Isa", "Mustapha", "Zakari", "Bashir"),
        "family": ("Garba", "Bala", "Maigari", "Dankano", "Shehu", "Tanko", "Yaro", "Adamu", "Gambo",
                   "Kyari", "Zannah", "Goni", "Bukar", "Gana", "Kolo", "Waziri", "Abdullahi", "Aliyu",
                   "Dikko", "Bako", "Jibrin", "Lawal"),
        "elder": ("sheikh", "chief"), "fixed_elder": ("Alhaji", "Mai"),
    },
    "burkinabe": {
        "given": ("Amadou", "Boubacar", "Issa", "Moussa", "Hamidou", "Adama", "Souleymane", "Idrissa",
                  "Oumarou", "Salif", "Harouna", "Abdoulaye", "Seydou", "Karim", "Lassané", "Inoussa",
                  "Rasmané", "Boukary", "Dramane", "Noufou"),
        "family": ("Ouédraogo", "Sawadogo", "Zongo", "Tiendrébéogo", "Ilboudo", "Nikiéma", "Diallo",
                   "Sana", "Zoungrana", "Bationo", "Kiemdé", "Guiro", "Belem", "Tapsoba", "Kinda", "Maïga",
                   "Cissé", "Ganamé", "Tamboura"),
        "elder": ("chef", "imam"), "fixed_elder": ("Naaba",),
    },
    "nigerien": {
        "given": ("Moussa", "Abdou", "Hamani", "Garba", "Mahamane", "Souley", "Oumarou", "Boubacar",
                  "Hassane", "Idrissa", "Amadou", "Adamou", "Salissou", "Yacouba", "Maman", "Sani",
                  "Ibrah", "Rabiou"),
        "family": ("Hamani", "Abdou", "Garba", "Maïga", "Hama", "Harouna", "Tahirou", "Adamou", "Soumana",
                   "Mounkaila", "Djibo", "Alzouma", "Issaka", "Kimba", "Seyni", "Ag Alhassane", "Daouda"),
        "elder": ("chef", "sultan"), "fixed_elder": ("Alhaji",),
    },
    "central_african": {
        "given": ("Jean-Claude", "Thierry", "Fidèle", "Brice", "Rodrigue", "Ghislain", "Hervé", "Serge",
                  "Aimé", "Célestin", "Firmin", "Gervais", "Norbert", "Prosper", "Armel", "Crépin",
                  "Dieudonné", "Sylvain", "Abakar", "Ousmane", "Zakaria"),
        "family": ("Ngaba", "Kossingou", "Yangba", "Mbolissa", "Gbazanga", "Ouanga", "Sérémalé",
                   "Ngouandji", "Yakété", "Mbaïkoua", "Doko", "Zanga", "Kongbo", "Namsio", "Bétoua",
                   "Wabanga", "Gbadin", "Mandaba", "Koyanda"),
        "elder": ("chef",), "fixed_elder": (),
    },
    "ukrainian": {
        "given": ("Oleksandr", "Andriy", "Mykola", "Serhiy", "Vasyl", "Yuriy", "Taras", "Bohdan", "Dmytro",
                  "Ihor", "Petro", "Roman", "Olena", "Iryna", "Nataliya", "Oksana", "Viktor", "Pavlo",
                  "Maksym", "Hennadiy", "Ruslan", "Stepan", "Yaroslav"),
        "family": ("Kovalenko", "Shevchuk", "Bondarenko", "Tkachuk", "Melnychuk", "Boychenko", "Marchenko",
                   "Lysenko", "Rudenko", "Savchenko", "Petrenko", "Hnatyuk", "Levchenko", "Pavlenko",
                   "Kravets", "Polishchuk", "Oliynyk", "Ostapenko", "Danylenko", "Ivanenko", "Zinchenko",
                   "Honchar", "Symonenko"),
        "elder": (), "fixed_elder": ("Father",),
    },
}
COUNTRY_STYLE = {"YEM": "yemeni", "SYR": "syrian", "IRQ": "iraqi", "SDN": "yemeni", "SSD": "south_sudanese",
                 "UGA": "ugandan", "AFG": "pashto", "PAK": "pakistani", "NGA": "hausa_kanuri",
                 "BFA": "burkinabe",
                 "NER": "nigerien", "CAF": "central_african", "UKR": "ukrainian"}
# Combinations that would name well-known real people: never generated.
_BLOCKED_KEYS = ("muhammad yusuf", "abubakar shekau", "ibrahim traore", "taban deng", "john garang",
                 "james wani", "kuol manyang", "michael makuei", "yuriy boychenko", "andriy melnychuk",
                 "oleksandr tkachuk", "khalid mahmoud", "ahmad shah")
# Syllable combinations that spell a well-known person's name: never used as a place.
_BLOCKED_PLACES = frozenset({"bokassa", "kolingba", "dacko", "patasse", "bozize", "kony", "garang", "kiir",
                             "tandja", "kountche", "sankara", "shekau", "zulum"})
# Second member of a near-identical pair: family name -> a different real name one letter away.
NEAR_FAMILY = {"Ali": "Alim", "Hamid": "Hamidi", "Adam": "Adham", "Nur": "Nuri", "Rashid": "Rashidi",
               "Amin": "Amini", "Karimi": "Kazimi", "Rahimi": "Rahmani", "Jalali": "Jamali", "Amiri": "Amini",
               "Lawal": "Lawan", "Garba": "Gariba", "Chol": "Chuol", "Akech": "Akec", "Okello": "Okello-Ojok",
               "Opio": "Opiyo", "Kovalenko": "Kovalchenko", "Petrenko": "Petrychenko",
               "Marchenko": "Martchenko",
               "Sana": "Sanou", "Hama": "Hamma", "Zongo": "Zongo-Sawadogo", "Kossingou": "Kossingoa",
               "Khattak": "Khattab", "Butt": "Bhatt", "Al-Khatib": "Al-Khatibi", "Darwish": "Darwich",
               "Mahmoud": "Mahmoudi", "Salih": "Salihi", "Qadir": "Qadiri", "Rasul": "Rasuli",
               "Haddad": "Hadad", "Bol": "Bul", "Mansour": "Mansouri", "Hamani": "Hamadi"}

# Place-name syllables (fictional towns and villages).
PLACE_PARTS: dict[str, tuple[tuple[str, ...], tuple[str, ...], tuple[str, ...]]] = {
    "arabic": (("", "", "", "Um ", "Abu ", "Wadi ", "Jebel ", "Bir ", "Tell ", "Ain ", "Kafr ", "Deir ",
                "Khor "),
               ("Sar", "Kad", "Tam", "Hal", "Bur", "Dal", "Nak", "Qur", "Mar", "Sib", "Far", "Jur", "Dub",
                "Hat", "Zah", "Ras", "Mash", "Kur"),
               ("a", "i", "ab", "ein", "iya", "ar", "um", "at", "ana", "ush", "ra")),
    "south_sudanese": (("", "", "", "Pan", "Mal", "Wun"),
                       ("Ayi", "Nyi", "Lok", "Kaj", "Pi", "Ruk", "Ma", "Ton", "Ako", "Nas", "Gum", "Yir",
                        "Tha"),
                       ("diit", "tok", "kuei", "rol", "jang", "bor", "luak", "wel", "nyang", "ruai", "kang")),
    "ugandan": (("", "", "Ki", "Bu", "Ka"),
                ("ton", "lor", "mor", "pad", "gul", "kit", "lak", "nak", "amu", "bon"),
                ("go", "oto", "ere", "uru", "ang", "ibi", "ama", "ok")),
    "pashto": (("", "", "", "Deh ", "Sar-e ", "Qala-e ", "Bagh-e "),
               ("Shin", "Gul", "Zar", "Nar", "Tor", "Spin", "Kand", "Bar", "Sang", "Dar", "Mir", "Khak",
                "Pir"),
               ("abad", "khel", "kot", "gul", "zai", "dara", "kalay", "ghar", "bagh")),
    "hausa": (("", "", "", "Tudun ", "Unguwar ", "Dan "),
              ("Kan", "Gid", "Mai", "Yan", "Dun", "Gar", "Bak", "Kur", "Tsa", "Gwo", "Dam", "Mal"),
              ("kwari", "gora", "baki", "dawa", "rimi", "tsaba", "maje", "kura", "ri", "wa", "bo")),
    "sahel": (("", "", "", "Tin-", "In-"),
              ("Dou", "Kou", "Ten", "Bou", "Sar", "Gan", "Ziniar", "Kom", "Tan", "Pis", "Tou"),
              ("ssaba", "ndjari", "gou", "rame", "bara", "koro", "ga", "lé", "dogo", "sin")),
    "central_african": (("", "", "", "", "Ndé-", "Gba-"),
                        ("Ba", "Bo", "Ka", "Ngo", "Mba", "Ya", "Gba", "Ze", "Bou", "Da", "Ndo", "Sa", "Bé",
                         "Ko"),
                        ("ngassou", "kouma", "loko", "mbari", "gana", "kassa", "dji", "ngo", "bali",
                         "zoro", "léa", "gbali", "mbé", "yanga")),
    "ukrainian": (("", "", "", "Nova ", "Stara ", "Velyka "),
                  ("Ver", "Kam", "Bil", "Zel", "Stav", "Kras", "Pol", "Lys", "Hor", "Sos", "Dub", "Lip"),
                  ("yanka", "ivka", "ove", "ky", "ne", "yne", "opil", "ivtsi", "ivske", "hirne")),
}
STYLE_PLACES = {"yemeni": "arabic", "syrian": "arabic", "iraqi": "arabic", "south_sudanese": "south_sudanese",
                "ugandan": "ugandan", "pashto": "pashto", "pakistani": "pashto", "hausa_kanuri": "hausa",
                "burkinabe": "sahel", "nigerien": "sahel", "central_african": "central_african",
                "ukrainian": "ukrainian"}
