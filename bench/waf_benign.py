"""Benign form values for bench/waf-detection.sh: what real users type into
forms (names, addresses, e-mails, prose, URLs, prices, JSON), generated with
Faker from a fixed seed so every run sends the same set.

usage: python3 bench/waf_benign.py COUNT SEED > benign.txt   (one value per line)
"""
import json
import random
import sys

from faker import Faker

count, seed = int(sys.argv[1]), int(sys.argv[2])
fake = Faker(["en_US", "en_GB", "fr_FR", "de_DE", "es_ES", "it_IT"])
Faker.seed(seed)
rng = random.Random(seed)

makers = [
    fake.name,
    lambda: fake.name() + " (" + fake.job() + ")",
    fake.street_address,
    lambda: fake.address().replace("\n", ", "),
    fake.email,
    fake.company,
    fake.catch_phrase,
    fake.sentence,
    lambda: fake.paragraph(nb_sentences=3),
    fake.url,
    lambda: fake.url() + "?q=" + fake.word() + "&page=" + str(rng.randint(1, 9)),
    fake.phone_number,
    fake.date,
    lambda: "$" + str(fake.pydecimal(left_digits=3, right_digits=2, positive=True)),
    fake.user_agent,
    lambda: json.dumps({"name": fake.first_name(), "age": rng.randint(18, 90), "tags": fake.words(3)}),
    # Apostrophes, quotes and SQL-ish words in ordinary speech.
    lambda: fake.last_name() + "'s " + fake.word() + " & " + fake.word(),
    lambda: '"' + fake.catch_phrase() + '" - ' + fake.name(),
    lambda: "I can't " + rng.choice(["select", "update", "drop", "order", "delete"]) + " " + fake.sentence().lower(),
    lambda: rng.choice(["Select", "Order", "Group", "Union"]) + " " + " ".join(fake.words(4)) + " or " + fake.word(),
    lambda: str(rng.randint(1, 12)) + "' " + str(rng.randint(0, 11)) + '" tall',
    lambda: fake.word() + " <" + fake.word() + "> " + fake.word(),
    lambda: "1 < 2 and 3 > " + str(rng.randint(0, 2)),
    fake.iban,
    fake.uuid4,
    lambda: fake.text(max_nb_chars=300).replace("\n", " "),
]

for _ in range(count):
    print(str(rng.choice(makers)()).replace("\n", " "))
