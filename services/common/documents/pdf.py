"""HTML -> PDF with WeasyPrint, in child processes (`PdfPool`), so rendering never blocks a
service's eventlet hub.

WeasyPrint is CPU-bound Python: run in a worker's green thread it froze the service for the
whole document (measured here: a 12-page table, 2.5 s without a single other green thread
running — RPCs, AMQP heartbeats, the outbox relay all waited), and run in eventlet's tpool
(native threads) the hub still stalled up to 0.5 s at a time behind the GIL. A child process
costs a pipe round trip (the HTML in, the PDF out: milliseconds) and uses the second core;
the hub only waits on a green pipe. Each child renders one document at a time and keeps its
font configuration warm; `PDF_WORKERS` children per service process (default 1), a render
that outlives `PDF_TIMEOUT` seconds kills its child (a new one is started for the next).

The child (`python -m services.common.documents.pdf`) reads frames from stdin: 4 bytes
big-endian length + JSON {"html", "base_url"}; answers 1 status byte (0 ok, 1 error), 2 bytes
the number of pages, 4 bytes length, and the PDF (or the error text). It fetches nothing from the network: only
`data:` URIs and files under the documents package (fonts) are served to WeasyPrint, so a
template an admin uploads cannot read the server's files or make it call out.
"""
import json
import os
import struct
import sys

HERE = os.path.dirname(os.path.abspath(__file__))
BASE_URL = HERE + os.sep  # fonts/… in the stylesheet resolve here


class PdfError(RuntimeError):
    pass


# -- the child ---------------------------------------------------------------------------------
def _fetcher():
    from urllib.parse import unquote

    from weasyprint.urls import URLFetcher

    class Fetcher(URLFetcher):
        def fetch(self, url, headers=None):
            if url.startswith("file://"):
                path = os.path.realpath(unquote(url[len("file://"):].split("?")[0]
                                                .split("#")[0]))
                if not path.startswith(HERE + os.sep):
                    raise ValueError(f"documents may only use the bundled files: {url[:80]}")
            return super().fetch(url, headers)

    return Fetcher(allowed_protocols=("data", "file"))


class Renderer:
    """WeasyPrint with a warm font configuration and the restricted fetcher: what a child
    runs, and what the benchmark calls directly ("WeasyPrint alone")."""

    def __init__(self):
        import logging

        from weasyprint.text.fonts import FontConfiguration
        logging.getLogger("weasyprint").setLevel(logging.ERROR)
        self.fonts = FontConfiguration()
        self.fetch = _fetcher()

    def render(self, html, base_url=BASE_URL):
        """(PDF bytes, number of pages)."""
        from weasyprint import HTML
        document = HTML(string=html, base_url=base_url, url_fetcher=self.fetch).render(
            font_config=self.fonts)
        return document.write_pdf(), len(document.pages)


def _read_exact(stream, n):
    chunks, left = [], n
    while left:
        chunk = stream.read(left)
        if not chunk:
            raise EOFError
        chunks.append(chunk)
        left -= len(chunk)
    return b"".join(chunks)


def child_main():
    stdin, stdout = sys.stdin.buffer, sys.stdout.buffer
    renderer = Renderer()
    renderer.render("<p>ğüşıöçİ ₺</p>")  # warm: fonts loaded before the first real document
    stdout.write(b"R")
    stdout.flush()
    while True:
        try:
            (size,) = struct.unpack(">I", _read_exact(stdin, 4))
        except EOFError:
            return
        request = json.loads(_read_exact(stdin, size))
        try:
            out, pages = renderer.render(request["html"], request.get("base_url") or BASE_URL)
            status = 0
        except Exception as exc:  # answered, not fatal: the next document renders
            status, pages, out = 1, 0, f"{type(exc).__name__}: {exc}".encode()
        stdout.write(struct.pack(">BHI", status, min(pages, 65535), len(out)) + out)
        stdout.flush()


# -- the parent --------------------------------------------------------------------------------
def _green():
    try:
        import eventlet.patcher
        return eventlet.patcher.is_monkey_patched("socket")
    except ImportError:  # pragma: no cover
        return False


class _Child:
    def __init__(self):
        if _green():
            from eventlet.green import subprocess
        else:
            import subprocess
        root = os.path.dirname(os.path.dirname(os.path.dirname(HERE)))
        self.proc = subprocess.Popen(
            [sys.executable, "-m", "services.common.documents.pdf"], cwd=root,
            stdin=subprocess.PIPE, stdout=subprocess.PIPE, env={**os.environ,
                                                               "PYTHONPATH": root})
        self.ready = False

    def wait_ready(self):
        if not self.ready:
            if _read_exact(self.proc.stdout, 1) != b"R":
                raise PdfError("the PDF renderer did not start")
            self.ready = True

    def render(self, html, base_url):
        self.wait_ready()
        data = json.dumps({"html": html, "base_url": base_url}).encode()
        self.proc.stdin.write(struct.pack(">I", len(data)) + data)
        self.proc.stdin.flush()
        status, pages, size = struct.unpack(">BHI", _read_exact(self.proc.stdout, 7))
        out = _read_exact(self.proc.stdout, size)
        if status:
            raise PdfError(out.decode(errors="replace"))
        return out, pages

    def close(self):
        try:
            self.proc.stdin.close()
        except Exception:
            pass
        try:
            self.proc.wait(timeout=5)
        except Exception:
            self.proc.kill()
            self.proc.wait()

    def kill(self):
        try:
            self.proc.kill()
            self.proc.wait()
        except Exception:
            pass


class PdfPool:
    """`render(html)` -> (PDF bytes, pages), in one of `size` child processes; waits (green) for a
    free one. Children start with the pool (warming up in the background) and are replaced
    when one dies or times out."""

    def __init__(self, size=1, timeout=60.0):
        self.size, self.timeout = max(1, int(size)), float(timeout)
        self.idle = None
        self.children = []

    def start(self):
        from eventlet.queue import LightQueue
        self.idle = LightQueue()
        for _ in range(self.size):
            child = _Child()
            self.children.append(child)
            self.idle.put(child)

    def render(self, html, base_url=BASE_URL):
        import eventlet
        if self.idle is None:
            self.start()
        child = self.idle.get()
        healthy = False
        try:
            with eventlet.Timeout(self.timeout, PdfError(
                    f"the PDF took longer than {self.timeout:g} s (PDF_TIMEOUT)")):
                out = child.render(html, base_url)
            healthy = True
            return out
        except PdfError as exc:
            healthy = child.ready and child.proc.poll() is None and "PDF_TIMEOUT" not in str(exc)
            raise
        finally:
            if not healthy:
                child.kill()
                self.children.remove(child)
                child = _Child()
                self.children.append(child)
            self.idle.put(child)

    def available(self):
        """A child is free right now (a render would not wait for another)."""
        return self.idle is None or self.idle.qsize() > 0

    def stop(self):
        for child in self.children:
            child.close()
        self.children = []
        self.idle = None


if __name__ == "__main__":
    child_main()
