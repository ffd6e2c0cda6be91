#!/usr/bin/python3
"""A third-party Modbus TCP server (pymodbus) serving a meter profile's registers.

Encodes each --point NAME=RAW with the profile's type and word order (independently of the C++
codec, so the test cross-checks it) and serves holding (0x03) and input (0x04) registers for one
unit id. Unmapped registers read 0.

usage: modbus_profile_server.py --profile FILE --port N [--unit ID] [--point NAME=RAW ...]
"""
import argparse
import logging
import struct
import sys
import tomllib

from pymodbus.datastore import (ModbusSequentialDataBlock, ModbusServerContext,
                                ModbusSlaveContext)
from pymodbus.server import StartTcpServer


def encode(point, raw):
    kind = point["type"]
    if kind == "u16":
        words = list(struct.unpack(">H", struct.pack(">H", int(raw))))
    elif kind == "i16":
        words = list(struct.unpack(">H", struct.pack(">h", int(raw))))
    elif kind == "u32":
        words = list(struct.unpack(">HH", struct.pack(">I", int(raw))))
    elif kind == "i32":
        words = list(struct.unpack(">HH", struct.pack(">i", int(raw))))
    elif kind == "float32":
        words = list(struct.unpack(">HH", struct.pack(">f", float(raw))))
    else:
        raise SystemExit(f"unknown type {kind}")
    return words


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("--profile", required=True)
    parser.add_argument("--port", type=int, required=True)
    parser.add_argument("--unit", type=int, default=1)
    parser.add_argument("--point", action="append", default=[])
    args = parser.parse_args()

    with open(args.profile, "rb") as f:
        profile = tomllib.load(f)
    default_order = profile.get("word_order", "high-first")
    holding = [0] * 1024
    inputs = [0] * 1024
    for item in args.point:
        name, raw = item.split("=", 1)
        point = profile["points"][name]
        words = encode(point, raw)
        if len(words) == 2 and point.get("word_order", default_order) == "low-first":
            words.reverse()
        table = inputs if point.get("function", 3) == 4 else holding
        address = point["address"]
        table[address:address + len(words)] = words

    store = ModbusSlaveContext(hr=ModbusSequentialDataBlock(0, holding),
                               ir=ModbusSequentialDataBlock(0, inputs), zero_mode=True)
    context = ModbusServerContext(slaves={args.unit: store}, single=False)
    logging.basicConfig(level=logging.ERROR, stream=sys.stderr)
    StartTcpServer(context=context, address=("127.0.0.1", args.port))


if __name__ == "__main__":
    main()
