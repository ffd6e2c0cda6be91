#!/usr/bin/python3
"""End-to-end test of prepaid-kiosk under Xvfb, driven by xdotool clicks as a person would:
attract -> keypad -> shop number -> account -> usage chart -> recharge 100 yuan -> the QR on
screen decodes (zbarimg) to the order's payment URL -> the order is paid through the payment
simulator's control API -> success screen with the new balance -> the virtual printer's
receipt holds the amount. Screenshots are kept in --artifacts.

Backend: today this starts tests/e2e/kiosk/fake_backend.py (the kiosk routes of the API and
a pay-sim-like control API) and prints so. The real prepaid-backend + prepaid-pay-sim +
prepaid-meter-sim replace it in start_backend() once their demo site can be started from a
test (the kiosk side needs no change: it only sees the HTTP API). Where to click comes from the
kiosk's --ui-map (the targets it drew in its last frame), so the same script runs portrait and
landscape.

Usage: kiosk_e2e.py --kiosk BIN --artifacts DIR [--size 1080x1920] [--measure]"""

import argparse
import json
import os
import shutil
import signal
import subprocess
import sys
import tempfile
import time
import urllib.request

HERE = os.path.dirname(os.path.abspath(__file__))
KIOSK_KEY = "demo-kiosk-key"


class Failure(Exception):
    pass


def wait_for(what, predicate, timeout=20.0, interval=0.05):
    deadline = time.monotonic() + timeout
    last = None
    while time.monotonic() < deadline:
        last = predicate()
        if last:
            return last
        time.sleep(interval)
    raise Failure("timed out waiting for " + what)


def http(method, url, body=None):
    data = None if body is None else json.dumps(body).encode()
    request = urllib.request.Request(url, data=data, method=method,
                                     headers={"Content-Type": "application/json"})
    with urllib.request.urlopen(request, timeout=5) as response:
        return json.loads(response.read() or b"{}")


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
        cmd = [args.kiosk, "--windowed", args.size, "--backend", backend_url,
               "--kiosk-key", KIOSK_KEY, "--printer", "virtual:" + self.printer_dir,
               "--config", os.path.join(workdir, "settings.json"),
               "--ui-map", self.map_path, "--frame-stats", self.stats_path,
               "--site-name", "示范广场"]
        self.started = time.monotonic()
        self.log = open(os.path.join(args.artifacts, "kiosk.log"), "w")
        self.proc = subprocess.Popen(cmd, env=env, stdout=self.log, stderr=subprocess.STDOUT)

    def ui(self):
        try:
            with open(self.map_path) as f:
                return json.load(f)
        except (OSError, ValueError):
            return None

    def screen(self, name, timeout=20.0):
        return wait_for("screen " + name,
                        lambda: (m := self.ui()) is not None and m["screen"] == name and m,
                        timeout)

    def target(self, target_id, timeout=10.0):
        def find():
            m = self.ui()
            if not m:
                return None
            for t in m["targets"]:
                if t["id"] == target_id and t["enabled"]:
                    return t
            return None
        return wait_for("target " + target_id, find, timeout)

    def has_text(self, needle, timeout=20.0):
        return wait_for("text '%s'" % needle,
                        lambda: (m := self.ui()) is not None and any(needle in t for t in m["texts"]),
                        timeout)

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


def start_fake_backend(workdir, port=0):
    port_file = os.path.join(workdir, "backend.port")
    if os.path.exists(port_file):
        os.remove(port_file)
    proc = subprocess.Popen([sys.executable, os.path.join(HERE, "fake_backend.py"),
                             "--port-file", port_file, "--kiosk-key", KIOSK_KEY,
                             "--port", str(port)])
    port = wait_for("fake backend port", lambda: os.path.exists(port_file) and
                    open(port_file).read().strip())
    url = "http://127.0.0.1:" + port
    wait_for("fake backend health", lambda: http("GET", url + "/api/v1/health")["status"] == "ok")
    return proc, url


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


def run(args):
    os.makedirs(args.artifacts, exist_ok=True)
    for name in os.listdir(args.artifacts):
        os.remove(os.path.join(args.artifacts, name))
    workdir = tempfile.mkdtemp(prefix="prepaid-kiosk-e2e-")
    procs = []
    report = {}
    try:
        xvfb, display = start_xvfb(args.size)
        procs.append(xvfb)
        backend, url = start_fake_backend(workdir)
        procs.append(backend)
        print("backend: fake (tests/e2e/kiosk/fake_backend.py) at " + url)
        kiosk = Kiosk(args, display, url, workdir)
        procs.append(kiosk)

        # Attract.
        kiosk.screen("attract")
        first = wait_for("first frame", lambda: os.path.exists(kiosk.stats_path) and
                         [l for l in open(kiosk.stats_path) if l.startswith("first_frame_ms")])
        report["cold_start_ms"] = float(first[0].split()[1])
        kiosk.has_text("轻触屏幕开始")
        kiosk.screenshot("attract")
        kiosk.click("start")

        # Identify: a wrong shop first (plain-words error), then the right one.
        kiosk.screen("identify")
        for key in "99":
            kiosk.click("digits:" + key)
        kiosk.click("ok")
        kiosk.has_text("没有找到该商铺号")
        kiosk.screenshot("identify-unknown")
        kiosk.click("clear")
        for key in "101":
            kiosk.click("digits:" + key)
        kiosk.has_text("101")
        kiosk.screenshot("identify-keypad")
        kiosk.click("ok")

        # Account overview.
        kiosk.screen("account")
        kiosk.has_text("¥ 50.00")
        kiosk.has_text("余额不足(报警1)")
        kiosk.screenshot("account")

        # English switch on the account screen, then back to Chinese.
        kiosk.click("lang")
        kiosk.has_text("Balance")
        kiosk.screenshot("account-en")
        kiosk.click("lang")
        kiosk.has_text("剩余金额")

        # Usage chart.
        kiosk.click("menu.usage")
        kiosk.screen("usage")
        kiosk.has_text("合计")
        kiosk.screenshot("usage-today")
        kiosk.click("usage.day")
        kiosk.has_text("合计")
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
        kiosk.click("pay")
        kiosk.target("cancelpay")
        kiosk.has_text("剩余")
        shot = kiosk.screenshot("recharge-qr")
        state = http("GET", url + "/control/state")
        orders = list(state["orders"].values())
        if len(orders) != 1 or orders[0]["amount_fen"] != 10000:
            raise Failure("expected one order of 10000 fen, got %r" % orders)
        order = orders[0]
        decoded = subprocess.run(["zbarimg", "--quiet", "--raw", shot], capture_output=True,
                                 text=True)
        if decoded.stdout.strip() != order["qr_code"]:
            raise Failure("QR on screen decodes to %r, the order's payment URL is %r" %
                          (decoded.stdout.strip(), order["qr_code"]))
        print("QR decodes to the order's payment URL: " + order["qr_code"])
        http("POST", url + "/control/orders/%s/pay" % order["order_no"], {})
        kiosk.target("finish", timeout=30)
        kiosk.has_text("充值成功")
        kiosk.has_text("充值后余额 150.00 元")
        kiosk.has_text("凭条已打印")
        kiosk.screenshot("recharge-done")
        receipt = os.path.join(kiosk.printer_dir, "receipt-0001.txt")
        text = open(receipt, encoding="utf-8").read()
        for needle in ("100.00 元", "150.00 元", order["order_no"], "101", "充值成功"):
            if needle not in text:
                raise Failure("receipt lacks %r:\n%s" % (needle, text))
        shutil.copy(receipt, os.path.join(args.artifacts, "receipt-0001.txt"))
        shutil.copy(os.path.join(kiosk.printer_dir, "receipt-0001.png"),
                    os.path.join(args.artifacts, "receipt-0001.png"))
        state = http("GET", url + "/control/state")
        if state["orders"][order["order_no"]]["state"] != "receipted":
            raise Failure("order not marked receipted: %r" % state["orders"][order["order_no"]])

        # 10 s after a finished recharge the kiosk returns to attract and forgets the tenant.
        kiosk.screen("attract", timeout=20)
        kiosk.screenshot("back-to-attract")
        if any("101" == t for t in kiosk.ui()["texts"]):
            raise Failure("the shop number is still on screen after the timeout")

        # Maintenance: long press in the top-left corner, staff login on the keyboard.
        kiosk.long_press(8, 8, 3.4)
        kiosk.screen("maintenance")
        for key in "admin":
            kiosk.click("kbd:" + key)
        kiosk.click("pass")
        for key in "secret1":
            kiosk.click("kbd:" + key)
        kiosk.click("login")
        kiosk.target("testprint")
        kiosk.has_text("ok, ")  # backend link with its latency
        kiosk.has_text("paper ok")
        kiosk.click("testprint")
        kiosk.has_text("凭条已打印")
        kiosk.screenshot("maintenance")
        audits = [a["action"] for a in http("GET", url + "/control/state")["audits"]]
        for action in ("kiosk.maintenance.enter", "kiosk.printer.test"):
            if action not in audits:
                raise Failure("audit log lacks %s: %r" % (action, audits))
        kiosk.click("logout")
        kiosk.screen("attract")

        # Offline: the backend goes away -> banner; it comes back -> banner gone by itself.
        backend.terminate()
        backend.wait(5)
        kiosk.has_text("无法连接服务器", timeout=25)
        kiosk.screenshot("offline-banner")
        backend, url = start_fake_backend(workdir, port=int(url.rsplit(":", 1)[1]))
        procs.append(backend)
        wait_for("banner gone", lambda: not any("无法连接服务器" in t for t in kiosk.ui()["texts"]),
                 timeout=15)
        print("offline banner came and went by itself")

        if args.measure:
            pid = kiosk.proc.pid
            time.sleep(2)
            c0 = cpu_seconds(pid)
            t0 = time.monotonic()
            time.sleep(60)
            c1 = cpu_seconds(pid)
            report["idle_cpu_percent"] = 100.0 * (c1 - c0) / (time.monotonic() - t0)
            report["rss_mb"] = rss_mb(pid)
            with open("/proc/%d/smaps_rollup" % pid) as f:
                report["smaps_rollup"] = f.read()
        if kiosk.proc.poll() is not None:
            raise Failure("the kiosk exited with %s" % kiosk.proc.returncode)
        print(json.dumps(report, indent=1))
        with open(os.path.join(args.artifacts, "report.json"), "w") as out:
            json.dump(report, out, indent=1)
        print("PASS (screenshots in %s)" % args.artifacts)
        return 0
    except Failure as failure:
        print("FAIL: %s" % failure)
        return 1
    finally:
        for proc in reversed(procs):
            if isinstance(proc, Kiosk):
                proc.stop()
            else:
                proc.terminate()
                try:
                    proc.wait(5)
                except subprocess.TimeoutExpired:
                    proc.kill()
        shutil.rmtree(workdir, ignore_errors=True)


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("--kiosk", required=True)
    parser.add_argument("--artifacts", required=True)
    parser.add_argument("--size", default="1080x1920")
    parser.add_argument("--measure", action="store_true")
    return run(parser.parse_args())


if __name__ == "__main__":
    sys.exit(main())
