/*  sn_wire: what comes from outside, checked on the wire before it is
    unpacked, against the message's descriptor.

    protobuf-c unpacks a string with a NUL inside as the text before the
    NUL (silently: "NA\0EXX" would be stored as "NA"), takes any bytes as a
    string (a strict client then cannot read a reply that echoes them),
    any number as an enum, and any count of a repeated field. sn_wire_check
    refuses all of these, naming the field and why:

    - a string that is not UTF-8, or holds a NUL;
    - an enum whose value its enum does not have;
    - a repeated field with more than SN_WIRE_MAX_REPEATED elements;
    - a message field (not repeated) given more than once: protobuf-c
      would merge the two, and their repeated fields with them, past the
      bound each one kept;
    - messages nested deeper than SN_WIRE_MAX_DEPTH;
    - bytes that are not the protobuf wire format.

    Fields the descriptor does not know are passed over (a newer client may
    send them). Low level: no logging, no allocation.
*/
#ifndef SN_WIRE_H_INCLUDED
#define SN_WIRE_H_INCLUDED

#include <protobuf-c/protobuf-c.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#define SN_WIRE_MAX_REPEATED 1000
#define SN_WIRE_MAX_DEPTH 16

//  Checks data (len bytes) as a message of desc. Returns 0, or -1 with the
//  field's path ("person.consents[2].purpose") in field and why in why
//  (both always NUL-terminated when their size is not 0).
int sn_wire_check (const ProtobufCMessageDescriptor *desc, const uint8_t *data, size_t len,
                   char *field, size_t field_len, char *why, size_t why_len);

//  True if the len bytes at text are UTF-8: no overlong forms, no
//  surrogates, nothing above U+10FFFF. A NUL is UTF-8 (check it apart).
bool sn_utf8_valid (const char *text, size_t len);

//  Makes text (NUL-terminated) UTF-8 in place: cuts a sequence left
//  incomplete at its end (a text cut at a byte count) and replaces each
//  byte of an invalid sequence with '?'. For messages that echo a caller's
//  text.
void sn_utf8_repair (char *text);

#endif
