#!/usr/bin/env python3
"""Runs in ux-s: HTTP/1.1 keep-alive server (130,000-byte file), TCP sink :9000, UDP sink :9001."""
import socket, socketserver, threading, http.server, sys
ADDR = "10.77.199.2"
BODY = bytes(130000)

class H(http.server.BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"
    def setup(self):
        super().setup()
        self.connection.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
    def do_GET(self):
        hdr = ("HTTP/1.1 200 OK\r\nContent-Type: video/mp2t\r\n"
               f"Content-Length: {len(BODY)}\r\nConnection: keep-alive\r\n\r\n").encode()
        self.wfile.write(hdr + BODY)      # one write: headers+body
    def log_message(self, *a):
        pass

class S(http.server.ThreadingHTTPServer):
    daemon_threads = True
    allow_reuse_address = True
    def server_bind(self):
        # accepted sockets inherit the listener's congestion control
        self.socket.setsockopt(socket.IPPROTO_TCP, socket.TCP_CONGESTION, b"cubic")
        super().server_bind()

def tcp_sink():
    ls = socket.socket(); ls.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    ls.setsockopt(socket.IPPROTO_TCP, socket.TCP_CONGESTION, b"cubic")
    ls.bind((ADDR, 9000)); ls.listen(8)
    def rd(c):
        while c.recv(65536):
            pass
        c.close()
    while True:
        c, _ = ls.accept()
        threading.Thread(target=rd, args=(c,), daemon=True).start()

def udp_sink():
    s = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
    s.bind((ADDR, 9001))
    while True:
        s.recv(65536)

threading.Thread(target=tcp_sink, daemon=True).start()
threading.Thread(target=udp_sink, daemon=True).start()
print("server up", flush=True)
S((ADDR, 8080), H).serve_forever()
