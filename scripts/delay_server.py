#!/usr/bin/env python3
"""A loopback HTTP server that answers every GET after a fixed delay, one thread per request,
so that a client's concurrency (not the server) sets how many wait at once. Stands in for a
slow API behind hashicorp/http's `http` data source in scripts/bench_scheduler.sh.

    scripts/delay_server.py --delay 0.2 --port-file PORT_FILE --stats STATS_FILE

Listens on 127.0.0.1 on a free port, written to PORT_FILE once it listens. After each request
it writes to STATS_FILE the requests answered and the most it ever held at once.
"""

import argparse
import http.server
import pathlib
import threading
import time


class Stats:
    def __init__(self, path: pathlib.Path):
        self.path, self.lock = path, threading.Lock()
        self.answered = self.running = self.most = 0

    def enter(self) -> None:
        with self.lock:
            self.running += 1
            self.most = max(self.most, self.running)

    def leave(self) -> None:
        with self.lock:
            self.running -= 1
            self.answered += 1
            self.path.write_text(f"answered {self.answered} most_at_once {self.most}\n")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--delay", type=float, required=True)
    parser.add_argument("--port-file", type=pathlib.Path, required=True)
    parser.add_argument("--stats", type=pathlib.Path, required=True)
    args = parser.parse_args()
    stats = Stats(args.stats)

    class Slow(http.server.BaseHTTPRequestHandler):
        def do_GET(self) -> None:
            # Counted while it waits: the client has its answer only after `leave`.
            stats.enter()
            try:
                time.sleep(args.delay)
            finally:
                stats.leave()
            body = b"ok\n"
            self.send_response(200)
            self.send_header("Content-Type", "text/plain")
            self.send_header("Content-Length", str(len(body)))
            self.end_headers()
            self.wfile.write(body)

        def log_message(self, *_args) -> None:
            pass

    class Server(http.server.ThreadingHTTPServer):
        request_queue_size = 128
        daemon_threads = True

    server = Server(("127.0.0.1", 0), Slow)
    args.port_file.write_text(str(server.server_address[1]))
    server.serve_forever()


if __name__ == "__main__":
    main()
