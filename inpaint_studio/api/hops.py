"""Where a redirect may lead: no redirect is followed to a place a direct request could not go.

Every HTTP request of the app that may meet a redirect either does not follow it (the client's
API calls, the local server's webhooks) or follows it by hand, one hop at a time, asking a
`HopRule` about each hop before connecting (downloads: a job's results, the local server's
`audio_url` fetch). requests' own redirect handling is never used (`allow_redirects=False`).

`HopRule(origin)` is the rule for a download that starts at `origin`:
- http(s) only, never from https down to http;
- from a loopback origin (the local server), only the same host: nothing else on this machine
  and nothing off it;
- from any other origin, never to this machine, a private or link-local network (the cloud
  metadata address 169.254.169.254 among them) or any other special address, judged on the
  address literal and on every address the name resolves to.
`same_origin=True` keeps every hop on the origin's scheme, host and port (the local server's
rule for an `audio_url`: it was checked once, directly)."""

from __future__ import annotations

import ipaddress
import socket
from urllib.parse import urlsplit

MAX_HOPS = 5
REDIRECTS = (301, 302, 303, 307, 308)


def is_loopback(host: str | None) -> bool:
    if not host:
        return False
    if host == "localhost":
        return True
    try:
        return ipaddress.ip_address(host).is_loopback
    except ValueError:
        return False


def _special(addr: ipaddress.IPv4Address | ipaddress.IPv6Address) -> bool:
    return (addr.is_loopback or addr.is_private or addr.is_link_local or addr.is_multicast
            or addr.is_reserved or addr.is_unspecified)


def _addresses(host: str) -> list[ipaddress.IPv4Address | ipaddress.IPv6Address]:
    try:
        return [ipaddress.ip_address(host)]
    except ValueError:
        pass
    try:
        infos = socket.getaddrinfo(host, None, proto=socket.IPPROTO_TCP)
    except OSError:
        return []  # unresolvable: the connection itself will fail
    out = []
    for info in infos:
        try:
            out.append(ipaddress.ip_address(str(info[4][0]).split("%")[0]))
        except ValueError:
            continue
    return out


class HopRule:
    """Decides whether a redirect from a download that started at `origin` may be followed."""

    def __init__(self, origin: str, *, same_origin: bool = False) -> None:
        self.origin = urlsplit(origin)
        self.same_origin = same_origin

    def refusal(self, url: str) -> str | None:
        """None if `url` may be fetched as the next hop, else why not (for a message)."""
        to = urlsplit(url)
        host = to.hostname or ""
        if to.scheme not in ("http", "https") or not host:
            return "it is not an http(s) address"
        if self.origin.scheme == "https" and to.scheme != "https":
            return "it leaves https"
        if self.same_origin:
            if (to.scheme, host, to.port) != (self.origin.scheme, self.origin.hostname,
                                              self.origin.port):
                return "it leads to another host"
            return None
        if is_loopback(self.origin.hostname):
            if host != self.origin.hostname:
                return "it leads away from the local server"
            return None
        if host == "localhost" or any(_special(a) for a in _addresses(host)):
            return "it leads to this computer or a private network"
        return None
