#!/usr/bin/env python3
"""convert_currency.py: the convert_currency function tool of
pipelines/convert-expenses.json, answered locally (no network).

gembatch runs it once per function call: the call's arguments arrive as JSON
on stdin, e.g. {"amount": 42.5, "from_currency": "USD", "to_currency": "EUR",
"date": "2025-05-02"}, and the JSON printed on stdout goes back to the model as
the function result. A non-zero exit fails the job with stderr as the message.

Rates: a fixed table of euro reference rates (units of currency per 1 EUR),
one per month; replace it with a lookup in your own rates database.
"""
import json
import sys
from decimal import Decimal, ROUND_HALF_EVEN

# currency units per 1 EUR, month-average reference rates
RATES = {
    "2025-01": {"USD": "1.0354", "GBP": "0.8345", "CHF": "0.9410", "JPY": "161.69", "SEK": "11.4926"},
    "2025-03": {"USD": "1.0807", "GBP": "0.8370", "CHF": "0.9530", "JPY": "160.71", "SEK": "11.0034"},
    "2025-05": {"USD": "1.1278", "GBP": "0.8460", "CHF": "0.9349", "JPY": "163.11", "SEK": "10.9226"},
    "2025-09": {"USD": "1.1731", "GBP": "0.8683", "CHF": "0.9357", "JPY": "173.10", "SEK": "11.0105"},
}


def per_eur(currency, month):
    if currency == "EUR":
        return Decimal(1)
    return Decimal(RATES[month][currency])


def main():
    args = json.load(sys.stdin)
    amount = Decimal(str(args["amount"]))
    src = args.get("from_currency", "EUR").upper()
    dst = args.get("to_currency", "EUR").upper()
    date = str(args.get("date") or max(RATES))
    # the latest month at or before the date; the oldest when the date is earlier
    month = max([m for m in RATES if m <= date[:7]] or [min(RATES)])
    known = {"EUR"} | set(RATES[month])
    if src not in known or dst not in known:
        json.dump({"error": f"unknown currency: supported are {sorted(known)}"}, sys.stdout)
        return
    rate = per_eur(dst, month) / per_eur(src, month)
    converted = (amount * rate).quantize(Decimal("0.01"), rounding=ROUND_HALF_EVEN)
    json.dump({"amount": float(converted), "currency": dst,
               "rate": float(rate.quantize(Decimal("0.000001"))),
               "rate_date": month, "source": "monthly euro reference rates"}, sys.stdout)


if __name__ == "__main__":
    main()
