"""Which network addresses eventwire may connect to, checked on the resolved address.

A feed monitor fetches URLs that strangers wrote (feed entries, redirects), so it must not
become a way into the network it runs in (SSRF). The policy is applied to every address DNS
returns and again to the peer of the connected socket, never to the URL text:
``http://2130706433/``, ``http://0x7f.1/`` and ``http://[::ffff:127.0.0.1]/`` are loopback.

Refused: loopback, private (RFC 1918), link-local, CGNAT (100.64/10), unique-local (fc00::/7),
unspecified, multicast, reserved and other non-global ranges, the same addresses in their
IPv4-mapped, IPv4-compatible, NAT64, 6to4 and Teredo IPv6 forms, and the cloud metadata
addresses. ``allow_private`` (``--allow-private-networks``) lifts the ban on private, loopback,
link-local, CGNAT and unique-local addresses (intranet feeds, tests); metadata, unspecified and
multicast addresses stay refused even then, since no feed lives there. This module imports
nothing of ours and no HTTP library.
"""

from __future__ import annotations

import ipaddress
import socket
from collections.abc import Iterable, Sequence

IPAddress = ipaddress.IPv4Address | ipaddress.IPv6Address

# Instance metadata services: AWS/GCP/Azure/OpenStack, AWS IPv6, AWS ECS tasks, Alibaba, Oracle.
METADATA_ADDRESSES = frozenset(
    ipaddress.ip_address(a)
    for a in ("169.254.169.254", "fd00:ec2::254", "169.254.170.2", "100.100.100.200", "192.0.0.192")
)
_CGNAT = ipaddress.ip_network("100.64.0.0/10")
_NAT64 = (ipaddress.ip_network("64:ff9b::/96"), ipaddress.ip_network("64:ff9b:1::/48"))
_IPV4_COMPATIBLE = ipaddress.ip_network("::/96")
# Reasons that the private-network opt-in lifts.
_PRIVATE_KINDS = frozenset({"loopback", "private", "link_local", "cgnat", "unique_local"})


class BlockedAddressError(Exception):
    """A connection the address policy refused. Deliberately not an OSError, so HTTP
    libraries do not retry it or wrap it as a generic connection failure."""

    def __init__(self, host: str, refused: Sequence[tuple[str, str]]) -> None:
        self.host = host
        self.refused = tuple(refused)  # (address, kind)
        listed = ", ".join(f"{addr} ({kind})" for addr, kind in self.refused) or "no address"
        super().__init__(f"refused to connect to {host}: {listed}")

    @property
    def opt_in_allows(self) -> bool:
        """True when --allow-private-networks would have allowed one of the refused addresses."""
        return any(kind in _PRIVATE_KINDS for _, kind in self.refused)


def _parse(address: str | IPAddress) -> IPAddress:
    if isinstance(address, str):
        address = address.split("%", 1)[0]  # drop an IPv6 zone id ("fe80::1%eth0")
        return ipaddress.ip_address(address)
    return address


def _embedded_ipv4(ip: ipaddress.IPv6Address) -> tuple[ipaddress.IPv4Address, str] | None:
    """The IPv4 address an IPv6 transition form carries, with the form's name."""
    if ip.ipv4_mapped is not None:
        return ip.ipv4_mapped, "ipv4_mapped"
    if ip in _IPV4_COMPATIBLE and int(ip) > 1:  # not :: and ::1, which are IPv6's own
        return ipaddress.IPv4Address(int(ip) & 0xFFFFFFFF), "ipv4_compatible"
    if any(ip in net for net in _NAT64):
        return ipaddress.IPv4Address(int(ip) & 0xFFFFFFFF), "nat64"
    if ip.sixtofour is not None:
        return ip.sixtofour, "6to4"
    if ip.teredo is not None:
        return ip.teredo[1], "teredo"
    return None


def address_kind(address: str | IPAddress) -> str | None:
    """What makes ``address`` non-public ("loopback", "metadata", ...), or None if it is public."""
    ip = _parse(address)
    if ip in METADATA_ADDRESSES:
        return "metadata"
    if isinstance(ip, ipaddress.IPv6Address):
        if ip.is_unspecified:
            return "unspecified"
        if ip.is_loopback:
            return "loopback"
        embedded = _embedded_ipv4(ip)
        if embedded is not None:
            inner = address_kind(embedded[0])
            return f"{inner}:{embedded[1]}" if inner else None
        if ip in ipaddress.ip_network("fc00::/7"):
            return "unique_local"
    if ip.is_unspecified:
        return "unspecified"
    if ip.is_loopback:
        return "loopback"
    if ip.is_multicast:
        return "multicast"
    if ip.is_link_local:
        return "link_local"
    if isinstance(ip, ipaddress.IPv4Address) and ip in _CGNAT:
        return "cgnat"
    if ip.is_private:
        return "private"
    if ip.is_reserved or not ip.is_global:
        return "reserved"
    return None


def refusal(address: str | IPAddress, allow_private: bool) -> str | None:
    """Why a connection to ``address`` is refused under the policy, or None if it is allowed."""
    kind = address_kind(address)
    if kind is None:
        return None
    base = kind.split(":", 1)[0]
    if allow_private and base in _PRIVATE_KINDS:
        return None
    return kind


def open_checked_socket(
    host: str,
    port: int,
    timeout: float | None,
    allow_private: bool,
    socket_options: Iterable[tuple[int, int, int]] | None = None,
) -> socket.socket:
    """Resolve ``host``, drop every refused address, connect to the first allowed one.

    The connection goes to the checked IP itself (no second resolution that could answer
    differently), and the connected peer is checked once more before the socket is returned.
    Raises BlockedAddressError when every address is refused, OSError on network failures.
    """
    infos = socket.getaddrinfo(host, port, 0, socket.SOCK_STREAM)
    refused: list[tuple[str, str]] = []
    last_error: OSError | None = None
    for family, type_, proto, _canonname, sockaddr in infos:
        kind = refusal(str(sockaddr[0]), allow_private)
        if kind is not None:
            refused.append((str(sockaddr[0]), kind))
            continue
        sock = socket.socket(family, type_, proto)
        try:
            for option in socket_options or ():
                sock.setsockopt(*option)
            sock.settimeout(timeout)
            sock.connect(sockaddr)
            peer = str(sock.getpeername()[0])
            peer_kind = refusal(peer, allow_private)
            if peer_kind is not None:  # cannot happen unless the OS rewrote the route; refuse anyway
                sock.close()
                refused.append((peer, peer_kind))
                continue
            return sock
        except OSError as exc:
            sock.close()
            last_error = exc
    if last_error is not None:
        raise last_error
    raise BlockedAddressError(host, refused)
