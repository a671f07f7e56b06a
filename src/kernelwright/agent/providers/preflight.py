"""Before any judging: can the model server be reached at all? (issue #18)

Against a closed port an agent run used to spend 8 rounds and 40 retries (196 s) before exiting 1 with
`no-accepted-kernel`. A TCP connection to the server (or to the proxy the SDK would use) takes
milliseconds and tells a refused connection, a name that does not resolve and a silent host apart:
each is one line and exit 2 before a judge or a token is spent. A server that answers but refuses
the key or the model is left to the first request, which reports it as fatal (HTTP 401/403/404).
"""

from __future__ import annotations

import os
import socket
from urllib.parse import urlsplit

from kernelwright.errors import BadInput

DEFAULT_URLS = {"openai": "https://api.openai.com/v1", "anthropic": "https://api.anthropic.com"}
PROXY_VARS = ("HTTPS_PROXY", "https_proxy", "ALL_PROXY", "all_proxy", "HTTP_PROXY", "http_proxy")


def _endpoint(url: str, what: str) -> tuple[str, int]:
    parts = urlsplit(url if "://" in url else f"http://{url}")
    if not parts.hostname:
        raise BadInput(f"{what} {url!r} names no host")
    try:
        port = parts.port or (443 if parts.scheme == "https" else 80)
    except ValueError as exc:
        raise BadInput(f"{what} {url!r}: {exc}") from exc
    return parts.hostname, port


def _bypassed(host: str) -> bool:
    no_proxy = os.environ.get("NO_PROXY", os.environ.get("no_proxy", ""))
    names = [n.strip().lstrip(".") for n in no_proxy.split(",") if n.strip()]
    return "*" in names or any(host == n or host.endswith("." + n) for n in names)


def check_reachable(provider: str, base_url: str | None, timeout: float = 3.0) -> None:
    """BadInput (exit 2) when the provider's server cannot be connected to; nothing for offline ones."""
    if provider not in DEFAULT_URLS:
        return  # replay and plug-in providers: nothing to reach, or nothing we know how to
    url = base_url or DEFAULT_URLS[provider]
    host, port = _endpoint(url, "--base-url")
    target, via = (host, port), ""
    proxy = next((os.environ[v] for v in PROXY_VARS if os.environ.get(v)), None)
    if proxy and not _bypassed(host):
        target, via = _endpoint(proxy, "the proxy"), f" through the proxy {proxy}"
    try:
        socket.create_connection(target, timeout=timeout).close()
    except socket.gaierror as exc:
        raise BadInput(
            f"cannot reach the model server {url}{via}: {target[0]} does not resolve ({exc.strerror})"
        ) from exc
    except ConnectionRefusedError as exc:
        raise BadInput(
            f"cannot reach the model server {url}{via}: connection refused on port {target[1]} (is it running?)"
        ) from exc
    except TimeoutError as exc:
        raise BadInput(f"cannot reach the model server {url}{via}: no answer in {timeout:g} s") from exc
    except OSError as exc:
        raise BadInput(f"cannot reach the model server {url}{via}: {exc.strerror or exc}") from exc
