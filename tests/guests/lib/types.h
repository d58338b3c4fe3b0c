/* SPDX-License-Identifier: GPL-2.0 */
/* Fixed-width types for the freestanding test guests (32- and 64-bit). */
#ifndef GUEST_TYPES_H
#define GUEST_TYPES_H

typedef unsigned char u8;
typedef unsigned short u16;
typedef unsigned int u32;
typedef unsigned long long u64;
typedef signed char s8;
typedef short s16;
typedef int s32;
typedef long long s64;
typedef unsigned long ulong;	/* register width: 32 or 64 bits */

#define NULL ((void *)0)
#define ARRAY_SIZE(a) (sizeof(a) / sizeof((a)[0]))

#endif
