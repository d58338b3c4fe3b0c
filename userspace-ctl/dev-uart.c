// SPDX-License-Identifier: GPL-2.0
/*
 * 8250 UART: THR goes to an output fd, RBR comes from an input fd that is
 * polled (never blocked on) when the guest looks at LSR or RBR.  No
 * interrupts: guests poll LSR.
 */
#include <errno.h>
#include <poll.h>
#include <string.h>
#include <unistd.h>

#include "devices.h"

enum {
	UART_RBR_THR = 0,	/* DLL with DLAB */
	UART_IER = 1,		/* DLM with DLAB */
	UART_IIR_FCR = 2,
	UART_LCR = 3,
	UART_MCR = 4,
	UART_LSR = 5,
	UART_MSR = 6,
	UART_SCR = 7,
};

void uart_init(struct uart *uart, u64 base, int in_fd, int out_fd)
{
	memset(uart, 0, sizeof(*uart));
	uart->base = base;
	uart->in_fd = in_fd;
	uart->out_fd = out_fd;
	uart->out_flush_each = out_fd >= 0 && isatty(out_fd);
	uart->lcr = 0x03;	/* 8N1 */
	uart->dll = 0x0c;	/* 9600 baud */
	pthread_mutex_init(&uart->lock, NULL);
}

static void uart_tx_flush_locked(struct uart *uart)
{
	unsigned int off = 0;
	ssize_t n;

	while (off < uart->tx_len && uart->out_fd >= 0) {
		n = write(uart->out_fd, uart->tx + off, uart->tx_len - off);
		if (n < 0 && errno == EINTR)
			continue;
		if (n <= 0) {
			/* the reader went away: drop the output */
			uart->out_fd = -1;
			break;
		}
		off += n;
	}
	uart->tx_len = 0;
}

void uart_flush(struct uart *uart)
{
	pthread_mutex_lock(&uart->lock);
	uart_tx_flush_locked(uart);
	pthread_mutex_unlock(&uart->lock);
}

static void uart_rx_push(struct uart *uart, u8 c)
{
	if (uart->rx_count == UART_RX_SIZE)
		return;		/* overrun: the byte is lost, as on hardware */
	uart->rx[(uart->rx_head + uart->rx_count) % UART_RX_SIZE] = c;
	uart->rx_count++;
}

/* Pull whatever input is waiting, without blocking. */
static void uart_rx_fill(struct uart *uart)
{
	struct pollfd pfd;
	u8 buf[UART_RX_SIZE];
	unsigned int room = UART_RX_SIZE - uart->rx_count;
	ssize_t n, i;

	if (uart->in_fd < 0 || uart->rx_count || (uart->mcr & UART_MCR_LOOP))
		return;
	pfd.fd = uart->in_fd;
	pfd.events = POLLIN;
	pfd.revents = 0;
	if (poll(&pfd, 1, 0) <= 0)
		return;
	if (!(pfd.revents & (POLLIN | POLLHUP | POLLERR)))
		return;
	n = read(uart->in_fd, buf, room);
	if (n < 0 && (errno == EINTR || errno == EAGAIN))
		return;
	if (n <= 0) {
		uart->in_fd = -1;	/* EOF: stop polling */
		return;
	}
	for (i = 0; i < n; i++)
		uart_rx_push(uart, buf[i]);
}

static void uart_tx(struct uart *uart, u8 c)
{
	if (uart->mcr & UART_MCR_LOOP) {
		uart_rx_push(uart, c);
		return;
	}
	if (uart->out_fd < 0)
		return;
	uart->tx[uart->tx_len++] = c;
	if (uart->out_flush_each || c == '\n' || uart->tx_len == UART_TX_SIZE)
		uart_tx_flush_locked(uart);
}

static u8 uart_msr(struct uart *uart)
{
	u8 mcr = uart->mcr;

	if (!(mcr & UART_MCR_LOOP))
		return 0xb0;	/* DCD, DSR, CTS: a cable is attached */
	return ((mcr & 0x08) ? 0x80 : 0) | ((mcr & 0x04) ? 0x40 : 0) |
	       ((mcr & 0x01) ? 0x20 : 0) | ((mcr & 0x02) ? 0x10 : 0);
}

static u8 uart_read(struct uart *uart, unsigned int reg)
{
	bool dlab = uart->lcr & UART_LCR_DLAB;
	u8 v;

	switch (reg) {
	case UART_RBR_THR:
		if (dlab)
			return uart->dll;
		uart_rx_fill(uart);
		if (!uart->rx_count)
			return 0;
		v = uart->rx[uart->rx_head];
		uart->rx_head = (uart->rx_head + 1) % UART_RX_SIZE;
		uart->rx_count--;
		return v;
	case UART_IER:
		return dlab ? uart->dlm : uart->ier;
	case UART_IIR_FCR:
		return 0x01 | uart->iir_fifo;	/* no interrupt pending */
	case UART_LCR:
		return uart->lcr;
	case UART_MCR:
		return uart->mcr;
	case UART_LSR:
		uart_rx_fill(uart);
		return UART_LSR_THRE | UART_LSR_TEMT |
		       (uart->rx_count ? UART_LSR_DR : 0);
	case UART_MSR:
		return uart_msr(uart);
	default:
		return uart->scr;
	}
}

static void uart_write(struct uart *uart, unsigned int reg, u8 v)
{
	bool dlab = uart->lcr & UART_LCR_DLAB;

	switch (reg) {
	case UART_RBR_THR:
		if (dlab)
			uart->dll = v;
		else
			uart_tx(uart, v);
		break;
	case UART_IER:
		if (dlab)
			uart->dlm = v;
		else
			uart->ier = v & 0x0f;
		break;
	case UART_IIR_FCR:
		uart->iir_fifo = (v & 0x01) ? 0xc0 : 0;
		if (v & 0x02) {		/* clear the receive FIFO */
			uart->rx_head = 0;
			uart->rx_count = 0;
		}
		break;
	case UART_LCR:
		uart->lcr = v;
		break;
	case UART_MCR:
		uart->mcr = v & 0x1f;
		break;
	case UART_SCR:
		uart->scr = v;
		break;
	default:
		break;		/* LSR and MSR are read-only */
	}
}

/* Wider accesses touch consecutive registers, one byte each. */
void uart_access(void *opaque, u64 port, u8 *data, u32 len, bool is_write)
{
	struct uart *uart = opaque;
	u32 i;

	pthread_mutex_lock(&uart->lock);
	for (i = 0; i < len; i++) {
		unsigned int reg = (port + i - uart->base) & 7;

		if (is_write)
			uart_write(uart, reg, data[i]);
		else
			data[i] = uart_read(uart, reg);
	}
	pthread_mutex_unlock(&uart->lock);
}

int uart_register(struct uart *uart, struct bus *io_bus)
{
	return bus_register(io_bus, uart->base, UART_NR_PORTS, uart_access,
			    uart, "uart");
}
