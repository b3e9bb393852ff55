#!/usr/bin/python3
"""A tour of Snodo from an institution's own system, in Python.

    example.py tour   --connect FILE [--cert CERT] [--cursor FILE]
    example.py follow --connect FILE [--cert CERT] [--cursor FILE] [--seconds N] [--until TYPE]

tour: who am I, where is every service (registry.Directory), a person
created for this member's SSC (and the same request sent again, as after a
lost reply: applied once), a retry with another body refused, the person
read back, a bad codice fiscale refused with the field that is wrong, and
the person's creation followed in this member's event stream
(journal.Follow) from the cursor kept in --cursor.

follow: the member's events from the cursor for a few seconds; the cursor
moves past every event printed, so a second run prints none of them again.

The proto files are compiled with protoc at start (--proto, default the
project's proto/ beside examples/). The member's certificate is --cert, or
<member>.cert beside the connection file (with its <member>.cert_secret),
made on the member's host with `snodoctl keygen`.
"""

import argparse
import os
import random
import sys
import time
import uuid

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from snodo_client import Connection, Follower, SnodoError, load_protos  # noqa: E402

MONTHS = "ABCDEHLMPRST"
ODD = dict(zip("0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZ",
               [1, 0, 5, 7, 9, 13, 15, 17, 19, 21] +
               [1, 0, 5, 7, 9, 13, 15, 17, 19, 21, 2, 4, 18, 20, 11, 3, 6, 8, 12, 14, 16, 10, 22, 25, 24, 23]))


def check_char(first15):
    """The codice fiscale's check character (DM 12/03/1974)."""
    total = 0
    for i, c in enumerate(first15):
        if i % 2 == 0:              # odd positions, counting from one
            total += ODD[c]
        else:
            total += int(c) if c.isdigit() else ord(c) - ord("A")
    return chr(ord("A") + total % 26)


def new_codice_fiscale(rng):
    """A well-formed codice fiscale of someone born in Pordenone (G888)."""
    letters = "".join(rng.choice("BCDFGLMNPRSTVZ") for _ in range(6))
    year, month, day = rng.randint(1960, 2004), rng.randint(1, 12), rng.randint(1, 28)
    female = rng.random() < 0.5
    first15 = f"{letters}{year % 100:02d}{MONTHS[month - 1]}{day + (40 if female else 0):02d}G888"
    return first15 + check_char(first15), f"{year:04d}-{month:02d}-{day:02d}"


def follow_until(follower, wanted, seconds, until_type=None):
    """Prints the events after the cursor until every event id in wanted
    was seen (or a page after an event of until_type), or seconds passed;
    saves the cursor. Returns what was seen."""
    seen, end, done = [], time.monotonic() + seconds, False
    while time.monotonic() < end and not done:
        try:
            page = follower.next_page()
        except SnodoError as e:
            if e.code not in ("DEADLINE_EXCEEDED", "UNAVAILABLE"):
                raise
            # the service restarts, or the link is down: the cursor is
            # where it was, so nothing is lost or repeated when it returns
            print(f"waiting: {e.code}")
            continue
        for e in page.events:
            print(f"event: {e.source} #{e.seq} {e.type} {e.subject}")
            seen.append(e)
        follower.save(page.next_after)
        if wanted and wanted <= {e.event_id for e in seen}:
            break
        done = until_type is not None and any(e.type == until_type for e in seen) and not page.events
    return seen


def tour(conn, args):
    pb, reg = conn.pb, conn.pb["registry"]
    registry = conn.client("registry")
    me = registry.call("registry.WhoAmI", reg.IdentityRequest(), pb["directory"].Member)
    kind = pb["envelope"].MemberKind.Name(me.kind)
    print(f"member: {me.name} ({me.id}, {kind}, ambito {me.ambito or '-'})")
    for m in conn.refresh_directory().members:
        for e in m.endpoints:
            print(f"directory: {e.service} at {e.request} (events {e.events}), key {m.public_key[:8]}...")

    rng = random.Random()
    for _ in range(5):
        cf, born = new_codice_fiscale(rng)
        person = reg.Person(codice_fiscale=cf, surname="Esempio", name="Python", birth_date=born,
                            municipality="Pordenone", ambito=me.ambito, referring_member_id=me.id,
                            categories=[reg.CATEGORY_PHYSICAL_DISABILITY])
        request_id = uuid.uuid4().bytes
        try:
            created = registry.call("registry.CreatePerson", reg.CreatePersonRequest(person=person), reg.Person,
                                    request_id=request_id)
            break
        except SnodoError as e:
            if e.code != "ALREADY_EXISTS":
                raise
    envelope = registry.last_reply
    print(f"created: person {created.id} ({created.codice_fiscale}), its events after #{envelope.after_seq}")

    # the reply was lost, say: the same request_id again is answered with
    # the first reply and changes nothing
    again = registry.call("registry.CreatePerson", reg.CreatePersonRequest(person=person), reg.Person,
                          request_id=request_id)
    print(f"retried: the same request_id gives person {again.id}: "
          f"{'applied once' if again.id == created.id else 'APPLIED TWICE'}")
    other = reg.Person()
    other.CopyFrom(person)
    other.surname = "Altro"
    try:
        registry.call("registry.CreatePerson", reg.CreatePersonRequest(person=other), reg.Person,
                      request_id=request_id)
        print("reused: ACCEPTED a request_id with another body")
    except SnodoError as e:
        print(f"reused: another body under the same request_id is refused: {e.code}: {e.message}")

    read = registry.call("registry.GetPerson", reg.GetPersonRequest(id=created.id), reg.Person)
    print(f"read: {read.surname} {read.name}, born {read.birth_date}, ambito {read.ambito}")

    bad = reg.Person()
    bad.CopyFrom(person)
    bad.codice_fiscale = cf[:15] + ("A" if cf[15] != "A" else "B")
    try:
        registry.call("registry.CreatePerson", reg.CreatePersonRequest(person=bad), reg.Person)
        print("refused: NOTHING (a wrong check character was accepted)")
    except SnodoError as e:
        print(f"refused: {e.code}: {'; '.join(f'{f}: {d}' for f, d in e.violations) or e.message}")

    follower = Follower(registry, args.cursor)
    if not os.path.exists(args.cursor):
        follower.after = envelope.after_seq     # a first run starts at this write
    seen = follow_until(follower, set(envelope.event_ids), args.seconds)
    mine = [e for e in seen if e.event_id in set(envelope.event_ids)]
    print(f"followed: {len(mine)} of the creation's {len(envelope.event_ids)} events, "
          f"cursor now at #{follower.after}")
    return 0 if len(mine) == len(envelope.event_ids) and again.id == created.id else 1


def follow(conn, args):
    follower = Follower(conn.client("registry"), args.cursor, wait_ms=1000)
    seen = follow_until(follower, None, args.seconds, args.until)
    print(f"followed: {len(seen)} events, cursor now at #{follower.after}")
    return 0


def main():
    here = os.path.dirname(os.path.abspath(__file__))
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("command", choices=["tour", "follow"])
    parser.add_argument("--connect", required=True, help="the connection file the operator gave")
    parser.add_argument("--cert", help="this member's certificate (default: <member>.cert beside it)")
    parser.add_argument("--proto", default=os.path.join(here, "..", "..", "proto"))
    parser.add_argument("--cursor", default="snodo-cursor.txt", help="where the event cursor is kept")
    parser.add_argument("--seconds", type=float, default=10, help="how long to follow")
    parser.add_argument("--until", metavar="TYPE", help="follow: end once an event of TYPE came (and a quiet page)")
    args = parser.parse_args()
    conn = Connection(args.connect, load_protos(args.proto), cert=args.cert)
    try:
        return tour(conn, args) if args.command == "tour" else follow(conn, args)
    except SnodoError as e:
        print(f"snodo: {e}", file=sys.stderr)
        return 1


if __name__ == "__main__":
    sys.exit(main())
