#!/usr/bin/python3
"""prepaid-kiosk's resource figures (issue 8): cold start to first frame, CPU over an idle
minute on the attract screen, RSS, and the frame times the kiosk itself logs (--frame-stats:
total, build, gl, swap) while a tenant opens the usage chart and taps its tabs.

Runs the kiosk under its own Xvfb (exactly the window size, so xdotool's screen coordinates are
the window's) against tests/e2e/kiosk/fake_backend.py, and drives it with xdotool through the
targets the kiosk writes with --ui-map, as a person taps them.

Usage: kiosk_resources.py --kiosk BIN [--size 1080x1920] [--idle-seconds 60] [--json FILE]"""

import argparse
import json
import os
import shutil
import subprocess
import sys
import tempfile
import time

HERE = os.path.dirname(os.path.abspath(__file__))
FAKE_BACKEND = os.path.join(HERE, "..", "..", "e2e", "kiosk", "fake_backend.py")
KIOSK_KEY = "demo-kiosk-key"


def wait_for(what, predicate, timeout=20.0, interval=0.05):
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        value = predicate()
        if value:
            return value
        time.sleep(interval)
    raise RuntimeError("timed out waiting for " + what)


def start_xvfb(size):
    read_fd, write_fd = os.pipe()
    proc = subprocess.Popen(["Xvfb", "-displayfd", str(write_fd), "-screen", "0", size + "x24",
                             "-nolisten", "tcp"], pass_fds=(write_fd,),
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
        raise RuntimeError("Xvfb did not start")
    return proc, ":" + number.decode().strip()


def cpu_seconds(pid):
    with open("/proc/%d/stat" % pid) as f:
        fields = f.read().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


def status_kb(pid, key):
    with open("/proc/%d/status" % pid) as f:
        for line in f:
            if line.startswith(key + ":"):
                return int(line.split()[1])
    return 0


def percentile(values, p):
    values = sorted(values)
    if not values:
        return float("nan")
    return values[min(len(values) - 1, int(round(p / 100.0 * (len(values) - 1))))]


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("--kiosk", required=True)
    parser.add_argument("--size", default="1080x1920")
    parser.add_argument("--idle-seconds", type=float, default=60)
    parser.add_argument("--taps", type=int, default=30, help="chart tab taps")
    parser.add_argument("--json")
    args = parser.parse_args()
    for tool in ("Xvfb", "xdotool"):
        if shutil.which(tool) is None:
            print("SKIP: %s not found" % tool)
            return 77
    workdir = tempfile.mkdtemp(prefix="prepaid-kiosk-resources-")
    procs = []
    try:
        xvfb, display = start_xvfb(args.size)
        procs.append(xvfb)
        port_file = os.path.join(workdir, "port")
        procs.append(subprocess.Popen([sys.executable, FAKE_BACKEND, "--port-file", port_file,
                                       "--kiosk-key", KIOSK_KEY],
                                      stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL))
        port = wait_for("backend port",
                        lambda: os.path.exists(port_file) and open(port_file).read().strip())
        stats = os.path.join(workdir, "frames.txt")
        ui_map = os.path.join(workdir, "ui.json")
        log_path = os.path.join(workdir, "kiosk.log")
        env = dict(os.environ, DISPLAY=display, HOME=workdir)
        spawned = time.monotonic()
        kiosk = subprocess.Popen([args.kiosk, "--windowed", args.size, "--backend",
                                  "http://127.0.0.1:" + port, "--kiosk-key", KIOSK_KEY,
                                  "--printer", "none", "--config",
                                  os.path.join(workdir, "settings.json"), "--frame-stats", stats,
                                  "--ui-map", ui_map], env=env,
                                 stdout=subprocess.DEVNULL, stderr=open(log_path, "w"))
        procs.append(kiosk)

        def lines(prefix):
            if not os.path.exists(stats):
                return []
            with open(stats) as f:
                return [l.split() for l in f if l.startswith(prefix)]

        first = wait_for("first frame", lambda: lines("first_frame_ms"), timeout=30)
        seen_at = time.monotonic()
        report = {"size": args.size, "first_frame_ms": float(first[0][1]),
                  "spawn_to_first_frame_seen_ms": 1000 * (seen_at - spawned)}

        def ui():
            try:
                with open(ui_map) as f:
                    return json.load(f)
            except (OSError, ValueError):
                return None

        def click(target_id):
            def find():
                m = ui()
                for t in (m or {}).get("targets", []):
                    if t["id"] == target_id and t["enabled"]:
                        return t
                return None
            t = wait_for("target " + target_id, find, timeout=15)
            x, y = int(t["x"] + t["w"] / 2), int(t["y"] + t["h"] / 2)
            subprocess.run(["xdotool", "mousemove", str(x), str(y), "mousedown", "1"], env=env,
                           check=True)
            time.sleep(0.05)  # a finger stays on the glass a little
            subprocess.run(["xdotool", "mouseup", "1"], env=env, check=True)

        def screen(name):
            wait_for("screen " + name, lambda: (ui() or {}).get("screen") == name, timeout=15)

        # Idle minute on the attract screen (one health call per 15 s, a redraw per minute).
        time.sleep(2)
        c0, t0 = cpu_seconds(kiosk.pid), time.monotonic()
        time.sleep(args.idle_seconds)
        report["idle_cpu_percent"] = 100.0 * (cpu_seconds(kiosk.pid) - c0) / (
            time.monotonic() - t0)
        report["rss_mb_idle_attract"] = status_kb(kiosk.pid, "VmRSS") / 1024.0

        # A tenant: shop 101, account, usage chart, tab taps.
        click("start")
        screen("identify")
        for ch in "101":
            click("digits:" + ch)
        click("ok")
        screen("account")
        click("menu.usage")
        screen("usage")
        tabs = ["usage.day", "usage.month", "money", "usage.hour", "energy"]
        for i in range(args.taps):
            click(tabs[i % len(tabs)])
            time.sleep(0.2)
        time.sleep(1)
        frames = [l for l in lines("frame_ms") if l[1] == "usage"]
        columns = {"total": 2, "build": 3, "gl": 4, "swap": 5}
        report["usage_frames"] = len(frames)
        for name, column in columns.items():
            values = [float(l[column]) for l in frames if len(l) > column]
            report["usage_%s_p50_ms" % name] = percentile(values, 50)
            report["usage_%s_p99_ms" % name] = percentile(values, 99)
        with open(log_path) as f:
            rebuilds = [l.strip() for l in f if "font atlas rebuilt" in l]
        report["atlas_rebuilds_after_start"] = len(rebuilds)
        report["rss_mb_after_chart"] = status_kb(kiosk.pid, "VmRSS") / 1024.0
        report["rss_peak_mb"] = status_kb(kiosk.pid, "VmHWM") / 1024.0
        with open("/proc/loadavg") as f:
            report["loadavg"] = f.read().strip()
        if kiosk.poll() is not None:
            raise RuntimeError("the kiosk exited with %s" % kiosk.returncode)
        print(json.dumps(report, indent=1))
        if args.json:
            with open(args.json, "w") as out:
                json.dump(report, out, indent=1)
        return 0
    except RuntimeError as error:
        print("FAIL: %s" % error)
        return 1
    finally:
        for proc in reversed(procs):
            proc.terminate()
            try:
                proc.wait(5)
            except subprocess.TimeoutExpired:
                proc.kill()
        shutil.rmtree(workdir, ignore_errors=True)


if __name__ == "__main__":
    sys.exit(main())
