"""A local server speaking OpenAI chat completions, queuing canned replies per segment.

The real `openai` client talks to it over 127.0.0.1; nothing reaches the network.
"""

from __future__ import annotations

import contextlib
import json
import re
import threading
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any

__all__ = [
    "FakeLLM",
    "Reply",
    "Rule",
    "answer",
    "bad_request",
    "error",
    "hang",
    "running_server",
    "segment_of",
]

_SEGMENT = re.compile(r"^## Segment (-?\d+):", re.MULTILINE)


@dataclass(frozen=True)
class Reply:
    """What the server sends back for one request."""

    status: int = 200
    body: str = ""
    headers: dict[str, str] = field(default_factory=dict)
    delay: float = 0.0  # seconds before answering; a long delay is a hanging server
    cut_at: int | None = None  # send this many bytes of the body, then drop the connection


def answer(content: str | dict[str, Any], *, model: str = "test-model") -> Reply:
    """A chat completion whose message content is `content` (a dict is sent as JSON text)."""
    text = content if isinstance(content, str) else json.dumps(content)
    body = {
        "id": "chatcmpl-test",
        "object": "chat.completion",
        "created": 1_700_000_000,
        "model": model,
        "choices": [
            {
                "index": 0,
                "message": {"role": "assistant", "content": text, "refusal": None},
                "finish_reason": "stop",
            }
        ],
        "usage": {"prompt_tokens": 10, "completion_tokens": 10, "total_tokens": 20},
    }
    return Reply(body=json.dumps(body), headers={"content-type": "application/json"})


def error(status: int, *, retry_after_ms: int | None = None) -> Reply:
    """An error status with an OpenAI-style error body."""
    headers = {"content-type": "application/json"}
    if retry_after_ms is not None:
        headers["retry-after-ms"] = str(retry_after_ms)
    body = json.dumps({"error": {"message": f"status {status}", "type": "server_error"}})
    return Reply(status=status, body=body, headers=headers)


def bad_request(message: str, *, param: str | None = None) -> Reply:
    """A 400 as OpenAI-compatible servers send it for an option they do not take."""
    body = {"error": {"message": message, "type": "invalid_request_error", "param": param}}
    return Reply(status=400, body=json.dumps(body), headers={"content-type": "application/json"})


def hang(seconds: float = 30.0) -> Reply:
    """A server that accepts the request and then says nothing for `seconds`."""
    return Reply(status=200, body="{}", delay=seconds)


def segment_of(body: dict[str, Any]) -> int | None:
    """The segment id a request is about, from the '## Segment N:' line of its user message."""
    for message in body.get("messages", []):
        found = _SEGMENT.search(str(message.get("content", "")))
        if found:
            return int(found.group(1))
    return None


# A server's own rule, run before the queues: a reply to send instead (a 400 for an option it
# does not take), or None to answer from the queue.
Rule = Callable[[dict[str, Any]], Reply | None]


class FakeLLM:
    """Replies queued per segment id; the last reply of a queue repeats (retries see it again).

    `rule` makes it behave as a given server does (see Rule); `serial` answers one request
    at a time, as a CPU-only local server does; `path` is where it serves chat completions.
    """

    def __init__(self) -> None:
        self.rule: Rule | None = None
        self.serial = False
        self.path = "/v1/chat/completions"
        self._one_at_a_time = threading.Lock()
        self.queues: dict[int | None, list[Reply]] = {}
        self.requests: list[dict[str, Any]] = []  # {"path", "headers", "raw", "body"}
        self.in_flight = 0
        self.max_in_flight = 0
        self.stopping = threading.Event()
        self._lock = threading.Lock()
        self.port = 0

    @property
    def base_url(self) -> str:
        return f"http://127.0.0.1:{self.port}/v1"

    def queue(self, segment: int | None, *replies: Reply) -> None:
        """Replies for one segment (None: for any segment without its own queue)."""
        self.queues[segment] = list(replies)

    def next_reply(self, body: dict[str, Any]) -> Reply:
        with self._lock:
            segment = segment_of(body)
            queue = self.queues.get(segment) or self.queues.get(None)
            if not queue:
                return error(404)
            return queue.pop(0) if len(queue) > 1 else queue[0]

    def handle(self, handler: BaseHTTPRequestHandler) -> None:
        raw = handler.rfile.read(int(handler.headers.get("content-length", 0)))
        body = json.loads(raw or b"{}")
        with self._lock:
            self.requests.append(
                {"path": handler.path, "headers": dict(handler.headers), "raw": raw, "body": body}
            )
            self.in_flight += 1
            self.max_in_flight = max(self.max_in_flight, self.in_flight)
        serial = self._one_at_a_time if self.serial else contextlib.nullcontext()
        try:
            with serial:
                ruled = self.rule(body) if self.rule else None
                served = handler.path.split("?")[0] == self.path
                reply = ruled or (self.next_reply(body) if served else error(404))
                if reply.delay and self.stopping.wait(reply.delay):
                    return  # the test is over: drop the connection
            payload = reply.body.encode()
            handler.send_response(reply.status)
            for name, value in reply.headers.items():
                handler.send_header(name, value)
            handler.send_header("content-length", str(len(payload)))
            handler.end_headers()
            if reply.cut_at is not None:  # a body cut short: promised length, then hang up
                handler.wfile.write(payload[: reply.cut_at])
                handler.wfile.flush()
                handler.close_connection = True
                return
            handler.wfile.write(payload)
        finally:
            with self._lock:
                self.in_flight -= 1


def _handler(fake: FakeLLM) -> type[BaseHTTPRequestHandler]:
    class Handler(BaseHTTPRequestHandler):
        protocol_version = "HTTP/1.1"

        def do_POST(self) -> None:
            # The client may have given up (timeout): then there is nobody to answer.
            with contextlib.suppress(BrokenPipeError, ConnectionResetError):
                fake.handle(self)

        def log_message(self, format: str, *args: Any) -> None:
            pass

    return Handler


@contextmanager
def running_server() -> Iterator[FakeLLM]:
    """Start a FakeLLM on a free port of 127.0.0.1; stop it, and release hung handlers, after."""
    fake = FakeLLM()
    server = ThreadingHTTPServer(("127.0.0.1", 0), _handler(fake))
    server.daemon_threads = True
    fake.port = server.server_address[1]
    thread = threading.Thread(target=server.serve_forever, kwargs={"poll_interval": 0.05})
    thread.start()
    try:
        yield fake
    finally:
        fake.stopping.set()
        server.shutdown()
        server.server_close()
        thread.join(timeout=5)
