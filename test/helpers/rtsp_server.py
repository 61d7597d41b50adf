#!/usr/bin/python3
"""Test RTSP server: serves an H.264 mp4 at rtsp://127.0.0.1:PORT/cam.

Run with Debian's /usr/bin/python3 (python3-gi, gir1.2-gst-rtsp-server-1.0); a pyenv python on
PATH has no gi. Usage: rtsp_server.py PORT FILE. Prints "READY <url>" on stdout once listening.
Exits when stdin closes, so a crashed test runner never leaves a server holding the port.
"""
import signal
import sys

import gi

gi.require_version("Gst", "1.0")
gi.require_version("GstRtspServer", "1.0")
from gi.repository import GLib, Gst, GstRtspServer  # noqa: E402


def main() -> int:
    if len(sys.argv) != 3:
        print("usage: rtsp_server.py PORT FILE", file=sys.stderr)
        return 2
    port, path = sys.argv[1], sys.argv[2]
    Gst.init(None)

    server = GstRtspServer.RTSPServer()
    server.set_address("127.0.0.1")
    server.set_service(port)

    factory = GstRtspServer.RTSPMediaFactory()
    # Re-muxing without re-encoding keeps CPU low; the payloader repeats SPS/PPS so a client
    # joining mid-stream could still decode, and a non-shared factory gives every client its own
    # pipeline from the start of the file, which makes test runs repeatable.
    location = path.replace("\\", "\\\\").replace('"', '\\"')
    factory.set_launch(
        f'( filesrc location="{location}" ! qtdemux ! h264parse '
        "! rtph264pay name=pay0 pt=96 config-interval=1 )"
    )
    factory.set_shared(False)
    server.get_mount_points().add_factory("/cam", factory)

    loop = GLib.MainLoop()
    if server.attach(None) == 0:
        print(f"cannot listen on 127.0.0.1:{port}", file=sys.stderr)
        return 1

    def quit_loop(*_args: object) -> bool:
        loop.quit()
        return False

    GLib.unix_signal_add(GLib.PRIORITY_DEFAULT, signal.SIGTERM, quit_loop)
    GLib.unix_signal_add(GLib.PRIORITY_DEFAULT, signal.SIGINT, quit_loop)
    GLib.io_add_watch(sys.stdin.fileno(), GLib.IO_IN | GLib.IO_HUP | GLib.IO_ERR, on_stdin, loop)

    print(f"READY rtsp://127.0.0.1:{server.get_bound_port()}/cam", flush=True)
    loop.run()
    return 0


def on_stdin(fd: int, condition: int, loop: GLib.MainLoop) -> bool:
    import os

    data = os.read(fd, 4096) if condition & GLib.IO_IN else b""
    if not data:
        loop.quit()
        return False
    return True


if __name__ == "__main__":
    sys.exit(main())
