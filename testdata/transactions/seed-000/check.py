"""Independent check of the seed 000 golden files (iKomet cooperation of 3, fee review 2019).

Recomputes from seed-000/logins.csv alone, with exact fractions and no code shared with
billing-core: the 5,000 kr fee split equally (largest remainder, ties to the smaller id), the
logins of 2019 priced as SMS codes at 0.45 kr to 2019-09-15 and 0.52 kr from 2019-09-16, one
line per member and price, the total, the surplus or deficit and the covering fee.
Prints "seed 000: all figures agree" or the differences, and exits non-zero on any.
"""
import csv
import json
import os
import sys
from collections import Counter
from fractions import Fraction

HERE = os.path.dirname(os.path.abspath(__file__))
MEMBERS = ["0834", "0840", "0885"]
problems = []


def ore(x):
    v = x * 100
    q = (abs(v.numerator) * 2 + v.denominator) // (2 * v.denominator)
    return q if v >= 0 else -q


def kr(o):
    return f"{'-' if o < 0 else ''}{abs(o) // 100}.{abs(o) % 100:02d}"


def expect(what, expected, actual):
    if expected != actual:
        problems.append(f"{what}: expected {expected}, golden has {actual}")


# The fee: 500,000 öre / 3 = 166,666 each and 2 öre left, to the two smallest ids.
base, left = divmod(5_000_00, len(MEMBERS))
fee = {p: base + (1 if i < left else 0) for i, p in enumerate(sorted(MEMBERS))}
with open(os.path.join(HERE, "expected/invoices.json"), encoding="utf-8") as f:
    invoices = json.load(f)
expect("fee invoices", {p: kr(a) for p, a in fee.items()},
       {i["buyer"]: i["payable"] for i in invoices})

logins = Counter()
with open(os.path.join(HERE, "logins.csv"), encoding="utf-8") as f:
    for r in csv.DictReader(f):
        assert r["kind"] == "login" and r["period"].startswith("2019-")
        segment = "early" if r["period"] <= "2019-09-15" else "late"
        logins[(r["party"], segment)] += int(r["count"])
price = {"early": Fraction(45, 100), "late": Fraction(52, 100)}
lines = [(p, s, logins[(p, s)], ore(logins[(p, s)] * price[s]))
         for p in sorted(MEMBERS) for s in ("early", "late")]
total = sum(l[3] for l in lines)

with open(os.path.join(HERE, "expected/fee-review-2019.json"), encoding="utf-8") as f:
    review = json.load(f)
golden_lines = [(l["party"], "early" if l["priced_days"]["first_day"] == "2019-01-01" else "late",
                 l["count"], l["amount"]) for l in review["costs"][0]["lines"]]
expect("review lines", [(p, s, n, kr(a)) for p, s, n, a in lines], golden_lines)
expect("count", sum(l[2] for l in lines), review["costs"][0]["count"])
expect("total costs", kr(total), review["total_costs"])
expect("fees charged", "5000.00", review["fees_charged"])
expect("balance", kr(5_000_00 - total), review["balance"])
expect("outcome", "deficit" if total > 5_000_00 else "surplus" if total < 5_000_00 else "balanced",
       review["outcome"])
expect("covering fee", kr(total), review["covering_fee"])

if problems:
    print("\n".join(problems))
    sys.exit(1)
print(f"seed 000: all figures agree (fee {[kr(a) for a in fee.values()]}, "
      f"{sum(l[2] for l in lines)} logins cost {kr(total)}, balance {kr(5_000_00 - total)})")
