/* SPDX-License-Identifier: GPL-2.0 */
/*
 * The devices lvctl emulates (docs/testing.md).  Each has a state
 * structure, an init that resets it, a register that puts it on a bus,
 * and an access function the bus calls (tests drive it directly).
 */
#ifndef LVCTL_DEVICES_H
#define LVCTL_DEVICES_H

#include "lvctl.h"

/* ---- 16550A UART, COM1 ---- */
#define UART_COM1_BASE		0x3f8
#define UART_NR_PORTS		8
#define UART_RX_SIZE		256
#define UART_TX_SIZE		4096

#define UART_IER_RDI		0x01
#define UART_IER_THRI		0x02
#define UART_IER_RLSI		0x04
#define UART_IER_MSI		0x08
#define UART_IIR_NO_INT		0x01
#define UART_IIR_MSI		0x00
#define UART_IIR_THRI		0x02
#define UART_IIR_RDI		0x04
#define UART_IIR_RLSI		0x06
#define UART_IIR_TIMEOUT	0x0c
#define UART_IIR_FIFOS		0xc0
#define UART_FCR_ENABLE		0x01
#define UART_FCR_CLEAR_RX	0x02
#define UART_FCR_CLEAR_TX	0x04
#define UART_LSR_DR		0x01
#define UART_LSR_OE		0x02
#define UART_LSR_THRE		0x20
#define UART_LSR_TEMT		0x40
#define UART_LCR_DLAB		0x80
#define UART_MCR_DTR		0x01
#define UART_MCR_RTS		0x02
#define UART_MCR_OUT1		0x04
#define UART_MCR_OUT2		0x08	/* on a PC: gates the IRQ line */
#define UART_MCR_LOOP		0x10

struct irqchip;

struct uart {
	u64 base;
	u8 ier, lcr, mcr, scr, dll, dlm;
	u8 fcr;			/* FIFO enable and RX trigger, as written */
	u8 lsr_err;		/* OE until LSR is read */
	u8 msr_status;		/* CTS, DSR, RI, DCD as last seen */
	u8 msr_delta;		/* DCTS, DDSR, TERI, DDCD until MSR is read */
	bool thri_pending;	/* the THRE interrupt latch */
	u64 rx_activity_ns;	/* last byte in or out of the RX FIFO */
	u8 rx[UART_RX_SIZE];
	unsigned int rx_head, rx_count;
	int in_fd;		/* -1: no input (or it reached EOF) */
	int out_fd;
	bool out_flush_each;	/* output is a terminal: write at once */
	char tx[UART_TX_SIZE];
	unsigned int tx_len;
	pthread_mutex_t lock;
	/* interrupts (uart_set_irq) */
	struct irqchip *irqchip;
	unsigned int irq;
	bool irq_level;
	u64 irqs;
	/* the RX thread (uart_start) */
	pthread_t rx_thread;
	bool rx_running, rx_stop;
	int wake[2];
};

void uart_init(struct uart *uart, u64 base, int in_fd, int out_fd);
int uart_register(struct uart *uart, struct bus *io_bus);
/* raise @irq on @chip: level = (interrupt pending && MCR.OUT2) */
void uart_set_irq(struct uart *uart, struct irqchip *chip, unsigned int irq);
/* a thread moves input into the RX FIFO and times the RX timeout */
int uart_start(struct uart *uart);
void uart_stop(struct uart *uart);
void uart_access(void *opaque, u64 port, u8 *data, u32 len, bool is_write);
void uart_flush(struct uart *uart);

/* ---- debug exit, port 0xf4 ---- */
#define DEBUG_EXIT_PORT		0xf4

struct debug_exit {
	struct vm *vm;
};

int debug_exit_register(struct debug_exit *dev, struct vm *vm);
void debug_exit_access(void *opaque, u64 port, u8 *data, u32 len,
		       bool is_write);

/* ---- I/O test ports 0xe0, 0xe4, 0xe5 ---- */
#define TEST_IO_SCRATCH		0xe0
#define TEST_IO_SEQ		0xe4
#define TEST_IO_MISMATCH	0xe5

struct test_io {
	u32 scratch;
	u8 in_seq;
	u8 out_seq;
	u8 mismatches;
};

void test_io_init(struct test_io *dev);
int test_io_register(struct test_io *dev, struct bus *io_bus);
void test_io_scratch_access(void *opaque, u64 port, u8 *data, u32 len,
			    bool is_write);
void test_io_seq_access(void *opaque, u64 port, u8 *data, u32 len,
			bool is_write);

/* ---- MMIO test device at 0xd0000000 ---- */
#define TEST_MMIO_BASE		0xd0000000ULL
#define TEST_MMIO_SIZE		0x1000

struct test_mmio {
	u64 base;
	u8 bytes[TEST_MMIO_SIZE];
};

void test_mmio_init(struct test_mmio *dev);
int test_mmio_register(struct test_mmio *dev, struct bus *mmio_bus);
void test_mmio_access(void *opaque, u64 gpa, u8 *data, u32 len,
		      bool is_write);

/* ---- little-endian helpers for device data ---- */
static inline u64 le_load(const u8 *data, u32 len)
{
	u64 v = 0;
	u32 i;

	for (i = 0; i < len && i < 8; i++)
		v |= (u64)data[i] << (8 * i);
	return v;
}

static inline void le_store(u8 *data, u32 len, u64 v)
{
	u32 i;

	for (i = 0; i < len; i++)
		data[i] = i < 8 ? (u8)(v >> (8 * i)) : 0;
}

#endif /* LVCTL_DEVICES_H */
