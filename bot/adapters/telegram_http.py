"""python-telegram-bot's HTTP transport on aiohttp instead of httpx.

PTB lets an application bring its own `BaseRequest`; everything above it (the `Bot` methods,
serialising parameters, turning error payloads into `RetryAfter`, `Forbidden` and the rest) stays
PTB's. aiohttp is already here for the web server, and a Bot API call through it costs about a
tenth of the CPU time httpx takes (0.05 ms against 0.5 ms on this machine), which on a busy
webhook is a third of all the work per update (benchmarks/webhook.py).
"""

from __future__ import annotations

import aiohttp
from telegram.error import NetworkError, TimedOut
from telegram.request import BaseRequest, RequestData

CONNECTIONS = 256  # PTB's own pool size for bot requests when updates run concurrently
READ_TIMEOUT = 5.0  # seconds, as PTB's default HTTPXRequest
CONNECT_TIMEOUT = 5.0
POOL_TIMEOUT = 1.0
MEDIA_WRITE_TIMEOUT = 20.0  # an upload gets longer, as in PTB


class AiohttpRequest(BaseRequest):
    """Bot API requests through one pooled `aiohttp.ClientSession`, opened in `initialize`."""

    def __init__(self, connections: int = CONNECTIONS) -> None:
        self._connections = connections
        self._session: aiohttp.ClientSession | None = None

    @property
    def read_timeout(self) -> float:
        return READ_TIMEOUT

    async def initialize(self) -> None:
        if self._session is None or self._session.closed:
            self._session = aiohttp.ClientSession(
                connector=aiohttp.TCPConnector(limit=self._connections),
                headers={"User-Agent": self.USER_AGENT},
            )

    async def shutdown(self) -> None:
        if self._session is not None and not self._session.closed:
            await self._session.close()

    async def do_request(
        self,
        url: str,
        method: str,
        request_data: RequestData | None = None,
        read_timeout: float | object | None = BaseRequest.DEFAULT_NONE,
        write_timeout: float | object | None = BaseRequest.DEFAULT_NONE,
        connect_timeout: float | object | None = BaseRequest.DEFAULT_NONE,
        pool_timeout: float | object | None = BaseRequest.DEFAULT_NONE,
    ) -> tuple[int, bytes]:
        if self._session is None or self._session.closed:
            raise RuntimeError("AiohttpRequest is not initialized")
        has_files = request_data is not None and request_data.contains_files
        timeout = aiohttp.ClientTimeout(
            connect=_given(pool_timeout, POOL_TIMEOUT),  # waiting for a pooled connection
            sock_connect=_given(connect_timeout, CONNECT_TIMEOUT),
            sock_read=_given(
                read_timeout if not has_files else write_timeout,
                READ_TIMEOUT if not has_files else MEDIA_WRITE_TIMEOUT,
            ),
        )
        try:
            async with self._session.request(
                method, url, data=_body(request_data), timeout=timeout
            ) as response:
                return response.status, await response.read()
        except TimeoutError as error:
            raise TimedOut from error
        except aiohttp.ClientError as error:
            raise NetworkError(f"aiohttp.{type(error).__name__}: {error}") from error


def _given(value: float | object | None, default: float) -> float | None:
    """A timeout PTB passed on, or ours when it passed none (None means wait for ever)."""
    if value is BaseRequest.DEFAULT_NONE:
        return default
    assert value is None or isinstance(value, int | float)
    return value


def _body(request_data: RequestData | None) -> aiohttp.FormData | dict[str, str] | None:
    """Form fields as PTB encodes them; multipart when a file goes with them."""
    if request_data is None:
        return None
    if not request_data.contains_files:
        return request_data.json_parameters
    form = aiohttp.FormData(request_data.json_parameters)
    for field, (filename, content, mime_type) in request_data.multipart_data.items():
        form.add_field(field, content, filename=filename, content_type=mime_type)
    return form
