#include "testsupport.h"
#include "matching.h"
#include <criterion/criterion.h>
Test (matching, placeholder) { cr_assert (1); }
