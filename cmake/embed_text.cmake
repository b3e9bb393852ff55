# Writes OUT: a C file holding the bytes of FILE as const char NAME[], NUL-ended,
# so that a binary carries a document it needs (the bridge's XSD).
file(READ ${FILE} hex HEX)
string(REGEX REPLACE "([0-9a-f][0-9a-f])" "0x\\1," hex "${hex}")
file(WRITE ${OUT} "/* generated from ${FILE}: do not edit */\nconst char ${NAME}[] = {${hex}0x00};\n")
