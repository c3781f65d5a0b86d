#!/usr/bin/python3
"""A stand-in for fluxloop-agentd on a Unix socket, for tests of what the client trusts.

usage: fake_agent.py SOCKET RECORD MODE [REPLY_JSON]
  Creates SOCKET's directory (0700) when missing, binds SOCKET (0777: any uid may connect), writes
  RECORD + ".ready" once listening, and appends one line per closed connection to RECORD: the number
  of bytes the client sent on it. MODE:
    hang   read whatever comes, never answer (a client waits until its own timeout)
    reply  answer every request frame with {"id": <its id>, "ok": true} updated by REPLY_JSON
           (REPLY_JSON may instead hold "ok": false and an "error" object)
"""
import json
import os
import socket
import struct
import sys
import threading


def serve(conn, record, mode, reply):
    received = 0
    buffer = b""
    try:
        while True:
            data = conn.recv(65536)
            if not data:
                break
            received += len(data)
            if mode != "reply":
                continue
            buffer += data
            while len(buffer) >= 4:
                (length,) = struct.unpack(">I", buffer[:4])
                if len(buffer) < 4 + length:
                    break
                request = json.loads(buffer[4:4 + length])
                buffer = buffer[4 + length:]
                answer = {"id": request.get("id", 0), "ok": True}
                answer.update(reply)
                body = json.dumps(answer).encode()
                conn.sendall(struct.pack(">I", len(body)) + body)
    except OSError:
        pass
    finally:
        conn.close()
        with open(record, "a") as out:
            out.write(f"{received}\n")


def main():
    path, record, mode = sys.argv[1], sys.argv[2], sys.argv[3]
    reply = json.loads(sys.argv[4]) if len(sys.argv) > 4 else {}
    os.makedirs(os.path.dirname(path), mode=0o700, exist_ok=True)
    server = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
    server.bind(path)
    os.chmod(path, 0o777)
    server.listen(16)
    with open(record + ".ready", "w") as ready:
        ready.write(f"{os.getpid()}\n")
    while True:
        conn, _ = server.accept()
        threading.Thread(target=serve, args=(conn, record, mode, reply), daemon=True).start()


if __name__ == "__main__":
    main()
