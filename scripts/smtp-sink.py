#!/usr/bin/env python3
"""A tiny SMTP sink for trying smtpscope: listens on 127.0.0.1 only, accepts every message
and throws it away (printing one line per message). No TLS; AUTH accepts any credentials.

    python3 scripts/smtp-sink.py [PORT]      (default 2525; Ctrl-C stops it)
"""
import socket
import sys
import threading


def serve(conn):
    reader = conn.makefile("rb")

    def say(text):
        conn.sendall(text.encode() + b"\r\n")

    say("220 sink.localhost ESMTP smtp-sink (messages are discarded)")
    in_data = False
    for raw in reader:
        line = raw.decode("latin-1").rstrip("\r\n")
        if in_data:
            if line == ".":
                in_data = False
                print("smtp-sink: message received and discarded", flush=True)
                say("250 2.0.0 Ok: discarded")
            continue
        verb = line.split(" ", 1)[0].upper()
        if verb == "EHLO":
            say("250-sink.localhost")
            say("250-PIPELINING")
            say("250-AUTH PLAIN LOGIN")
            say("250 8BITMIME")
        elif verb == "HELO":
            say("250 sink.localhost")
        elif verb == "AUTH":
            say("235 2.7.0 Authentication successful (any credentials)")
        elif verb in ("MAIL", "RCPT", "RSET", "NOOP"):
            say("250 2.1.0 Ok")
        elif verb == "DATA":
            in_data = True
            say("354 End data with <CR><LF>.<CR><LF>")
        elif verb == "QUIT":
            say("221 2.0.0 Bye")
            break
        else:
            say("502 5.5.2 Command not implemented")
    conn.close()


def main():
    port = int(sys.argv[1]) if len(sys.argv) > 1 else 2525
    server = socket.socket()
    server.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    server.bind(("127.0.0.1", port))
    server.listen()
    print(f"smtp-sink: listening on 127.0.0.1:{port}", flush=True)
    try:
        while True:
            conn, _ = server.accept()
            threading.Thread(target=serve, args=(conn,), daemon=True).start()
    except KeyboardInterrupt:
        pass


if __name__ == "__main__":
    main()
