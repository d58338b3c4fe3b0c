// SPDX-License-Identifier: GPL-2.0
/*
 * COM1 output, polling LSR.THRE before each byte.  Lines end in a bare \n:
 * lvctl copies the bytes to its stdout, where scripts grep them.
 */
#include "rt.h"

#define UART_THR	0
#define UART_LSR	5
#define LSR_THRE	0x20

void uart_putc(char c)
{
	int spins = 100000;

	/* bounded wait: a missing UART must not hang the guest */
	while (!(inb(UART_BASE + UART_LSR) & LSR_THRE) && --spins)
		;
	outb(UART_BASE + UART_THR, c);
}

void uart_puts(const char *s)
{
	while (*s)
		uart_putc(*s++);
}
