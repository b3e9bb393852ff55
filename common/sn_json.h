/*  sn_json: one JSON <-> protobuf codec for every message, driven by the
    protobuf-c descriptors (the proto3 JSON mapping). It serves snodoctl
    --json, JSON input for creates, and the registry's stored records.
    Low level: no logging; errors name the field path and why. */
#ifndef SN_JSON_H_INCLUDED
#define SN_JSON_H_INCLUDED

#include <protobuf-c/protobuf-c.h>
#include <stddef.h>

struct json_object;

#define SN_JSON_PRETTY        1     //  indent the text
#define SN_JSON_EMIT_DEFAULTS 2     //  write fields at their default value too (a message not set as null)

//  A message as JSON text: field names in lowerCamelCase, enums by name,
//  64-bit integers as strings, bytes in base64, defaults omitted (unless
//  SN_JSON_EMIT_DEFAULTS). Caller owns the return value; NULL only when out
//  of memory.
char *sn_json_from_message (const ProtobufCMessage *msg, int flags);

//  The same as a json-c object. Caller owns it (json_object_put).
struct json_object *sn_json_obj_from_message (const ProtobufCMessage *msg, int flags);

//  Parses JSON text into a new message of desc (free it with
//  protobuf_c_message_free_unpacked (msg, NULL)). Field names in lowerCamelCase
//  or as in the .proto; enums by name, by name without the enum's common prefix
//  in any case ("ssc" for MEMBER_KIND_SSC), or by number; 64-bit integers from
//  strings or numbers; bytes from base64; null means the default. On error
//  returns NULL and writes "field.path: why" into err.
ProtobufCMessage *sn_json_to_message (const ProtobufCMessageDescriptor *desc, const char *json,
                                      char *err, size_t errlen);

//  The same from a json-c object (borrowed).
ProtobufCMessage *sn_json_obj_to_message (const ProtobufCMessageDescriptor *desc,
                                          struct json_object *obj, char *err, size_t errlen);

//  The size of one element in the array of a repeated field of a protobuf-c
//  message (for code that walks messages through their descriptors).
size_t sn_json_element_size (const ProtobufCFieldDescriptor *field);

#endif
