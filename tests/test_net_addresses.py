"""The address policy on its own: every non-public form is refused, public addresses pass."""

from __future__ import annotations

import pytest

from transforms.net.addresses import BlockedAddressError, address_kind, open_checked_socket, refusal

REFUSED = {
    "127.0.0.1": "loopback",
    "127.255.0.9": "loopback",
    "10.1.2.3": "private",
    "172.16.0.1": "private",
    "192.168.1.1": "private",
    "169.254.169.254": "metadata",
    "169.254.3.4": "link_local",
    "100.64.0.1": "cgnat",
    "100.100.100.200": "metadata",
    "0.0.0.0": "unspecified",
    "224.0.0.1": "multicast",
    "255.255.255.255": "private",
    "::": "unspecified",
    "::1": "loopback",
    "fe80::1%eth0": "link_local",
    "fc00::1": "unique_local",
    "fd12:3456::1": "unique_local",
    "fd00:ec2::254": "metadata",
    "ff02::1": "multicast",
    "::ffff:127.0.0.1": "loopback:ipv4_mapped",
    "::ffff:169.254.169.254": "metadata:ipv4_mapped",
    "::ffff:10.0.0.1": "private:ipv4_mapped",
    "::127.0.0.1": "loopback:ipv4_compatible",
    "64:ff9b::7f00:1": "loopback:nat64",
    "64:ff9b::a9fe:a9fe": "metadata:nat64",
    "2002:7f00:1::": "loopback:6to4",
}
PUBLIC = ["8.8.8.8", "1.1.1.1", "2606:4700:4700::1111", "::ffff:8.8.8.8", "64:ff9b::808:808", "93.184.216.34"]


@pytest.mark.parametrize(("address", "kind"), sorted(REFUSED.items()))
def test_non_public_addresses_are_named(address: str, kind: str) -> None:
    assert address_kind(address) == kind
    assert refusal(address, allow_private=False) == kind


@pytest.mark.parametrize("address", PUBLIC)
def test_public_addresses_pass(address: str) -> None:
    assert address_kind(address) is None


def test_opt_in_lifts_private_ranges_but_never_metadata_or_multicast() -> None:
    for address in ("127.0.0.1", "10.0.0.1", "::1", "fd12::1", "100.64.0.1", "::ffff:127.0.0.1", "169.254.3.4"):
        assert refusal(address, allow_private=True) is None, address
    for address in ("169.254.169.254", "::ffff:169.254.169.254", "224.0.0.1", "0.0.0.0"):
        assert refusal(address, allow_private=True) is not None, address


@pytest.mark.parametrize("host", ["127.0.0.1", "localhost", "2130706433", "0x7f.1", "127.1", "0177.0.0.1"])
def test_numeric_spellings_of_loopback_resolve_and_are_refused(host: str) -> None:
    with pytest.raises(BlockedAddressError) as info:
        open_checked_socket(host, 9, 1.0, allow_private=False)
    assert all(kind.startswith("loopback") for _, kind in info.value.refused)
