#!/usr/bin/python3
"""A small stand-in for prepaid-backend + prepaid-pay-sim, speaking the kiosk's routes of the
HTTP API (the shapes of backend/api wire_types.hpp). Control routes (/control/...) play the
customer's phone: pay an order, fail it, make the meter silent.

The e2e test (kiosk_e2e.py) runs against the real demo site; this stays for
tests/bench/kiosk/kiosk_resources.py, whose measurements want a backend with fixed data and no
simulators sharing the CPU. Keep it in step with backend/http when the kiosk's routes change.

Usage: fake_backend.py --port-file FILE [--kiosk-key KEY]
Writes the bound port to FILE once it listens (port 0 = any free port)."""

import argparse
import json
import threading
import time
from datetime import datetime, timedelta, timezone
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

TZ = timezone(timedelta(hours=8))
LOCK = threading.Lock()
STATE = {
    "kiosk_key": "demo-kiosk-key",
    "balance_fen": 5000,
    "purchase_count": 3,
    "orders": {},
    "entries": [],
    "audits": [],
    "meter_silent": False,
    "next_entry": 100,
}
SHOP = "101"
ACCOUNT_ID = 7
METER_ID = 11
TENANT_TOKEN = "tenant-token-7"


def now_text():
    return datetime.now(TZ).replace(microsecond=0).isoformat()


def meter_view():
    balance = STATE["balance_fen"]
    status = "normal" if balance > 10000 else ("alarm1" if balance > 2000 else "alarm2")
    return {"meter_id": METER_ID, "serial": "DDSY1352-0001", "medium": "electricity",
            "billing_mode": "meter_side", "personal": True, "balance_fen": balance,
            "status": status, "relay": "closed", "last_reading_at": now_text(),
            "today_energy_centi_kwh": 1234, "days_left_state": "known",
            "days_left": max(0, balance // 450), "hoarding_cap_fen": 200000,
            "sales_blocked": False}


def account_view(with_token):
    view = {"account_id": ACCOUNT_ID, "shop_number": SHOP, "tenant_name": "张*",
            "phone": "138****5678", "pin_required": False, "personal": True,
            "meters": [meter_view()]}
    if with_token:
        view["tenant_token"] = TENANT_TOKEN
        view["tenant_token_expires_in_s"] = 600
    return view


def usage(granularity):
    now = datetime.now(TZ).replace(minute=0, second=0, microsecond=0)
    points = []
    if granularity == "hour":
        starts = [now.replace(hour=h) for h in range(0, now.hour + 1)]
    elif granularity == "day":
        starts = [(now - timedelta(days=29 - d)).replace(hour=0) for d in range(30)]
    else:
        starts = []
        year, month = now.year, now.month
        for k in range(11, -1, -1):
            m = month - k
            y = year
            while m <= 0:
                m += 12
                y -= 1
            starts.append(now.replace(year=y, month=m, day=1, hour=0))
    for i, start in enumerate(starts):
        scale = {"hour": 40, "day": 900, "month": 27000}[granularity]
        base = scale + (i * 37 % 11) * scale // 10
        rates = [base // 10, base * 3 // 10, base * 4 // 10, base - base // 10 - base * 3 // 10 - base * 4 // 10]
        prices = [130, 110, 80, 40]  # fen per kWh
        money = [r * p // 100 for r, p in zip(rates, prices)]
        points.append({"period_start": start.isoformat(), "energy_centi_kwh": sum(rates),
                       "energy_by_rate_centi_kwh": rates, "money_fen": sum(money),
                       "money_by_rate_fen": money})
    return {"meter_id": METER_ID, "granularity": granularity,
            "rates": ["sharp", "peak", "flat", "valley"], "points": points}


def credit(order):
    """The backend's side after a payment: ledger entry, meter credited (unless silent)."""
    time.sleep(0.8)
    with LOCK:
        if STATE["meter_silent"]:
            order["state"] = "crediting"
            return
        STATE["balance_fen"] += order["amount_fen"]
        STATE["purchase_count"] += 1
        entry = STATE["next_entry"]
        STATE["next_entry"] += 1
        STATE["entries"].append({"entry_id": entry, "meter_id": METER_ID, "kind": "recharge",
                                 "amount_fen": order["amount_fen"],
                                 "purchase_count": STATE["purchase_count"], "source": "online",
                                 "created_at": now_text(),
                                 "balance_after_fen": STATE["balance_fen"],
                                 "order_no": order["order_no"]})
        order["state"] = "credited"
        order["ledger_entry_id"] = entry
        order["balance_after_fen"] = STATE["balance_fen"]


def receipt(entry):
    return {"receipt_number": "R%d" % entry["entry_id"], "entry_id": entry["entry_id"],
            "site_name": "示范广场", "shop_number": SHOP, "meter_serial": "DDSY1352-0001",
            "meter_id": METER_ID, "kind": "recharge", "amount_fen": entry["amount_fen"],
            "balance_after_fen": entry["balance_after_fen"],
            "purchase_count": entry["purchase_count"], "operator": "",
            "payment_method": "wechat", "created_at": entry["created_at"]}


class Handler(BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"

    def log_message(self, fmt, *args):
        pass

    def reply(self, status, body=None):
        data = b"" if body is None else json.dumps(body, ensure_ascii=False).encode()
        self.send_response(status)
        self.send_header("Content-Type", "application/json")
        self.send_header("Content-Length", str(len(data)))
        self.end_headers()
        self.wfile.write(data)

    def error(self, status, code, message):
        self.reply(status, {"error": {"code": code, "message": message}})

    def body(self):
        length = int(self.headers.get("Content-Length") or 0)
        raw = self.rfile.read(length) if length else b"{}"
        try:
            return json.loads(raw or b"{}")
        except ValueError:
            return None

    def kiosk_ok(self):
        if self.headers.get("X-Kiosk-Key") != STATE["kiosk_key"]:
            self.error(401, "unauthenticated", "unknown or disabled kiosk key")
            return False
        return True

    def tenant_ok(self):
        if not self.kiosk_ok():
            return False
        if self.headers.get("X-Tenant-Token") != TENANT_TOKEN:
            self.error(401, "unauthenticated", "missing tenant token")
            return False
        return True

    def do_GET(self):
        path, _, query = self.path.partition("?")
        parts = path.strip("/").split("/")
        with LOCK:
            if path == "/api/v1/health":
                return self.reply(200, {"status": "ok", "version": "fake-0.1",
                                        "api_version": "v1", "schema_version": 1,
                                        "time": now_text()})
            if path == "/control/state":
                return self.reply(200, {"balance_fen": STATE["balance_fen"],
                                        "orders": STATE["orders"], "audits": STATE["audits"],
                                        "entries": STATE["entries"]})
            if parts[:4] == ["api", "v1", "kiosk", "accounts"]:
                if not self.tenant_ok():
                    return
                if len(parts) == 5:
                    return self.reply(200, account_view(False))
                if len(parts) == 8 and parts[7] == "usage":
                    granularity = dict(p.split("=") for p in query.split("&") if "=" in p).get(
                        "granularity", "hour")
                    return self.reply(200, usage(granularity))
                if parts[5] == "alarms":
                    alarms = []
                    if STATE["balance_fen"] <= 10000:
                        alarms.append({"alarm_id": 1, "meter_id": METER_ID, "kind": "alarm1",
                                       "raised_at": now_text(), "detail": ""})
                    return self.reply(200, {"alarms": alarms})
                if parts[5] == "recharges":
                    items = [{k: e[k] for k in ("entry_id", "meter_id", "kind", "amount_fen",
                                                "purchase_count", "source", "created_at")}
                             for e in reversed(STATE["entries"])][:10]
                    return self.reply(200, {"recharges": items})
                if parts[5] == "receipts":
                    for e in STATE["entries"]:
                        if e["entry_id"] == int(parts[6]):
                            return self.reply(200, receipt(e))
                    return self.error(404, "not_found", "no such receipt")
            if parts[:4] == ["api", "v1", "kiosk", "orders"] and len(parts) == 5:
                if not self.kiosk_ok():
                    return
                order = STATE["orders"].get(parts[4])
                if order is None:
                    return self.error(404, "not_found", "no such order")
                return self.reply(200, order)
        self.error(404, "not_found", "no route " + path)

    def do_POST(self):
        path = self.path.partition("?")[0]
        parts = path.strip("/").split("/")
        body = self.body()
        if body is None:
            return self.error(400, "invalid_json", "body is not JSON")
        with LOCK:
            if path == "/api/v1/kiosk/identify":
                if not self.kiosk_ok():
                    return
                if body.get("shop_number") == SHOP or body.get("card_token") == "CARD-7-0123456789":
                    return self.reply(200, account_view(True))
                return self.error(404, "unknown_shop", "no shop with that number")
            if path == "/api/v1/kiosk/orders":
                if not self.kiosk_ok():
                    return
                key = self.headers.get("Idempotency-Key")
                if not key:
                    return self.error(400, "missing_idempotency_key", "send an Idempotency-Key")
                for order in STATE["orders"].values():
                    if order["idempotency_key"] == key:
                        return self.reply(200, order)
                amount = body.get("amount_fen", 0)
                if STATE["balance_fen"] + amount > 200000:
                    return self.error(409, "above_hoarding_cap", "above the cap")
                number = "K%s%04d" % (datetime.now(TZ).strftime("%Y%m%d%H%M%S"),
                                      len(STATE["orders"]) + 1)
                order = {"order_no": number, "meter_id": body.get("meter_id"),
                         "amount_fen": amount, "channel": body.get("channel", "qr"),
                         "provider": body.get("provider", ""), "state": "pending",
                         "qr_code": "weixin://wxpay/bizpayurl?pr=" + number,
                         "expires_at": (datetime.now(TZ) + timedelta(minutes=5)).replace(
                             microsecond=0).isoformat(),
                         "ledger_entry_id": None, "idempotency_key": key}
                STATE["orders"][number] = order
                return self.reply(200, order)
            if parts[:4] == ["api", "v1", "kiosk", "orders"] and len(parts) == 6:
                if not self.kiosk_ok():
                    return
                order = STATE["orders"].get(parts[4])
                if order is None:
                    return self.error(404, "not_found", "no such order")
                action = parts[5]
                if action == "cancel" and order["state"] == "pending":
                    order["state"] = "closed"
                elif action == "code" and order["state"] == "pending":
                    order["state"] = "paid"
                    order["provider"] = "wechat"
                    threading.Thread(target=credit, args=(order,), daemon=True).start()
                elif action == "receipted" and order["state"] == "credited":
                    order["state"] = "receipted"
                return self.reply(200, order)
            if path == "/api/v1/auth/login":
                if body.get("username") == "admin" and body.get("password") == "secret1":
                    return self.reply(200, {"token": "staff-token", "username": "admin",
                                            "expires_in_s": 900})
                return self.error(401, "invalid_credentials", "wrong username or password")
            if path == "/api/v1/audit/events":
                if self.headers.get("Authorization") != "Bearer staff-token":
                    return self.error(401, "unauthenticated", "no session")
                STATE["audits"].append(body)
                return self.reply(200, {"ok": True})
            if parts[:2] == ["control", "orders"] and len(parts) == 4:
                order = STATE["orders"].get(parts[2])
                if order is None:
                    return self.error(404, "not_found", "no such order")
                if parts[3] == "pay" and order["state"] == "pending":
                    order["state"] = "paid"
                    order["provider"] = "wechat"
                    threading.Thread(target=credit, args=(order,), daemon=True).start()
                elif parts[3] == "fail" and order["state"] == "pending":
                    order["state"] = "failed"
                    order["last_error"] = "PAYERROR"
                return self.reply(200, order)
            if path == "/control/meter-silent":
                STATE["meter_silent"] = bool(body.get("silent", True))
                return self.reply(200, {"meter_silent": STATE["meter_silent"]})
        self.error(404, "not_found", "no route " + path)


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("--port", type=int, default=0)
    parser.add_argument("--port-file", required=True)
    parser.add_argument("--kiosk-key", default="demo-kiosk-key")
    args = parser.parse_args()
    STATE["kiosk_key"] = args.kiosk_key
    ThreadingHTTPServer.allow_reuse_address = True
    server = ThreadingHTTPServer(("127.0.0.1", args.port), Handler)
    with open(args.port_file + ".tmp", "w") as out:
        out.write(str(server.server_address[1]))
    import os
    os.rename(args.port_file + ".tmp", args.port_file)
    server.serve_forever()


if __name__ == "__main__":
    main()
