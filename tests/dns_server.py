"""A real DNS server for tests: dnspython's wire format over UDP on loopback, answering from a small zone."""

from __future__ import annotations

import socket
import socketserver
import threading

import dns.flags
import dns.message
import dns.rcode
import dns.rdataclass
import dns.rdatatype
import dns.rrset


def txt(value: str) -> str:
    """A TXT record's text, split into the 255-octet strings DNS needs (a DKIM key is longer)."""
    return " ".join('"' + value[i:i + 255] + '"' for i in range(0, len(value), 255))


class DnsServer:
    """`with DnsServer({("example.org", "MX"): ["10 mx.example.org."]}) as dns_server:` answers at 127.0.0.1:`port`.

    A name in the zone without the asked type answers NOERROR and no records; a name not in it NXDOMAIN.
    The root's NS is there, as on any resolver that works, unless `root=False`: a resolver cut off from
    the internet that says NXDOMAIN to everything (as on an offline CI machine).
    """

    def __init__(self, zone: dict[tuple[str, str], list[str]], *, root: bool = True) -> None:
        self.zone = {(name.rstrip(".").lower() + ".", kind): values for (name, kind), values in zone.items()}
        if root:
            self.zone.setdefault((".", "NS"), ["a.root-servers.net."])
        self.asked: list[tuple[str, str]] = []
        server = self

        class Handler(socketserver.BaseRequestHandler):
            def handle(self) -> None:
                data, sock = self.request
                sock.sendto(server.answer(data), self.client_address)

        self.server = socketserver.ThreadingUDPServer(("127.0.0.1", 0), Handler)
        self.port = self.server.server_address[1]

    def answer(self, data: bytes) -> bytes:
        query = dns.message.from_wire(data)
        response = dns.message.make_response(query)
        response.flags |= dns.flags.RA
        question = query.question[0]
        name, kind = question.name.to_text().lower(), dns.rdatatype.to_text(question.rdtype)
        self.asked.append((name, kind))
        values = self.zone.get((name, kind))
        if values:
            response.answer.append(dns.rrset.from_text_list(question.name, 300, dns.rdataclass.IN, question.rdtype, values))
        elif not any(known == name for known, _ in self.zone):
            response.set_rcode(dns.rcode.NXDOMAIN)
        return response.to_wire()

    def __enter__(self) -> DnsServer:
        threading.Thread(target=self.server.serve_forever, name="test-dns", daemon=True).start()
        return self

    def __exit__(self, *exc: object) -> None:
        self.server.shutdown()
        self.server.server_close()


def closed_udp_port() -> int:
    """A UDP port nothing listens on (bound then released): a DNS server that is not there."""
    with socket.socket(socket.AF_INET, socket.SOCK_DGRAM) as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]
