// SPDX-License-Identifier: GPL-2.0
/*
 * printf-lite: %c %s %d %i %u %x %X %p %%, with the l and ll length
 * modifiers, a '0' flag, a '-' flag and a field width.  64-bit decimal
 * conversion uses no libgcc helper (the 32-bit guests link without one).
 */
#include "rt.h"

/* v / 10, remainder in *rem, with 32-bit divisions only */
static u64 div10(u64 v, u32 *rem)
{
#ifdef __x86_64__
	*rem = v % 10;
	return v / 10;
#else
	u32 hi = v >> 32, lo = (u32)v, qhi, qlo, r;

	qhi = hi / 10;
	r = hi % 10;
	/* r < 10, so (r:lo) / 10 fits 32 bits: divl cannot overflow */
	asm("divl %4" : "=a"(qlo), "=d"(r) : "a"(lo), "d"(r), "r"(10U));
	*rem = r;
	return ((u64)qhi << 32) | qlo;
#endif
}

static void put_field(const char *s, int len, int width, char pad, int left)
{
	if (!left)
		for (; width > len; width--)
			uart_putc(pad);
	for (int i = 0; i < len; i++)
		uart_putc(s[i]);
	if (left)
		for (; width > len; width--)
			uart_putc(' ');
}

static void put_num(u64 v, int base, int neg, int upper, int width, char pad,
		    int left)
{
	const char *digits = upper ? "0123456789ABCDEF" : "0123456789abcdef";
	char buf[24];
	int i = sizeof(buf);

	do {
		u32 d;

		if (base == 16) {
			d = v & 15;
			v >>= 4;
		} else {
			v = div10(v, &d);
		}
		buf[--i] = digits[d];
	} while (v);
	if (neg) {
		if (pad == '0' && width > 0) {
			/* sign before the zero padding */
			uart_putc('-');
			width--;
		} else {
			buf[--i] = '-';
		}
	}
	put_field(buf + i, sizeof(buf) - i, width, pad, left);
}

void vprintf(const char *fmt, va_list ap)
{
	for (; *fmt; fmt++) {
		int width = 0, lng = 0, left = 0;
		char pad = ' ';
		u64 u;
		s64 s;

		if (*fmt != '%') {
			uart_putc(*fmt);
			continue;
		}
		fmt++;
		for (;; fmt++) {
			if (*fmt == '0')
				pad = '0';
			else if (*fmt == '-')
				left = 1;
			else
				break;
		}
		while (*fmt >= '0' && *fmt <= '9')
			width = width * 10 + (*fmt++ - '0');
		while (*fmt == 'l') {
			lng++;
			fmt++;
		}
		switch (*fmt) {
		case 'c': {
			char c = (char)va_arg(ap, int);

			put_field(&c, 1, width, ' ', left);
			break;
		}
		case 's': {
			const char *str = va_arg(ap, const char *);

			if (!str)
				str = "(null)";
			put_field(str, strlen(str), width, ' ', left);
			break;
		}
		case 'd':
		case 'i':
			if (lng >= 2)
				s = va_arg(ap, s64);
			else if (lng == 1)
				s = va_arg(ap, long);
			else
				s = va_arg(ap, int);
			put_num(s < 0 ? -(u64)s : (u64)s, 10, s < 0, 0, width, pad, left);
			break;
		case 'u':
		case 'x':
		case 'X':
			if (lng >= 2)
				u = va_arg(ap, u64);
			else if (lng == 1)
				u = va_arg(ap, unsigned long);
			else
				u = va_arg(ap, unsigned int);
			put_num(u, *fmt == 'u' ? 10 : 16, 0, *fmt == 'X', width, pad, left);
			break;
		case 'p':
			uart_puts("0x");
			put_num((ulong)va_arg(ap, void *), 16, 0, 0, width, pad, left);
			break;
		case '%':
			uart_putc('%');
			break;
		case '\0':
			return;
		default:
			uart_putc('%');
			uart_putc(*fmt);
		}
	}
}

void printf(const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	vprintf(fmt, ap);
	va_end(ap);
}
