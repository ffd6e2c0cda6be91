#!/usr/bin/python3
"""End-to-end test of prepaid-kiosk on the demo site (ctest e2e.kiosk.<orientation>, label e2e).

The real stack: installer/demo.sh starts prepaid-meter-sim + prepaid-pay-sim (one instance) and
prepaid-backend (a second instance, so the backend alone can be killed and restarted) on
assets/demo/site.toml and fleet.toml, in a temp data dir with free ports (API, pay-sim, the
meter simulator's gateways and control port). The
kiosk runs under its own Xvfb and is driven by xdotool clicks, as a person would:

  attract -> keypad: an unknown shop (plain-words error), then shop A102 on the letter and digit
  pages -> account (the balance shown is one the backend's ledger held) -> English and back ->
  usage charts -> recharge 100 yuan -> the QR on screen decodes (zbarimg) to the order's payment
  URL -> the test pays it at that URL (pay-sim's control API: the customer's phone) -> success
  screen with the new balance -> the backend: order credited, exactly one recharge entry of
  10000 fen, the balance rose by exactly 10000 fen (plus the mirrored meter charges posted in
  between, entry by entry) -> the virtual printer's receipt holds 100.00, the balance after and
  the order number -> back to attract after 10 s -> maintenance mode (staff login, test print,
  audit log) -> recent recharges and a reprint -> alarms -> 50 yuan paid by the customer's
  payment code, read by a serial scanner on a pseudo-terminal -> offline: the backend is killed
  -> banner, recharge disabled -> the backend is restarted -> the kiosk recovers by itself.

Where to click comes from the kiosk's --ui-map (the targets it drew in its last frame, as a
person sees buttons on the screen), so the same script runs portrait and landscape. Screenshots
(import -window root), the receipt (text and PNG), the demo logs and report.json are kept in
--artifacts.

With --credit-pending it also pays while the simulated meter does not answer (a fault on
meter-sim's control port): "payment received, credit pending" on screen and on the receipt, then
the meter answers again and the backend credits it by itself.

Usage: kiosk_e2e.py --kiosk BIN --source REPO --build BUILD_DIR --artifacts DIR
                    [--size 1080x1920] [--credit-pending] [--measure]"""

import argparse
import json
import os
import re
import shutil
import signal
import socket
import sqlite3
import subprocess
import sys
import tempfile
import time
import urllib.error
import urllib.request

# Demo credentials and the shop used (installer/demo.sh, assets/demo/site.toml): A102 is a
# single-phase meter-side meter with a tenant (胡桂英), on the Modbus TCP gateway A-1F.
KIOSK_KEY = "pk_demo_kiosk_key_0001"
ADMIN_USER = "admin"
# The site's name in the backend (assets/demo/site.toml); the kiosk runs with --site-name 演示商场,
# and both receipts must carry the backend's spelling.
BACKEND_SITE_NAME = "演示商场 Demo Mall"
ADMIN_PASSWORD = "demo-admin-123"
SHOP = "A102"
SIM_METER = "0 2"  # A102's meter in the simulator: gateway 0 (A-1F), unit 2
TENANT_MASKED = "胡*"
AMOUNT_FEN = 10000
OFFLINE_BANNER = "无法连接服务器"


class Failure(Exception):
    pass


def wait_for(what, predicate, timeout=20.0, interval=0.05):
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        last = predicate()
        if last:
            return last
        time.sleep(interval)
    raise Failure("timed out (%.0f s) waiting for %s" % (timeout, what))


def free_port():
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def free_port_block(count):
    """The first of `count` consecutive free ports (the meter simulator's gateways)."""
    import random
    for _ in range(200):
        base = random.randrange(20000, 60000)
        sockets = []
        try:
            for port in range(base, base + count):
                s = socket.socket()
                sockets.append(s)
                s.bind(("127.0.0.1", port))
            return base
        except OSError:
            continue
        finally:
            for s in sockets:
                s.close()
    raise Failure("no %d consecutive free ports" % count)


def http(method, url, body=None, headers=None, timeout=10):
    """(status, JSON body); connection errors raise OSError."""
    data = None if body is None else json.dumps(body).encode()
    request = urllib.request.Request(url, data=data, method=method)
    if data is not None:
        request.add_header("Content-Type", "application/json")
    for key, value in (headers or {}).items():
        request.add_header(key, value)
    try:
        with urllib.request.urlopen(request, timeout=timeout) as response:
            raw = response.read()
            return response.status, json.loads(raw) if raw else None
    except urllib.error.HTTPError as error:
        raw = error.read()
        try:
            return error.code, json.loads(raw) if raw else None
        except ValueError:
            return error.code, raw.decode(errors="replace")


def yuan(fen):
    return "%s%d.%02d" % ("-" if fen < 0 else "", abs(fen) // 100, abs(fen) % 100)


def children(pid):
    """Direct children of pid as (pid, comm), from /proc."""
    found = []
    for entry in os.listdir("/proc"):
        if entry.isdigit():
            try:
                with open("/proc/%s/stat" % entry) as f:
                    text = f.read()
                comm = text[text.index("(") + 1:text.rindex(")")]
                ppid = int(text.rsplit(")", 1)[1].split()[1])
            except (OSError, ValueError, IndexError):
                continue
            if ppid == pid:
                found.append((int(entry), comm))
    return found


class Demo:
    """The demo site through installer/demo.sh: one instance for the simulators, one for the
    backend (PREPAID_DEMO_PROGRAMS), sharing the data dir and ports."""

    def __init__(self, source, build, artifacts):
        self.source = source
        self.build = build
        self.artifacts = artifacts
        self.data = tempfile.mkdtemp(prefix="prepaid-kiosk-e2e-demo-")
        self.api_port = free_port()
        self.pay_port = free_port()
        self.sim_port = free_port()
        self.gateway_base = free_port_block(4)
        self.url = "http://127.0.0.1:%d" % self.api_port
        self.procs = {}
        self.staff_token = None
        self.kills = 0

    def start(self, name, programs, timeout=120):
        out_path = os.path.join(self.artifacts, "demo-%s.out" % name)
        env = dict(os.environ, PREPAID_DEMO_DATA=self.data, PREPAID_DEMO_PORT=str(self.api_port),
                   PREPAID_DEMO_PAY_PORT=str(self.pay_port), PREPAID_DEMO_TIMEOUT_S="90",
                   PREPAID_DEMO_SIM_CONTROL_PORT=str(self.sim_port),
                   PREPAID_DEMO_SIM_PORT_BASE=str(self.gateway_base), PREPAID_DEMO_PROGRAMS=programs)
        env.pop("DISPLAY", None)
        out = open(out_path, "a")
        proc = subprocess.Popen(["bash", os.path.join(self.source, "installer/demo.sh"),
                                 self.build], stdout=out, stderr=subprocess.STDOUT, env=env)
        out.close()
        self.procs[name] = proc

        def ready():
            if proc.poll() is not None:
                raise Failure("installer/demo.sh (%s) exited with %s:\n%s" %
                              (programs, proc.returncode, open(out_path).read()[-3000:]))
            with open(out_path) as f:
                return any(line.startswith("[demo] running") for line in f)
        wait_for("demo.sh (%s) ready" % programs, ready, timeout=timeout, interval=0.2)
        return proc

    def stop(self, name):
        proc = self.procs.pop(name, None)
        if proc is None or proc.poll() is not None:
            return
        proc.send_signal(signal.SIGINT)  # demo.sh stops what it started, like Ctrl-C
        try:
            proc.wait(60)
        except subprocess.TimeoutExpired:
            proc.kill()
            raise Failure("installer/demo.sh (%s) did not stop within 60 s" % name)

    def kill_backend(self):
        """SIGKILL the prepaid-backend process itself (a crash, no clean shutdown); its demo.sh
        instance then exits by itself."""
        proc = self.procs["backend"]
        backends = [pid for pid, comm in children(proc.pid) if comm == "prepaid-backend"]
        if len(backends) != 1:
            raise Failure("expected one prepaid-backend under demo.sh, found %r" %
                          children(proc.pid))
        os.kill(backends[0], signal.SIGKILL)
        try:
            proc.wait(30)
        except subprocess.TimeoutExpired:
            raise Failure("demo.sh did not notice its backend died")
        del self.procs["backend"]
        # demo.sh starts each run with a fresh log: keep this one.
        self.kills += 1
        log = os.path.join(self.data, "logs", "backend.log")
        if os.path.exists(log):
            shutil.copy(log, os.path.join(self.artifacts, "backend-killed-%d.log" % self.kills))

    def stop_all(self):
        for name in list(reversed(list(self.procs))):
            try:
                self.stop(name)
            except Failure as failure:
                print("cleanup: %s" % failure)

    def keep_logs(self):
        logs = os.path.join(self.data, "logs")
        if os.path.isdir(logs):
            for name in os.listdir(logs):
                shutil.copy(os.path.join(logs, name), os.path.join(self.artifacts, name))

    def sim(self, command):
        """One line to the meter simulator's control port; its "ok ..." answer as a dict."""
        with socket.create_connection(("127.0.0.1", self.sim_port), timeout=10) as conn:
            conn.sendall(command.encode() + b"\n")
            answer = b""
            while not answer.endswith(b"\n"):
                chunk = conn.recv(4096)
                if not chunk:
                    break
                answer += chunk
        words = answer.decode().split()
        if not words or words[0] != "ok":
            raise Failure("meter-sim '%s': %r" % (command, answer))
        return dict(w.split("=", 1) for w in words[1:] if "=" in w)

    # The backend, as staff and as a kiosk.

    def api(self, method, path, body=None, staff=False, headers=None):
        all_headers = dict(headers or {})
        if staff:
            if self.staff_token is None:
                status, login = http("POST", self.url + "/api/v1/auth/login",
                                     {"username": ADMIN_USER, "password": ADMIN_PASSWORD})
                if status != 200:
                    raise Failure("staff login: %s %r" % (status, login))
                self.staff_token = login["token"]
            all_headers["Authorization"] = "Bearer " + self.staff_token
        return http(method, self.url + path, body, all_headers)

    def recharge_commands(self, entry_id):
        """(state, purchase_count) of the meter commands that deliver that ledger entry."""
        con = sqlite3.connect("file:%s?mode=ro" % os.path.join(self.data, "site.db"), uri=True,
                              timeout=10)
        try:
            return con.execute("SELECT state, purchase_count FROM commands WHERE kind = 'recharge'"
                               " AND ledger_entry_id = ?", (entry_id,)).fetchall()
        finally:
            con.close()

    def ledger(self, meter_id):
        """Every ledger entry of the meter as (id, kind, amount_fen), in one read snapshot."""
        con = sqlite3.connect("file:%s?mode=ro" % os.path.join(self.data, "site.db"), uri=True,
                              timeout=10)
        try:
            return con.execute("SELECT id, kind, amount_fen FROM ledger_entries WHERE meter_id = ?"
                               " ORDER BY id", (meter_id,)).fetchall()
        finally:
            con.close()


class Kiosk:
    def __init__(self, args, display, backend_url, workdir):
        self.map_path = os.path.join(workdir, "ui-map.json")
        self.stats_path = os.path.join(workdir, "frame-stats.txt")
        self.printer_dir = os.path.join(workdir, "printer")
        self.display = display
        self.artifacts = args.artifacts
        self.shots = 0
        env = dict(os.environ, DISPLAY=display, TZ="Asia/Shanghai")
        env.pop("WAYLAND_DISPLAY", None)
        # A serial code scanner on a pseudo-terminal: the test writes codes into the master end,
        # as the scanner's firmware would (code + CR).
        self.scanner_master, self.scanner_slave = os.openpty()
        scanner_path = os.ttyname(self.scanner_slave)
        cmd = [args.kiosk, "--windowed", args.size, "--backend", backend_url,
               "--scanner", "serial:%s?baud=9600" % scanner_path,
               "--kiosk-key", KIOSK_KEY, "--printer", "virtual:" + self.printer_dir,
               "--config", os.path.join(workdir, "settings.json"),
               "--ui-map", self.map_path, "--frame-stats", self.stats_path,
               "--site-name", "演示商场"]
        self.log = open(os.path.join(args.artifacts, "kiosk.log"), "w")
        self.proc = subprocess.Popen(cmd, env=env, stdout=self.log, stderr=subprocess.STDOUT)

    def ui(self):
        if self.proc.poll() is not None:
            raise Failure("the kiosk exited with %s" % self.proc.returncode)
        try:
            with open(self.map_path) as f:
                return json.load(f)
        except (OSError, ValueError):
            return None

    def screen(self, name, timeout=20.0):
        return wait_for("screen " + name,
                        lambda: (m := self.ui()) is not None and m["screen"] == name and m,
                        timeout)

    def find(self, target_id):
        m = self.ui()
        for t in (m or {}).get("targets", []):
            if t["id"] == target_id:
                return t
        return None

    def target(self, target_id, timeout=10.0):
        return wait_for("target " + target_id,
                        lambda: (t := self.find(target_id)) is not None and t["enabled"] and t,
                        timeout)

    def texts(self):
        return (self.ui() or {}).get("texts", [])

    def has_text(self, needle, timeout=20.0):
        return wait_for("text '%s'" % needle,
                        lambda: [t for t in self.texts() if needle in t], timeout)

    def click(self, target_id):
        t = self.target(target_id)
        x = int(t["x"] + t["w"] / 2)
        y = int(t["y"] + t["h"] / 2)
        env = dict(os.environ, DISPLAY=self.display)
        subprocess.run(["xdotool", "mousemove", str(x), str(y), "mousedown", "1"], env=env,
                       check=True)
        time.sleep(0.08)  # a finger stays on the glass a little
        subprocess.run(["xdotool", "mouseup", "1"], env=env, check=True)
        time.sleep(0.15)

    def type_keys(self, page, keys):
        for key in keys:
            self.click(page + ":" + key)

    def scan(self, code):
        os.write(self.scanner_master, code.encode() + b"\r")

    def long_press(self, x, y, seconds):
        env = dict(os.environ, DISPLAY=self.display)
        subprocess.run(["xdotool", "mousemove", str(x), str(y), "mousedown", "1"], env=env,
                       check=True)
        time.sleep(seconds)  # the gesture itself is a hold of 3 s
        subprocess.run(["xdotool", "mouseup", "1"], env=env, check=True)

    def screenshot(self, name):
        self.shots += 1
        path = os.path.join(self.artifacts, "%02d-%s.png" % (self.shots, name))
        time.sleep(0.3)  # the frame after the last change
        subprocess.run(["import", "-display", self.display, "-window", "root", path], check=True)
        return path

    def stop(self):
        if self.proc.poll() is None:
            self.proc.send_signal(signal.SIGTERM)
            try:
                self.proc.wait(5)
            except subprocess.TimeoutExpired:
                self.proc.kill()
        self.log.close()
        os.close(self.scanner_master)
        os.close(self.scanner_slave)


def start_xvfb(size):
    w, h = size.split("x")
    read_fd, write_fd = os.pipe()
    proc = subprocess.Popen(["Xvfb", "-displayfd", str(write_fd), "-screen", "0",
                             "%sx%sx24" % (w, h), "-nolisten", "tcp"], pass_fds=(write_fd,),
                            stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    os.close(write_fd)
    number = b""
    deadline = time.monotonic() + 15
    while not number.endswith(b"\n") and time.monotonic() < deadline:
        chunk = os.read(read_fd, 16)
        if not chunk:
            break
        number += chunk
    os.close(read_fd)
    if not number.strip():
        proc.kill()
        raise Failure("Xvfb did not start")
    return proc, ":" + number.decode().strip()


def cpu_seconds(pid):
    with open("/proc/%d/stat" % pid) as f:
        fields = f.read().rsplit(")", 1)[1].split()
    ticks = os.sysconf("SC_CLK_TCK")
    return (int(fields[11]) + int(fields[12])) / ticks


def rss_mb(pid):
    with open("/proc/%d/status" % pid) as f:
        for line in f:
            if line.startswith("VmRSS:"):
                return int(line.split()[1]) / 1024.0
    return 0.0


def frame_times(stats_path, screen, column=2):
    times = []
    with open(stats_path) as f:
        for line in f:
            parts = line.split()
            if parts[0] == "frame_ms" and parts[1] == screen:
                times.append(float(parts[column]))
    return times


def percentile(values, p):
    values = sorted(values)
    if not values:
        return float("nan")
    k = min(len(values) - 1, int(round(p / 100.0 * (len(values) - 1))))
    return values[k]


def identify(kiosk, shop):
    """From attract to the account screen of `shop`, typed on the keypad's letter and digit
    pages."""
    kiosk.screen("attract")
    kiosk.click("start")
    kiosk.screen("identify")
    for ch in shop:
        if ch.isalpha():
            kiosk.click("mode")  # to the letter page
            kiosk.click("letters:" + ch)
            kiosk.click("mode")  # back to the digits
        else:
            kiosk.click("digits:" + ch)
    kiosk.has_text(shop)


def balances_shown(kiosk):
    """Every "¥ 123.45" on screen, in fen."""
    found = set()
    for text in kiosk.texts():
        for match in re.finditer(r"¥\s*(-?)(\d+)\.(\d\d)", text):
            fen = int(match.group(2)) * 100 + int(match.group(3))
            found.add(-fen if match.group(1) else fen)
    return found


def code_pay(kiosk, demo, report, args):
    """Pay by the customer's payment code: the scanner reads it, the kiosk submits it to the
    order, pay-sim (code pay) takes the money, the meter is credited."""
    kiosk.click("menu.recharge")
    kiosk.screen("recharge")
    kiosk.click("code")
    kiosk.click("preset5000")
    kiosk.has_text("支付 50.00 元")
    printed = set(os.listdir(kiosk.printer_dir))
    kiosk.click("pay")
    kiosk.target("cancelpay", timeout=20)
    kiosk.screenshot("code-waiting")
    status, listing = demo.api("GET", "/api/v1/orders?limit=1", staff=True)
    order = listing["orders"][0]
    if status != 200 or order["channel"] != "code" or order["amount_fen"] != 5000 or \
            order["state"] not in ("created", "pending"):
        raise Failure("code order: %s %r" % (status, order))
    # Bytes that are not UTF-8 (a GBK QR, line noise) are refused in plain words, and the
    # payment goes on waiting (they used to throw in the JSON encoder and stall the polling).
    os.write(kiosk.scanner_master, b"\xb3\xe4\xd6\xb5\r")
    wait_for("the unreadable-scan message", lambda: "无法识别扫描的内容" in "".join(kiosk.texts()),
             timeout=20)
    kiosk.target("cancelpay")
    t0 = time.monotonic()
    kiosk.scan("134567890123456789")  # a WeChat payment code: 18 digits, 10-15 first
    kiosk.target("finish", timeout=60)
    kiosk.has_text("充值成功")
    report["code_pay_to_done_s"] = round(time.monotonic() - t0, 1)
    kiosk.screenshot("code-done")
    status, body = demo.api("GET", "/api/v1/orders/" + order["order_no"], staff=True)
    done = body["order"]
    if done["state"] not in ("credited", "receipted") or done["provider"] != "wechat" or \
            done.get("paid_fen") != 5000:
        raise Failure("code order after the scan: %r" % done)
    new_txt = wait_for("the code-pay receipt", lambda: [
        f for f in os.listdir(kiosk.printer_dir) if f.endswith(".txt") and f not in printed])
    text = open(os.path.join(kiosk.printer_dir, new_txt[0]), encoding="utf-8").read()
    for needle in ("50.00", order["order_no"], "充值成功"):
        if needle not in text:
            raise Failure("code-pay receipt lacks %r:\n%s" % (needle, text))
    shutil.copy(os.path.join(kiosk.printer_dir, new_txt[0]),
                os.path.join(args.artifacts, "code-" + new_txt[0]))
    print("code pay: scanned to success screen in %.1f s" % report["code_pay_to_done_s"])
    kiosk.screen("attract", timeout=30)  # 10 s after a finished recharge


def credit_pending(kiosk, demo, report, args):
    """Paid while the meter does not answer: after the kiosk's credit wait (60 s) the tenant is
    told "payment received, credit pending, applied automatically" and gets a receipt saying so;
    once the meter answers again the backend delivers the recharge by itself."""
    kiosk.click("menu.recharge")
    kiosk.screen("recharge")
    kiosk.click("preset5000")
    kiosk.has_text("支付 50.00 元")
    printed = set(os.listdir(kiosk.printer_dir))
    kiosk.click("pay")
    kiosk.target("cancelpay", timeout=20)
    count_before = int(demo.sim("get " + SIM_METER)["purchase_count"])
    demo.sim("fault %s no-reply" % SIM_METER)
    shot = kiosk.screenshot("pending-qr")
    url = subprocess.run(["zbarimg", "--quiet", "--raw", shot], capture_output=True,
                         text=True).stdout.strip()
    prefix = "http://127.0.0.1:%d/sim/qr/wechat/" % demo.pay_port
    if not url.startswith(prefix):
        raise Failure("QR on screen decodes to %r" % url)
    order_no = url[len(prefix):]
    status, paid = http("POST", url, {})
    if status != 200:
        raise Failure("pay-sim refused the payment: %s %r" % (status, paid))
    t_paid = time.monotonic()
    # The message wraps over several lines: look in the screen's text run together.
    wait_for("the credit-pending message", lambda: "已收到付款，电表暂未响应" in "".join(
        kiosk.texts()), timeout=100)
    report["credit_pending_shown_after_s"] = round(time.monotonic() - t_paid, 1)
    kiosk.screenshot("credit-pending")
    status, body = demo.api("GET", "/api/v1/orders/" + order_no, staff=True)
    if status != 200 or body["order"]["state"] not in ("paid", "crediting"):
        raise Failure("order %s while the meter is silent: %s %r" % (order_no, status, body))
    new_txt = wait_for("the credit-pending receipt", lambda: [
        f for f in os.listdir(kiosk.printer_dir) if f.endswith(".txt") and f not in printed])
    text = open(os.path.join(kiosk.printer_dir, new_txt[0]), encoding="utf-8").read()
    # The backend's site name, as on the credited receipt (not the kiosk's --site-name).
    for needle in ("已收款，电表暂未入账", "待入表 pending", "50.00", order_no, SHOP, BACKEND_SITE_NAME):
        if needle not in text:
            raise Failure("credit-pending receipt lacks %r:\n%s" % (needle, text))
    shutil.copy(os.path.join(kiosk.printer_dir, new_txt[0]),
                os.path.join(args.artifacts, "pending-" + new_txt[0]))

    # The meter answers again: the backend delivers the recharge with no one touching the kiosk.
    demo.sim("clear " + SIM_METER)
    t_clear = time.monotonic()

    def credited():
        status, body = demo.api("GET", "/api/v1/orders/" + order_no, staff=True)
        return status == 200 and body["order"]["state"] in ("credited", "receipted")
    wait_for("order %s credited once the meter answers" % order_no, credited, timeout=120,
             interval=0.5)
    report["credited_after_meter_back_s"] = round(time.monotonic() - t_clear, 1)
    count_after = int(demo.sim("get " + SIM_METER)["purchase_count"])
    if count_after != count_before + 1:
        raise Failure("meter purchase count %d -> %d after the pending credit" %
                      (count_before, count_after))
    print("credit pending shown %.1f s after paying; credited %.1f s after the meter answered" %
          (report["credit_pending_shown_after_s"], report["credited_after_meter_back_s"]))
    kiosk.screen("attract", timeout=30)  # 10 s after a finished recharge


def run(args):
    os.makedirs(args.artifacts, exist_ok=True)
    for name in os.listdir(args.artifacts):
        os.remove(os.path.join(args.artifacts, name))
    workdir = tempfile.mkdtemp(prefix="prepaid-kiosk-e2e-")
    report = {"size": args.size, "shop": SHOP}
    demo = Demo(args.source, args.build, args.artifacts)
    xvfb = None
    kiosk = None
    passed = False
    try:
        xvfb, display = start_xvfb(args.size)
        t0 = time.monotonic()
        demo.start("sims", "meter-sim pay-sim")
        demo.start("backend", "backend")
        report["demo_start_s"] = round(time.monotonic() - t0, 1)
        print("demo site up in %.1f s: API %s, pay-sim port %d, data %s" %
              (report["demo_start_s"], demo.url, demo.pay_port, demo.data))

        # The backend's view of the shop (as a kiosk would ask) and its meter's first reading, so
        # the recharge can reach the meter.
        status, account = demo.api("POST", "/api/v1/kiosk/identify", {"shop_number": SHOP},
                                   headers={"X-Kiosk-Key": KIOSK_KEY})
        if status != 200 or len(account.get("meters", [])) != 1:
            raise Failure("identify %s: %s %r" % (SHOP, status, account))
        meter_id = account["meters"][0]["meter_id"]
        if account["meters"][0]["billing_mode"] != "meter_side":
            raise Failure("%s is expected to be meter-side: %r" % (SHOP, account))

        def meter_read():
            status, body = demo.api("GET", "/api/v1/meters/status", staff=True)
            if status != 200:
                raise Failure("meters/status: %s %r" % (status, body))
            return any(m["meter_id"] == meter_id and m["last_reading_at"] for m in body["meters"])
        wait_for("a first reading of %s's meter" % SHOP, meter_read, timeout=90, interval=0.5)

        # Some usage today, so the chart has bars (the backend needs two readings for that).
        token = account["tenant_token"]

        def used_today():
            status, body = demo.api(
                "GET", "/api/v1/kiosk/accounts/%d/meters/%d/usage?granularity=hour" %
                (account["account_id"], meter_id),
                headers={"X-Kiosk-Key": KIOSK_KEY, "X-Tenant-Token": token})
            if status != 200:
                raise Failure("usage: %s %r" % (status, body))
            return sum(p["energy_centi_kwh"] for p in body["points"]) > 0
        wait_for("usage today on %s's meter" % SHOP, used_today, timeout=90, interval=0.5)

        kiosk = Kiosk(args, display, demo.url, workdir)

        # Attract.
        kiosk.screen("attract")
        first = wait_for("first frame", lambda: os.path.exists(kiosk.stats_path) and
                         [l for l in open(kiosk.stats_path) if l.startswith("first_frame_ms")])
        report["cold_start_ms"] = float(first[0].split()[1])
        kiosk.has_text("轻触屏幕开始")
        kiosk.has_text("演示商场")
        kiosk.screenshot("attract")
        kiosk.click("start")

        # Identify: an unknown shop first (the backend's unknown_shop in plain words).
        kiosk.screen("identify")
        kiosk.type_keys("digits", "99")
        kiosk.click("ok")
        kiosk.has_text("没有找到该商铺号")
        kiosk.screenshot("identify-unknown")
        kiosk.click("clear")
        kiosk.click("mode")
        kiosk.target("letters:A")
        kiosk.screenshot("identify-letters")
        kiosk.click("letters:A")
        kiosk.click("mode")
        kiosk.type_keys("digits", "102")
        kiosk.has_text(SHOP)
        kiosk.screenshot("identify-keypad")
        ledger_before_ok = demo.ledger(meter_id)
        kiosk.click("ok")

        # Account overview: the tenant (masked) and a balance the backend's ledger held since.
        kiosk.screen("account")
        kiosk.has_text(TENANT_MASKED)
        kiosk.has_text("剩余金额")

        def balance_matches():
            shown = balances_shown(kiosk)
            running = sum(e[2] for e in ledger_before_ok)
            held = {running}
            for _, _, amount in demo.ledger(meter_id)[len(ledger_before_ok):]:
                running += amount
                held.add(running)
            return shown & held
        wait_for("the account balance on screen to be one the ledger held", balance_matches)
        kiosk.screenshot("account")

        # English switch on the account screen, then back to Chinese.
        kiosk.click("lang")
        kiosk.has_text("Balance")
        kiosk.screenshot("account-en")
        kiosk.click("lang")
        kiosk.has_text("剩余金额")

        # Usage charts from the backend's readings.
        kiosk.click("menu.usage")
        kiosk.screen("usage")
        wait_for("a non-zero total today", lambda: [
            t for t in kiosk.texts() if re.match(r"合计 (?!0\.00 )\d+\.\d\d 千瓦时", t)])
        kiosk.screenshot("usage-today")
        kiosk.click("usage.day")
        kiosk.screenshot("usage-30days")
        kiosk.click("money")
        kiosk.click("usage.month")
        kiosk.screenshot("usage-12months-money")
        if args.measure:
            for i in range(40):
                kiosk.click(["usage.hour", "usage.day", "usage.month", "energy", "money"][i % 5])
            times = frame_times(kiosk.stats_path, "usage")
            report["chart_frames"] = len(times)
            report["chart_frame_p50_ms"] = percentile(times, 50)
            report["chart_frame_p99_ms"] = percentile(times, 99)
            build = frame_times(kiosk.stats_path, "usage", column=3)
            report["chart_frame_build_p99_ms"] = percentile(build, 99)
        kiosk.click("back")

        # Recharge 100 yuan by QR.
        kiosk.screen("account")
        kiosk.click("menu.recharge")
        kiosk.screen("recharge")
        kiosk.click("preset10000")
        kiosk.has_text("支付 100.00 元")
        kiosk.screenshot("recharge-choose")
        ledger_before = demo.ledger(meter_id)
        balance_before = sum(e[2] for e in ledger_before)
        count_before = int(demo.sim("get " + SIM_METER)["purchase_count"])
        kiosk.click("pay")
        kiosk.target("cancelpay", timeout=20)
        kiosk.has_text("剩余")
        shot = kiosk.screenshot("recharge-qr")

        # The order the kiosk created, as staff see it.
        status, listing = demo.api("GET", "/api/v1/orders?meter_id=%d" % meter_id, staff=True)
        if status != 200:
            raise Failure("orders: %s %r" % (status, listing))
        orders = listing["orders"]
        if len(orders) != 1 or orders[0]["amount_fen"] != AMOUNT_FEN:
            raise Failure("expected one order of %d fen, got %r" % (AMOUNT_FEN, orders))
        order = orders[0]
        order_no = order["order_no"]
        decoded = subprocess.run(["zbarimg", "--quiet", "--raw", shot], capture_output=True,
                                 text=True)
        qr_text = decoded.stdout.strip()
        if qr_text != order["qr_code"] or not qr_text:
            raise Failure("QR on screen decodes to %r, the order's payment URL is %r" %
                          (qr_text, order["qr_code"]))
        expected_url = "http://127.0.0.1:%d/sim/qr/wechat/%s" % (demo.pay_port, order_no)
        if qr_text != expected_url:
            raise Failure("payment URL %r is not pay-sim's %r" % (qr_text, expected_url))
        print("QR decodes to the order's payment URL: " + qr_text)

        # The customer takes a while to scan: pay once the countdown has run 15 s, so the success
        # screen comes well after the tenant's last touch (it must still stay its 10 s).
        def countdown_at_most(seconds):
            for text in kiosk.texts():
                match = re.fullmatch(r"剩余 (\d+) 秒", text)
                if match and int(match.group(1)) <= seconds:
                    return True
            return False
        wait_for("the countdown to run 15 s", lambda: countdown_at_most(165), timeout=30,
                 interval=0.2)
        # The customer's phone pays at that URL (pay-sim's control API).
        t_paid = time.monotonic()
        status, paid = http("POST", qr_text, {})
        if status != 200:
            raise Failure("pay-sim refused the payment: %s %r" % (status, paid))

        def credited():
            status, body = demo.api("GET", "/api/v1/orders/" + order_no, staff=True)
            if status != 200:
                raise Failure("order %s: %s %r" % (order_no, status, body))
            return body["order"]["state"] in ("credited", "receipted") and body["order"]
        done = wait_for("order %s credited by the meter" % order_no, credited, timeout=90,
                        interval=0.3)
        report["pay_to_credit_s"] = round(time.monotonic() - t_paid, 1)
        kiosk.target("finish", timeout=30)
        kiosk.has_text("充值成功")
        t_done = time.monotonic()
        kiosk.has_text("凭条已打印", timeout=30)

        # The backend: exactly one new recharge entry, the order's, of 10000 fen; the balance
        # rose by exactly that (every other entry since is a mirrored meter charge, counted).
        entry_id = done["ledger_entry_id"]
        if done.get("paid_fen") != AMOUNT_FEN or not entry_id:
            raise Failure("credited order: %r" % done)
        new_entries = demo.ledger(meter_id)[len(ledger_before):]
        recharges = [e for e in new_entries if e[1] == "recharge"]
        if recharges != [(entry_id, "recharge", AMOUNT_FEN)]:
            raise Failure("new recharge entries %r, expected only the order's (%d, %d fen)" %
                          (recharges, entry_id, AMOUNT_FEN))
        others = [e for e in new_entries if e[0] < entry_id]
        if any(e[1] != "charge" for e in others):
            raise Failure("unexpected entries before the recharge: %r" % others)
        balance_after = balance_before + sum(e[2] for e in new_entries if e[0] <= entry_id)
        rise = balance_after - balance_before - sum(e[2] for e in others)
        if rise != AMOUNT_FEN:
            raise Failure("balance rose by %d fen, expected %d" % (rise, AMOUNT_FEN))
        status, receipt_data = demo.api("GET", "/api/v1/receipts/%d" % entry_id, staff=True)
        if status != 200 or receipt_data["balance_after_fen"] != balance_after:
            raise Failure("receipt data %s %r, ledger balance after %d" %
                          (status, receipt_data, balance_after))
        # Meter-side: credited means the meter took it (one Recharge command, done, with the
        # purchase count the receipt prints).
        commands = demo.recharge_commands(entry_id)
        if len(commands) != 1 or commands[0][0] != "done" or \
                commands[0][1] != receipt_data.get("purchase_count"):
            raise Failure("recharge command(s) of entry %d: %r, receipt %r" %
                          (entry_id, commands, receipt_data))
        # ... and the simulated meter itself counted exactly one purchase more.
        count_after = int(demo.sim("get " + SIM_METER)["purchase_count"])
        if count_after != count_before + 1 or count_after != receipt_data["purchase_count"]:
            raise Failure("meter purchase count %d -> %d, receipt says %r" %
                          (count_before, count_after, receipt_data["purchase_count"]))
        report.update(balance_before_fen=balance_before, balance_after_fen=balance_after,
                      charges_between_fen=sum(e[2] for e in others), order_no=order_no,
                      ledger_entry_id=entry_id)
        print("ledger: %d fen -> %d fen after the recharge entry %d (%d fen of meter charges "
              "between)" % (balance_before, balance_after, entry_id, sum(e[2] for e in others)))

        # The success screen shows that balance, and the receipt holds it.
        kiosk.has_text("充值后余额 %s 元" % yuan(balance_after))
        kiosk.screenshot("recharge-done")
        receipts = wait_for("the printed receipt", lambda: os.path.isdir(kiosk.printer_dir) and
                            sorted(f for f in os.listdir(kiosk.printer_dir) if f.endswith(".txt")))
        if len(receipts) != 1:
            raise Failure("expected one receipt, found %r" % receipts)
        receipt_txt = os.path.join(kiosk.printer_dir, receipts[0])
        text = open(receipt_txt, encoding="utf-8").read()
        for needle in ("100.00", yuan(balance_after), order_no, SHOP, "充值成功",
                       BACKEND_SITE_NAME):
            if needle not in text:
                raise Failure("receipt lacks %r:\n%s" % (needle, text))
        shutil.copy(receipt_txt, os.path.join(args.artifacts, receipts[0]))
        png = receipt_txt[:-4] + ".png"
        if not os.path.exists(png):
            raise Failure("the virtual printer wrote no PNG beside " + receipts[0])
        shutil.copy(png, os.path.join(args.artifacts, os.path.basename(png)))
        wait_for("order marked receipted", lambda: demo.api(
            "GET", "/api/v1/orders/" + order_no, staff=True)[1]["order"]["state"] == "receipted",
            timeout=20, interval=0.3)

        # 10 s after a finished recharge the kiosk returns to attract and forgets the tenant.
        kiosk.screen("attract", timeout=20)
        shown_s = time.monotonic() - t_done
        if shown_s < 8:  # ~10 s less the time to notice it; the bug this guards made it ~0
            raise Failure("the success screen went back to attract after %.1f s, not 10" % shown_s)
        report["success_screen_shown_s"] = round(shown_s, 1)
        kiosk.screenshot("back-to-attract")
        if any(SHOP in t or TENANT_MASKED in t for t in kiosk.texts()):
            raise Failure("the tenant is still on screen after the timeout: %r" % kiosk.texts())

        # Maintenance: long press in the top-left corner, staff login on the keyboard.
        kiosk.long_press(8, 8, 3.4)
        kiosk.screen("maintenance")
        kiosk.type_keys("kbd", ADMIN_USER)
        kiosk.click("pass")
        kiosk.type_keys("kbd", ADMIN_PASSWORD)
        kiosk.click("login")
        kiosk.target("testprint", timeout=20)
        # Backend link with its latency and the paper state, as the zh-CN catalogue words them
        # (maintenance.status.backend_ok / paper_ok).
        kiosk.has_text("毫秒")
        kiosk.has_text("纸张正常")
        kiosk.click("testprint")
        kiosk.has_text("凭条已打印")
        kiosk.screenshot("maintenance")
        # Every staff action reaches the backend's audit log, recorded as client.<action> with
        # the staff member as the actor and this kiosk as the target (mandatory: no skip).
        def staff_actions(wanted):
            def found():
                status, body = demo.api("GET", "/api/v1/audit?limit=200", staff=True)
                if status != 200:
                    raise Failure("GET /api/v1/audit as staff: %s %r" % (status, body))
                records = [r for r in body.get("records", [])
                           if r.get("action", "").startswith("client.kiosk.")]
                by_action = {r["action"]: r for r in records}
                if not all(a in by_action for a in wanted):
                    return None
                return by_action
            return wait_for("the kiosk's staff actions %r in the audit log" % (wanted,), found,
                            timeout=20)
        entered = staff_actions(["client.kiosk.maintenance.enter", "client.kiosk.printer.test"])
        for action in ("client.kiosk.maintenance.enter", "client.kiosk.printer.test"):
            record = entered[action]
            if record.get("actor") != ADMIN_USER or not str(record.get("target", "")).startswith(
                    "kiosk:") or record.get("target") == "kiosk:unknown-key":
                raise Failure("audit record of %s names the wrong actor/kiosk: %r" %
                              (action, record))
        kiosk.click("logout")
        kiosk.screen("attract")
        left = staff_actions(["client.kiosk.maintenance.leave"])
        report["audit_checked"] = True
        report["audit_actions"] = sorted(left)

        # Offline on the account screen: the backend is killed -> banner, recharge disabled;
        # restarted -> the kiosk recovers by itself.
        identify(kiosk, SHOP)
        kiosk.click("ok")
        kiosk.screen("account")

        # Recent recharges: the one just paid, reprinted from the backend's receipt data.
        kiosk.click("menu.history")
        kiosk.screen("history")
        printed = set(os.listdir(kiosk.printer_dir))
        kiosk.click("reprint%d" % entry_id)
        new_txt = wait_for("the reprinted receipt", lambda: [
            f for f in os.listdir(kiosk.printer_dir) if f.endswith(".txt") and f not in printed])
        kiosk.has_text("凭条已打印")
        kiosk.screenshot("history-reprint")
        reprint = os.path.join(kiosk.printer_dir, new_txt[0])
        text = open(reprint, encoding="utf-8").read()
        for needle in ("补打 REPRINT", "100.00", yuan(balance_after), SHOP):
            if needle not in text:
                raise Failure("reprint lacks %r:\n%s" % (needle, text))
        shutil.copy(reprint, os.path.join(args.artifacts, "reprint-" + new_txt[0]))
        kiosk.click("back")

        # Alarms of the account (whatever the backend holds; the screen must draw them).
        kiosk.screen("account")
        kiosk.click("menu.alarms")
        kiosk.screen("alarms")
        kiosk.screenshot("alarms")
        kiosk.click("back")
        kiosk.screen("account")

        code_pay(kiosk, demo, report, args)
        identify(kiosk, SHOP)
        kiosk.click("ok")
        kiosk.screen("account")
        if args.credit_pending:
            credit_pending(kiosk, demo, report, args)
            identify(kiosk, SHOP)
            kiosk.click("ok")
            kiosk.screen("account")
        kiosk.target("menu.recharge")
        demo.kill_backend()
        t_dead = time.monotonic()
        kiosk.has_text(OFFLINE_BANNER, timeout=30)
        report["offline_banner_after_s"] = round(time.monotonic() - t_dead, 1)
        wait_for("recharge disabled while offline",
                 lambda: (t := kiosk.find("menu.recharge")) is not None and not t["enabled"])
        kiosk.screenshot("offline-banner")
        demo.start("backend", "backend")
        t_back = time.monotonic()
        wait_for("banner gone", lambda: not any(OFFLINE_BANNER in t for t in kiosk.texts()),
                 timeout=30)
        kiosk.target("menu.recharge", timeout=10)
        report["recovered_after_s"] = round(time.monotonic() - t_back, 1)
        kiosk.screenshot("recovered")
        print("offline banner after %.1f s; recovered %.1f s after the backend restarted" %
              (report["offline_banner_after_s"], report["recovered_after_s"]))

        if args.measure:
            # Idle on attract: the account screen times out after 60 s by itself.
            kiosk.screen("attract", timeout=90)
            pid = kiosk.proc.pid
            time.sleep(2)  # the last frames after the screen change
            c0 = cpu_seconds(pid)
            t0 = time.monotonic()
            time.sleep(60)  # measuring idle CPU over a fixed window, not waiting for readiness
            c1 = cpu_seconds(pid)
            report["idle_cpu_percent"] = 100.0 * (c1 - c0) / (time.monotonic() - t0)
            report["rss_mb"] = rss_mb(pid)
        if kiosk.proc.poll() is not None:
            raise Failure("the kiosk exited with %s" % kiosk.proc.returncode)
        print(json.dumps(report, indent=1, ensure_ascii=False))
        with open(os.path.join(args.artifacts, "report.json"), "w") as out:
            json.dump(report, out, indent=1, ensure_ascii=False)
        passed = True
        print("PASS (screenshots in %s)" % args.artifacts)
        return 0
    except Failure as failure:
        print("FAIL: %s" % failure)
        if kiosk is not None and kiosk.proc.poll() is None:
            try:
                kiosk.screenshot("failure")
            except (subprocess.CalledProcessError, OSError):
                pass
        return 1
    finally:
        if kiosk is not None:
            kiosk.stop()
        demo.stop_all()
        demo.keep_logs()
        if xvfb is not None:
            xvfb.terminate()
            try:
                xvfb.wait(5)
            except subprocess.TimeoutExpired:
                xvfb.kill()
        shutil.rmtree(workdir, ignore_errors=True)
        if passed:
            shutil.rmtree(demo.data, ignore_errors=True)
        else:
            print("demo data kept for inspection: " + demo.data)


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("--kiosk", required=True)
    parser.add_argument("--source", required=True, help="the repository (installer/demo.sh)")
    parser.add_argument("--build", required=True, help="build tree with the demo programs")
    parser.add_argument("--artifacts", required=True)
    parser.add_argument("--size", default="1080x1920")
    parser.add_argument("--measure", action="store_true")
    parser.add_argument("--credit-pending", action="store_true",
                        help="also pay while the meter is silent (adds ~80 s)")
    return run(parser.parse_args())


if __name__ == "__main__":
    sys.exit(main())
