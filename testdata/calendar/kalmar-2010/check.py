#!/usr/bin/env python3
"""Independent check of the Kalmar 2010-2012 golden files (billing-core/tests/calendar_kalmar.rs).

Recomputes, from the CSV inputs in this folder and DOMAIN.md alone, with exact fractions and
day-by-day counting (the Rust code sweeps intervals instead):
  - the annual fee F = B / N (R5),
  - every user-fee line: advances (R6) and corrections (R7) under both policies, with the
    first-year multiplier of the new member (R8) and the leaver's last day (R9),
  - the population split of the upgrade pool by largest remainder and the direct extraction pool,
  - VAT per line (half away from zero), öresavrundning of the payable, the invoice kind,
  - the providers' arrears invoices (R10) and every party's final cash balance,
and compares them with the golden JSON. Run from the repository root:

    python3 testdata/calendar/kalmar-2010/check.py
"""
import csv
import datetime as dt
import json
import os
import sys
from fractions import Fraction as F

HERE = os.path.dirname(os.path.abspath(__file__))


def rows(name):
    with open(os.path.join(HERE, name), newline="", encoding="utf-8") as f:
        return list(csv.DictReader(f))


def date(s):
    return dt.date.fromisoformat(s)


def round_half_away(x, unit):
    """Round the fraction x (kronor) to a multiple of unit (Fraction), half away from zero."""
    q = abs(x) / unit
    n = int(q)
    if q - n >= F(1, 2):
        n += 1
    return (n if x >= 0 else -n) * unit


ORE = F(1, 100)
KRONA = F(1)


def money(s):
    return F(s)


def add_months(d, months):
    y, m = divmod(d.month - 1 + months, 12)
    y += d.year
    m += 1
    for day in (d.day, 30, 29, 28):
        try:
            return dt.date(y, m, day)
        except ValueError:
            continue


# ---- inputs ----------------------------------------------------------------------------------
parties = {r["id"]: r for r in rows("parties.csv")}
register = [
    (r["party"], r["user"], date(r["first_day"]), date(r["last_day"]) if r["last_day"] else None)
    for r in rows("register.csv")
]
budget = sum(money(r["amount"]) for r in rows("budget.csv"))
START = date("2010-01-01")


def users_on(party, d):
    return len({u for p, u, a, b in register if p == party and a <= d and (b is None or d <= b)})


N = sum(users_on(p, START) for p in parties)
assert N == 90, N
FEE = round_half_away(budget / N, ORE)
assert FEE == 12000, FEE

members = {p: {"from": START, "first_until": None, "mult": 1, "last": None} for p in parties}
pools = []
for e in rows("events.csv"):
    if e["kind"] == "entry":
        j = date(e["date"])
        members[e["party"]] = {"from": j, "first_until": add_months(j, 12), "mult": 2, "last": None}
    elif e["kind"] == "notice":
        members[e["party"]]["last"] = add_months(date(e["date"]), 12)
    elif e["kind"] == "pool":
        name, amount, key, ids, vat = e["detail"].split(";")
        pools.append((e["party"], date(e["date"]), money(amount), key, ids.split(" "), F(int(vat), 100)))
assert members["0885"]["last"] == date("2012-05-15")


def member(p, d):
    m = members[p]
    return m["from"] <= d and (m["last"] is None or d <= m["last"])


def mult(p, d):
    m = members[p]
    return m["mult"] if m["first_until"] and m["from"] <= d < m["first_until"] else 1


def days(a, b):
    """Days from a up to, not including, b."""
    return [a + dt.timedelta(n) for n in range((b - a).days)]


def period(start):
    end = date(f"{start.year}-07-01") if start.month == 1 else date(f"{start.year + 1}-01-01")
    return start, end


def previous(start):
    return date(f"{start.year - 1}-07-01") if start.month == 1 else date(f"{start.year}-01-01")


def weighted(p, start):
    a, b = period(start)
    return sum(mult(p, d) for d in days(a, b) if member(p, d))


def advance(p, start):
    a, b = period(start)
    return round_half_away(users_on(p, a) * F(FEE, 2) * weighted(p, start) / len(days(a, b)), ORE)


def actual(p, start, policy):
    a, b = period(start)
    member_days = [d for d in days(a, b) if member(p, d)]
    if not member_days:
        return F(0)
    if policy == "next_invoice_count":
        n = users_on(p, member_days[-1])
        return round_half_away(n * F(FEE, 2) * weighted(p, start) / len(days(a, b)), ORE)
    s = sum(mult(p, d) * users_on(p, d) for d in member_days)
    return round_half_away(F(FEE, 2) * s / len(days(a, b)), ORE)


def largest_remainder(amount, weights):
    total = sum(weights.values())
    exact = {k: amount * w / total for k, w in weights.items()}
    trunc = {k: int(v * 100) * ORE for k, v in exact.items()}
    left = int((amount - sum(trunc.values())) * 100)
    order = sorted(exact, key=lambda k: (-(exact[k] - trunc[k]), k))
    for k in order[:left]:
        trunc[k] += ORE
    return trunc


pool_lines = {}  # (date, party) -> [(amount, vat rate)]
for pid_, due, amount, key, ids, vat in pools:
    if key == "direct":
        parts = {ids[0]: amount}
    else:
        parts = largest_remainder(amount, {p: int(parties[p]["population"]) for p in ids})
    for p, a in parts.items():
        pool_lines.setdefault((due, p), []).append((a, vat))

DATES = [date(s) for s in ["2010-01-01", "2010-07-01", "2011-01-01", "2011-07-01", "2012-01-01", "2012-07-01"]]
checked = 0


def fmt(x):
    if isinstance(x, F) and 100 % x.denominator == 0:
        return f"{float(x):.2f}"
    return str(x)


def same(label, got, expected):
    global checked
    checked += 1
    if got != expected:
        sys.exit(f"MISMATCH {label}: golden {fmt(got)}, recomputed {fmt(expected)}")


def load(path):
    with open(os.path.join(HERE, path), encoding="utf-8") as f:
        return json.load(f)


# ---- arrears ---------------------------------------------------------------------------------
costs = [(r["provider"], date(r["incurred"]), money(r["amount"])) for r in rows("costs.csv")]
arrears_payable = []
prev = date("2009-11-30")
for s in ["2010-05-31", "2010-11-30", "2011-05-31", "2011-11-30", "2012-05-31"]:
    d = date(s)
    golden = load(f"arrears/{s}.json")
    expected = {}
    for p, incurred, a in costs:
        if prev < incurred <= d and p != "0880":
            expected[p] = expected.get(p, 0) + a
    same(f"arrears {s} count", len(golden), len(expected))
    for inv in golden:
        total = expected[inv["issuer"]]
        rounded = round_half_away(total, KRONA)
        same(f"arrears {s} {inv['issuer']}", money(inv["payable"]), rounded)
        same(f"arrears {s} buyer", inv["buyer"] == "0880", True)
        arrears_payable.append((inv["issuer"], inv["buyer"], d, rounded))
    prev = d

# ---- user fees, invoices and cash flow per policy ---------------------------------------------
for policy in ["next_invoice_count", "pro_rata_days"]:
    billed = {}  # (party, period start) -> sum
    flows = {}  # party -> balance
    for p, b, d, a in arrears_payable:
        flows[p] = flows.get(p, 0) + a
        flows[b] = flows.get(b, 0) - a
    for p, incurred, a in costs:
        flows[p] = flows.get(p, 0) - a
    for d in DATES:
        prev_start = previous(d)
        expected = {}
        for p in sorted(parties):
            lines = []
            pa, pb = period(prev_start)
            was_member = any(member(p, x) for x in days(pa, pb))
            if was_member or (p, prev_start) in billed:
                c = actual(p, prev_start, policy) - billed.get((p, prev_start), 0)
                billed[(p, prev_start)] = billed.get((p, prev_start), 0) + c
                if c:
                    lines.append(("correction", c, F(0)))
            a = advance(p, d)
            if a:
                billed[(p, d)] = billed.get((p, d), 0) + a
                lines.append(("advance", a, F(0)))
            for amount, vat in pool_lines.get((d, p), []):
                lines.append(("pool", amount, vat))
            if lines:
                expected[p] = lines
        golden = load(f"{policy}/{d}.json")
        same(f"{policy} {d} invoices", [i["buyer"] for i in golden], sorted(expected))
        for inv in golden:
            p = inv["buyer"]
            lines = expected[p]
            got = [(l["kind"], money(l["amount"])) for l in inv["lines"]]
            same(f"{policy} {d} {p} lines", got, [(k, a) for k, a, _ in lines])
            vat = sum(round_half_away(a * r, ORE) for _, a, r in lines)
            net = sum(a for _, a, _ in lines)
            same(f"{policy} {d} {p} vat", money(inv["vat_total"]), vat)
            payable = round_half_away(net + vat, KRONA)
            same(f"{policy} {d} {p} payable", money(inv["payable"]), payable)
            same(f"{policy} {d} {p} rounding", money(inv["rounding"]), payable - net - vat)
            same(f"{policy} {d} {p} kind", inv["kind"], "credit_note" if net + vat < 0 else "invoice")
            flows[p] = flows.get(p, 0) - payable
            flows["0880"] = flows.get("0880", 0) + payable
    timeline = load(f"{policy}/cash-flow.json")
    for t in timeline:
        same(f"{policy} cash flow {t['party']}", money(t["entries"][-1]["balance"]), flows.get(t["party"], 0))
    same(f"{policy} cash-flow parties", sorted(t["party"] for t in timeline), sorted(flows))

print(f"ok: {checked} figures agree")
