#!/usr/bin/env python3
"""Replays incoming leads against a running `switchboard serve` with simulated partners.

    scripts/serve-demo.py tokens PARTNERS_CSV > tokens.json    the demo's tokens: admin, integration, every partner
    scripts/serve-demo.py PORT INCOMING_CSV [LEADS]            the replay

Submits the first LEADS (default 300) incoming leads one at a time; each offer is answered by its simulated partner:
accepted (60%), declined with a reason (25%, the lead is re-routed at once), or never answered (15%, it expires and
is re-routed). Waits for the unanswered offers to expire, closes some accepted leads with outcomes (freeing capacity
for the queue), then prints the lead states, the partners paused for letting offers expire, and the audit trail of
one re-routed lead. Standard library only.
"""
import csv
import json
import random
import sys
import time
import urllib.error
import urllib.request

ADMIN, CRM = "demo-admin-token-000001", "demo-integration-token-01"


def partner_token(partner):
    return f"demo-partner-{partner}-token"


if sys.argv[1] == "tokens":
    with open(sys.argv[2], newline="") as handle:
        partners = [row["id"] for row in csv.DictReader(handle)]
    tokens = [{"token": ADMIN, "role": "admin"}, {"token": CRM, "role": "integration"}]
    tokens += [{"token": partner_token(p), "role": f"partner:{p}"} for p in partners]
    json.dump(tokens, sys.stdout, indent=1)
    sys.exit(0)

port, incoming = sys.argv[1], sys.argv[2]
count = int(sys.argv[3]) if len(sys.argv) > 3 else 300
base = f"http://127.0.0.1:{port}"
rng = random.Random(2026)


def call(method, path, body=None, key=None, token=CRM):
    data = None if body is None else json.dumps(body).encode()
    request = urllib.request.Request(base + path, data=data, method=method)
    request.add_header("Authorization", f"Bearer {token}")
    request.add_header("Content-Type", "application/json")
    if key:
        request.add_header("Idempotency-Key", key)
    try:
        with urllib.request.urlopen(request) as response:
            text = response.read().decode()
            return response.status, json.loads(text) if text.startswith("{") else text
    except urllib.error.HTTPError as error:
        return error.code, json.loads(error.read().decode())


silent = set()  # offers left unanswered


def answer(view):
    """The simulated partner's answer to the lead's current offer (and to the offers its re-routing makes)."""
    while view.get("state") == "offered":
        offer = view["offer"]
        draw = rng.random()
        if draw < 0.60:
            _, view = call("POST", f"/v1/offers/{offer['id']}/accept", token=partner_token(offer["partner_id"]))
        elif draw < 0.85:
            reason = rng.choice(["no capacity this month", "outside our focus", "customer already in talks"])
            _, view = call("POST", f"/v1/offers/{offer['id']}/decline", {"reason": reason},
                           token=partner_token(offer["partner_id"]))
        else:
            silent.add(offer["id"])
            return


with open(incoming, newline="") as handle:
    rows = list(csv.DictReader(handle))[:count]
start = time.time()
for row in rows:
    lead = {key: value for key, value in row.items() if value != ""}
    lead["estimated_value"] = float(lead["estimated_value"])
    status, view = call("POST", "/v1/leads", lead, key=f"demo-{lead['id']}")
    if status != 201:
        sys.exit(f"POST /v1/leads {lead['id']}: {status} {view}")
    answer(view)
print(f"submitted {len(rows)} leads in {time.time() - start:.1f} s; {len(silent)} offers left unanswered")

# The unanswered offers expire (the service's offer timeout is a few seconds in this demo) and are re-routed.
time.sleep(6)
for _ in range(3):
    for row in rows:
        _, view = call("GET", f"/v1/leads/{row['id']}")
        if view.get("state") == "offered" and view["offer"]["id"] not in silent:
            answer(view)
    time.sleep(0.2)

# Deals close: outcomes free capacity, and the queue is routed by the exact optimiser.
closed = 0
for row in rows[: count // 2]:
    _, view = call("GET", f"/v1/leads/{row['id']}")
    if view.get("state") == "accepted":
        won = rng.random() < 0.3
        call("POST", "/v1/outcomes", {"lead_id": row["id"], "outcome": "won" if won else "lost",
                                       "revenue": float(row["estimated_value"]) if won else 0})
        closed += 1
print(f"closed {closed} accepted leads with an outcome (their capacity goes to the queue)")

states, rerouted = {}, None
for row in rows:
    _, view = call("GET", f"/v1/leads/{row['id']}")
    states[view["state"]] = states.get(view["state"], 0) + 1
    events = [event["event"] for event in view["history"]]
    if rerouted is None and "declined" in events and "expired" in events:
        rerouted = view
    elif rerouted is None and "declined" in events and events.count("offered") >= 3:
        rerouted = view
print("lead states:", ", ".join(f"{state} {n}" for state, n in sorted(states.items())))
_, metrics = call("GET", "/metrics")
for line in metrics.splitlines():
    if line.startswith(("switchboard_offers{", "switchboard_queue_length", "switchboard_partners_paused")):
        print("  " + line)

if rerouted:
    print(f"\naudit trail of {rerouted['lead_id']} (now {rerouted['state']}):")
    for event in rerouted["history"]:
        detail = []
        if "partner_id" in event:
            detail.append(event["partner_id"])
        if event["event"] == "offered":
            detail.append(f"P(win) {event['win_probability']:.3f}, EV {event['expected_value']:.0f}, rank {event['rank']}"
                          f", best alternative {event['best_alternative']} ({event['alternative_not_chosen']})")
        if "reason" in event:
            detail.append(event["reason"])
        if "model_version" in event and event["event"] in ("offered", "queued"):
            detail.append(event["model_version"])
        print(f"  {event['time']}  {event['event']:<10} by {event['actor']:<11} {'; '.join(detail)}")
