// SPDX-License-Identifier: GPL-2.0
/* Compiles the file under test from its place in kmod/ (see Kbuild). */
#include "kmod/vtd/dmar.c"
