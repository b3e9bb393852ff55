#include "match_index.h"
int main (void) { return 0; }
