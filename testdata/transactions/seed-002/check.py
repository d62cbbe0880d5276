"""Independent check of the seed 002 golden files (social emergency service, 8 municipalities).

Recomputes from the inputs alone — municipalities-2016.csv and seed-002/transactions.csv — with
exact fractions and no code shared with billing-core:
- transactions counted per party, kind and month, priced at 0.30 kr per login and 1.50 kr per
  signature → expected/priced-lines.csv;
- 285,000 kr once (April 2017) and 7,000 kr a month (April–September) split by population with
  the largest-remainder method (ties to the smaller party id) → expected/costs.csv;
- Sigtuna's monthly invoices in arrears to the other seven → the lines and totals of
  expected/invoices.json.
Prints "seed 002: all figures agree" or the first differences, and exits non-zero on any.
"""
import csv
import json
import os
import sys
from collections import Counter
from fractions import Fraction

HERE = os.path.dirname(os.path.abspath(__file__))
CODES = ["0191", "0114", "0115", "0123", "0139", "0163", "0183", "0184"]
PRICES = {"login": Fraction(30, 100), "signature": Fraction(150, 100)}
MONTHS = ["2017-04", "2017-05", "2017-06", "2017-07", "2017-08", "2017-09"]
problems = []


def ore(x):
    """Fraction of kronor to öre, half away from zero."""
    v = x * 100
    n = abs(v.numerator) * 2 + v.denominator
    q = n // (2 * v.denominator)
    return q if v >= 0 else -q


def kr(o):
    return f"{'-' if o < 0 else ''}{abs(o) // 100}.{abs(o) % 100:02d}"


def hamilton(total_ore, weights):
    """Largest remainder: truncate, then one öre each to the largest remainders, ties by id."""
    s = sum(weights.values())
    exact = {p: Fraction(total_ore * w, s) for p, w in weights.items()}
    base = {p: int(e) for p, e in exact.items()}  # all positive: int() truncates
    left = total_ore - sum(base.values())
    order = sorted(weights, key=lambda p: (-(exact[p] - base[p]), p))
    for p in order[:left]:
        base[p] += 1
    return base


def expect(what, expected, actual):
    if expected != actual:
        problems.append(f"{what}: expected {expected}, golden has {actual}")


with open(os.path.join(HERE, "../../municipalities-2016.csv"), encoding="utf-8") as f:
    population = {r["code"]: int(r["population"]) for r in csv.DictReader(f) if r["code"] in CODES}
assert len(population) == 8

counts = Counter()
with open(os.path.join(HERE, "transactions.csv"), encoding="utf-8") as f:
    for r in csv.DictReader(f):
        counts[(r["party"], r["kind"], r["timestamp"][:7])] += 1

priced = {}
with open(os.path.join(HERE, "expected/priced-lines.csv"), encoding="utf-8") as f:
    for r in csv.DictReader(f):
        priced[(r["party"], r["kind"], r["first_day"][:7])] = (int(r["count"]), r["amount"])
expect("priced lines", sorted(counts), sorted(priced))
line_ore = {}
for key, n in counts.items():
    line_ore[key] = ore(n * PRICES[key[1]])
    expect(f"priced line {key}", (n, kr(line_ore[key])), priced.get(key))

start = hamilton(285_000_00, population)
month = hamilton(7_000_00, population)
costs = {}
with open(os.path.join(HERE, "expected/costs.csv"), encoding="utf-8") as f:
    for r in csv.DictReader(f):
        costs[(r["pool"], r["party"], r["month"])] = r["amount"]
want = {("start-2017", p, "2017-04"): kr(a) for p, a in start.items()}
want.update({("monthly-2017", p, m): kr(a) for p, a in month.items() for m in MONTHS})
expect("cost lines", sorted(want), sorted(costs))
for key, amount in want.items():
    expect(f"cost line {key}", amount, costs.get(key))

with open(os.path.join(HERE, "expected/invoices.json"), encoding="utf-8") as f:
    invoices = json.load(f)
seen = set()
for inv in invoices:
    date, buyer = inv["issue_date"], inv["buyer"]
    m = MONTHS[int(date[5:7]) - 5]
    amounts = []
    if m == "2017-04":
        amounts.append(start[buyer])
    amounts.append(month[buyer])
    for k in ("login", "signature"):
        if (buyer, k, m) in line_ore:
            amounts.append(line_ore[(buyer, k, m)])
    expect(f"invoice {date} {buyer} lines", [kr(a) for a in amounts],
           [l["amount"] for l in inv["lines"]])
    expect(f"invoice {date} {buyer} payable", kr(sum(amounts)), inv["payable"])
    seen.add((date, buyer))
want_invoices = {(f"2017-{mm:02d}-01", p) for mm in range(5, 11) for p in CODES if p != "0191"}
expect("invoices", sorted(want_invoices), sorted(seen))

if problems:
    print("\n".join(problems[:20]))
    sys.exit(1)
print(f"seed 002: all figures agree ({len(counts)} priced lines, {len(costs)} cost lines, "
      f"{len(invoices)} invoices)")
