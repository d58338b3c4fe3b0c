// SPDX-License-Identifier: GPL-2.0
/*
 * 16550A UART: THR goes to an output fd at once (the transmitter is
 * always empty), RBR comes from an input fd.  Input is pulled when the
 * guest looks at LSR or RBR (guests that poll, without a thread) and, once
 * uart_start() ran, by a thread that fills the RX FIFO as input arrives
 * (it stops reading while the FIFO is full) and times the FIFO's character
 * timeout.  Interrupts follow the 16550A's priorities; the IRQ line is
 * (interrupt pending && MCR.OUT2), as the OUT2 gate of a PC's COM port.
 */
#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "devices.h"
#include "platform.h"

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

#define UART_CLOCK_HZ		115200ULL	/* baud rate at divisor 1 */

void uart_init(struct uart *uart, u64 base, int in_fd, int out_fd)
{
	memset(uart, 0, sizeof(*uart));
	uart->base = base;
	uart->in_fd = in_fd;
	uart->out_fd = out_fd;
	uart->out_flush_each = out_fd >= 0 && isatty(out_fd);
	uart->lcr = 0x03;	/* 8N1 */
	uart->dll = 0x0c;	/* 9600 baud */
	uart->msr_status = 0xb0;	/* DCD, DSR, CTS: a cable is attached */
	uart->wake[0] = uart->wake[1] = -1;
	pthread_mutex_init(&uart->lock, NULL);
}

void uart_set_irq(struct uart *uart, struct irqchip *chip, unsigned int irq)
{
	pthread_mutex_lock(&uart->lock);
	uart->irqchip = chip;
	uart->irq = irq;
	pthread_mutex_unlock(&uart->lock);
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

/* Tell the RX thread something changed (room in the FIFO, the timing). */
static void uart_kick(struct uart *uart)
{
	char c = 0;

	if (uart->wake[1] >= 0 && write(uart->wake[1], &c, 1) < 0) {
		/* the pipe is full: the thread has wake-ups pending anyway */
	}
}

static void uart_rx_push(struct uart *uart, u8 c)
{
	if (uart->rx_count == UART_RX_SIZE) {
		uart->lsr_err |= UART_LSR_OE;	/* the byte is lost */
		return;
	}
	uart->rx[(uart->rx_head + uart->rx_count) % UART_RX_SIZE] = c;
	uart->rx_count++;
	uart->rx_activity_ns = platform_now_ns();
}

/* Pull whatever input is waiting and fits, without blocking. */
static void uart_rx_fill(struct uart *uart)
{
	unsigned int room = UART_RX_SIZE - uart->rx_count;
	u8 buf[UART_RX_SIZE];
	struct pollfd pfd;
	ssize_t n, i;

	if (uart->in_fd < 0 || !room || (uart->mcr & UART_MCR_LOOP))
		return;
	pfd.fd = uart->in_fd;
	pfd.events = POLLIN;
	pfd.revents = 0;
	if (poll(&pfd, 1, 0) <= 0)
		return;
	if (pfd.revents & POLLNVAL) {
		uart->in_fd = -1;	/* closed under us: no more input */
		return;
	}
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

static bool uart_fifo_on(const struct uart *uart)
{
	return uart->fcr & UART_FCR_ENABLE;
}

static unsigned int uart_rx_trigger(const struct uart *uart)
{
	static const unsigned int level[4] = { 1, 4, 8, 14 };

	return uart_fifo_on(uart) ? level[uart->fcr >> 6] : 1;
}

/* four character times (10 bits each) at the programmed divisor */
static u64 uart_char_timeout_ns(const struct uart *uart)
{
	u32 div = uart->dll | uart->dlm << 8;

	if (!div)
		div = 1;
	return 40ULL * div * 1000000000ULL / UART_CLOCK_HZ;
}

static bool uart_rx_timed_out(const struct uart *uart)
{
	return uart_fifo_on(uart) && uart->rx_count &&
	       platform_now_ns() - uart->rx_activity_ns >=
	       uart_char_timeout_ns(uart);
}

/* The IIR source the 16550A would report, highest priority first. */
static u8 uart_iir_source(const struct uart *uart)
{
	if ((uart->ier & UART_IER_RLSI) && uart->lsr_err)
		return UART_IIR_RLSI;
	if (uart->ier & UART_IER_RDI) {
		if (uart->rx_count >= uart_rx_trigger(uart))
			return UART_IIR_RDI;
		if (uart_rx_timed_out(uart))
			return UART_IIR_TIMEOUT;
	}
	if ((uart->ier & UART_IER_THRI) && uart->thri_pending)
		return UART_IIR_THRI;
	if ((uart->ier & UART_IER_MSI) && uart->msr_delta)
		return UART_IIR_MSI;
	return UART_IIR_NO_INT;
}

/* In loopback the OUT2 pin is inactive: no IRQ reaches the PC's bus. */
static void uart_update_irq(struct uart *uart)
{
	bool level = uart_iir_source(uart) != UART_IIR_NO_INT &&
		     (uart->mcr & (UART_MCR_OUT2 | UART_MCR_LOOP)) ==
		     UART_MCR_OUT2;

	if (!uart->irqchip || level == uart->irq_level)
		return;
	uart->irq_level = level;
	if (level)
		uart->irqs++;
	irqchip_set_irq(uart->irqchip, uart->irq, level);
}

static void uart_tx(struct uart *uart, u8 c)
{
	/* the byte leaves at once: THR is empty again */
	uart->thri_pending = true;
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

/* CTS, DSR, RI, DCD: a cable, or in loopback RTS, DTR, OUT1, OUT2 */
static u8 uart_modem_status(const struct uart *uart)
{
	u8 mcr = uart->mcr;

	if (!(mcr & UART_MCR_LOOP))
		return 0xb0;
	return ((mcr & UART_MCR_OUT2) ? 0x80 : 0) |
	       ((mcr & UART_MCR_OUT1) ? 0x40 : 0) |
	       ((mcr & UART_MCR_DTR) ? 0x20 : 0) |
	       ((mcr & UART_MCR_RTS) ? 0x10 : 0);
}

static void uart_update_msr(struct uart *uart)
{
	u8 now = uart_modem_status(uart), old = uart->msr_status;
	u8 changed = now ^ old;

	if (changed & 0x10)
		uart->msr_delta |= 0x01;	/* DCTS */
	if (changed & 0x20)
		uart->msr_delta |= 0x02;	/* DDSR */
	if ((old & 0x40) && !(now & 0x40))
		uart->msr_delta |= 0x04;	/* TERI: trailing edge */
	if (changed & 0x80)
		uart->msr_delta |= 0x08;	/* DDCD */
	uart->msr_status = now;
}

static u8 uart_rbr_read(struct uart *uart)
{
	bool was_full = uart->rx_count == UART_RX_SIZE;
	u8 v;

	uart_rx_fill(uart);
	if (!uart->rx_count)
		return 0;
	v = uart->rx[uart->rx_head];
	uart->rx_head = (uart->rx_head + 1) % UART_RX_SIZE;
	uart->rx_count--;
	uart->rx_activity_ns = platform_now_ns();
	if (was_full || uart->rx_count)
		uart_kick(uart);	/* room again, or a new timeout */
	return v;
}

static u8 uart_read(struct uart *uart, unsigned int reg)
{
	bool dlab = uart->lcr & UART_LCR_DLAB;
	u8 v;

	switch (reg) {
	case UART_RBR_THR:
		return dlab ? uart->dll : uart_rbr_read(uart);
	case UART_IER:
		return dlab ? uart->dlm : uart->ier;
	case UART_IIR_FCR:
		v = uart_iir_source(uart);
		if (v == UART_IIR_THRI)
			uart->thri_pending = false;	/* reading it clears it */
		return v | (uart_fifo_on(uart) ? UART_IIR_FIFOS : 0);
	case UART_LCR:
		return uart->lcr;
	case UART_MCR:
		return uart->mcr;
	case UART_LSR:
		uart_rx_fill(uart);
		v = UART_LSR_THRE | UART_LSR_TEMT | uart->lsr_err |
		    (uart->rx_count ? UART_LSR_DR : 0);
		uart->lsr_err = 0;
		return v;
	case UART_MSR:
		v = uart->msr_status | uart->msr_delta;
		uart->msr_delta = 0;
		return v;
	default:
		return uart->scr;
	}
}

static void uart_write(struct uart *uart, unsigned int reg, u8 v)
{
	bool dlab = uart->lcr & UART_LCR_DLAB;
	u8 old;

	switch (reg) {
	case UART_RBR_THR:
		if (dlab) {
			uart->dll = v;
			uart_kick(uart);
		} else {
			uart_tx(uart, v);
		}
		break;
	case UART_IER:
		if (dlab) {
			uart->dlm = v;
			uart_kick(uart);
			break;
		}
		old = uart->ier;
		uart->ier = v & 0x0f;
		/* enabling THRI with the transmitter empty interrupts at once */
		if ((uart->ier & UART_IER_THRI) && !(old & UART_IER_THRI))
			uart->thri_pending = true;
		break;
	case UART_IIR_FCR:
		old = uart->fcr;
		/* the other bits only take with bit 0 set */
		uart->fcr = (v & UART_FCR_ENABLE) ? v & 0xc9 : 0;
		if ((v & UART_FCR_CLEAR_RX) ||
		    ((old ^ uart->fcr) & UART_FCR_ENABLE)) {
			uart->rx_head = 0;
			uart->rx_count = 0;
		}
		uart_kick(uart);
		break;
	case UART_LCR:
		uart->lcr = v;
		break;
	case UART_MCR:
		uart->mcr = v & 0x1f;
		uart_update_msr(uart);
		uart_kick(uart);
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
	uart_update_irq(uart);
	pthread_mutex_unlock(&uart->lock);
}

static void *uart_rx_thread(void *arg)
{
	struct uart *uart = arg;
	struct pollfd pfd[2];
	struct timespec ts, *tsp;
	u64 now, deadline;
	char buf[64];
	nfds_t n;

	pthread_mutex_lock(&uart->lock);
	while (!uart->rx_stop) {
		pfd[0].fd = uart->wake[0];
		pfd[0].events = POLLIN;
		pfd[0].revents = 0;
		n = 1;
		if (uart->in_fd >= 0 && uart->rx_count < UART_RX_SIZE &&
		    !(uart->mcr & UART_MCR_LOOP)) {
			pfd[1].fd = uart->in_fd;
			pfd[1].events = POLLIN;
			pfd[1].revents = 0;
			n = 2;
		}
		tsp = NULL;
		if (uart_fifo_on(uart) && uart->rx_count &&
		    !uart_rx_timed_out(uart)) {
			/* wake when the character timeout expires */
			now = platform_now_ns();
			deadline = uart->rx_activity_ns +
				   uart_char_timeout_ns(uart);
			deadline = deadline > now ? deadline - now : 0;
			ts.tv_sec = deadline / 1000000000ULL;
			ts.tv_nsec = deadline % 1000000000ULL;
			tsp = &ts;
		}
		pthread_mutex_unlock(&uart->lock);
		ppoll(pfd, n, tsp, NULL);
		pthread_mutex_lock(&uart->lock);
		if (pfd[0].revents & POLLIN) {
			while (read(uart->wake[0], buf, sizeof(buf)) > 0)
				;
		}
		if (n == 2 && pfd[1].revents)
			uart_rx_fill(uart);
		uart_update_irq(uart);
	}
	pthread_mutex_unlock(&uart->lock);
	return NULL;
}

int uart_start(struct uart *uart)
{
	if (uart->rx_running)
		return 0;
	if (pipe2(uart->wake, O_NONBLOCK | O_CLOEXEC)) {
		pr_err("uart: pipe: %s", strerror(errno));
		uart->wake[0] = uart->wake[1] = -1;
		return -1;
	}
	uart->rx_stop = false;
	if (platform_thread_create(&uart->rx_thread, uart_rx_thread, uart)) {
		close(uart->wake[0]);
		close(uart->wake[1]);
		uart->wake[0] = uart->wake[1] = -1;
		return -1;
	}
	uart->rx_running = true;
	return 0;
}

void uart_stop(struct uart *uart)
{
	if (!uart->rx_running)
		return;
	pthread_mutex_lock(&uart->lock);
	uart->rx_stop = true;
	uart_kick(uart);
	pthread_mutex_unlock(&uart->lock);
	pthread_join(uart->rx_thread, NULL);
	uart->rx_running = false;
	pthread_mutex_lock(&uart->lock);
	close(uart->wake[0]);
	close(uart->wake[1]);
	uart->wake[0] = uart->wake[1] = -1;
	pthread_mutex_unlock(&uart->lock);
}

int uart_register(struct uart *uart, struct bus *io_bus)
{
	return bus_register(io_bus, uart->base, UART_NR_PORTS, uart_access,
			    uart, "uart");
}
