// SPDX-License-Identifier: GPL-2.0
/*
 * Host-side tests of the 16550A UART (dev-uart.c): Linux's 8250
 * autoconfig and startup sequences, THRE and RX interrupts on IRQ 4
 * through the IOAPIC and the PIC, the RX thread, the FIFO timeout and
 * overrun.  Harness: platform-harness.h.
 *
 *   test-uart PATH-TO-LVCTL
 *
 * Prints "TEST <name> PASS" or "TEST <name> FAIL <why>" per test; exits 1
 * if any failed.
 */
#include "platform-harness.h"

/* ---- UART ---- */

static struct uart uart;

static void uart_fresh(int in_fd, int out_fd)
{
	vm_fresh();
	uart_init(&uart, UART_COM1_BASE, in_fd, out_fd);
	uart_set_irq(&uart, &chip, IRQ_COM1);
	if (uart_register(&uart, &vm.io_bus))
		bad("uart_register");
}

/* what drivers/tty/serial/8250 autoconfig() and startup() do */
static void test_uart_autoconfig(void)
{
	int out[2];
	u8 save_lcr, save_mcr;

	begin();
	if (pipe(out)) {
		bad("pipe");
		end("uart-16550a-autoconfig");
		return;
	}
	uart_fresh(-1, out[1]);
	/* IER: the low four bits hold */
	outb(0x3f9, 0x00);
	CHECK_EQ(inb(0x3f9) & 0x0f, 0x00);
	outb(0x3f9, 0x0f);
	CHECK_EQ(inb(0x3f9) & 0x0f, 0x0f);
	outb(0x3f9, 0x00);
	/* loopback: MSR follows MCR */
	save_mcr = inb(0x3fc);
	save_lcr = inb(0x3fb);
	outb(0x3fc, UART_MCR_LOOP | 0x0a);
	CHECK_EQ(inb(0x3fe) & 0xf0, 0x90);
	outb(0x3fc, save_mcr);
	/* EFR probing writes FCR = 0 behind LCR 0xbf */
	outb(0x3fb, 0xbf);
	outb(0x3fa, 0x00);
	outb(0x3fb, 0x00);
	/* FIFOs on: IIR bits 7:6 both set means a 16550A */
	outb(0x3fa, UART_FCR_ENABLE);
	CHECK_EQ(inb(0x3fa) >> 6, 3);
	/* no EFR behind DLAB: reads give IIR, never 0 */
	outb(0x3fb, 0x80);
	CHECK(inb(0x3fa) != 0, "EFR-like 0 behind LCR 0x80");
	outb(0x3fb, 0xbf);
	CHECK(inb(0x3fa) != 0, "EFR-like 0 behind LCR 0xbf");
	/* not a 16750: no 64-byte FIFO bit */
	outb(0x3fb, 0x00);
	outb(0x3fa, UART_FCR_ENABLE | 0x20);
	CHECK_EQ(inb(0x3fa) >> 5, 6);
	outb(0x3fb, 0x80);
	outb(0x3fa, UART_FCR_ENABLE | 0x20);
	CHECK_EQ(inb(0x3fa) >> 5, 6);
	outb(0x3fb, 0x00);
	/* NS16550 test: IIR bit 4 never follows MCR LOOP */
	outb(0x3fb, 0xe0);
	CHECK_EQ(inb(0x3fa) & 0x10, 0);
	outb(0x3fb, 0x00);
	/* no UUE bit (XScale) in IER */
	outb(0x3f9, 0x40);
	CHECK_EQ(inb(0x3f9) & 0x40, 0);
	outb(0x3f9, 0x00);
	outb(0x3fb, save_lcr);
	/* startup: clear FIFOs, LSR is not 0xff */
	outb(0x3fa, UART_FCR_ENABLE | UART_FCR_CLEAR_RX | UART_FCR_CLEAR_TX);
	outb(0x3fa, 0x00);
	CHECK(inb(0x3fd) != 0xff, "LSR 0xff");
	inb(0x3f8);
	inb(0x3fa);
	inb(0x3fe);
	/* THRE re-asserts each time THRI is enabled (no UART_BUG_THRE) */
	outb(0x3f9, UART_IER_THRI);
	CHECK_EQ(inb(0x3fa) & 0x0f, UART_IIR_THRI);
	CHECK_EQ(inb(0x3fa) & 0x0f, UART_IIR_NO_INT);	/* read cleared it */
	outb(0x3f9, 0x00);
	outb(0x3f9, UART_IER_THRI);
	CHECK_EQ(inb(0x3fa) & 0x0f, UART_IIR_THRI);
	outb(0x3f9, 0x00);
	/* FIFO bits in IIR with FIFOs on */
	outb(0x3fa, UART_FCR_ENABLE | 0x80);
	CHECK_EQ(inb(0x3fa), 0xc1);
	/* MSR deltas: entering loopback changes every line */
	inb(0x3fe);
	outb(0x3fc, UART_MCR_LOOP);
	CHECK_EQ(inb(0x3fe), 0x0b);		/* DDCD, DDSR, DCTS; no TERI */
	CHECK_EQ(inb(0x3fe), 0x00);
	outb(0x3fc, UART_MCR_LOOP | UART_MCR_OUT1);
	outb(0x3fc, UART_MCR_LOOP);
	CHECK_EQ(inb(0x3fe), 0x04);		/* TERI: RI went away */
	outb(0x3fc, 0x00);
	close(out[0]);
	close(out[1]);
	end("uart-16550a-autoconfig");
}

static void test_uart_irq(void)
{
	int out[2];
	char buf[16];
	int from;

	begin();
	if (pipe(out)) {
		bad("pipe");
		end("uart-thre-irq");
		return;
	}
	uart_fresh(-1, out[1]);
	pic_init_linux(0x01);
	ioapic_route(4, 0x24, 0);
	/* no OUT2: the interrupt is pending but the line stays low */
	outb(0x3f9, UART_IER_THRI);
	CHECK_EQ(msi_count(), 0);
	CHECK(!irqchip_pic_output(&chip), "IRQ 4 without OUT2");
	outb(0x3fc, UART_MCR_OUT2 | UART_MCR_DTR | UART_MCR_RTS);
	CHECK_EQ(msi_count(), 1);
	CHECK_EQ(msis[0].data & 0xff, 0x24);
	CHECK(irqchip_pic_output(&chip), "no IRQ 4 on the PIC");
	CHECK_EQ(irqchip_pic_ack(&chip), 0x34);
	outb(0x20, 0x20);
	/* reading IIR clears THRE and drops the line */
	CHECK_EQ(inb(0x3fa) & 0x0f, UART_IIR_THRI);
	CHECK(!(chip.ioapic.line & (1u << 4)), "line high after IIR read");
	/* each THR write: empty again, a new edge */
	outb(0x3f8, 'o');
	outb(0x3f8, 'k');
	outb(0x3f8, '\n');
	CHECK_EQ(msi_count(), 2);
	CHECK_EQ(inb(0x3fa) & 0x0f, UART_IIR_THRI);
	outb(0x3f8, 'x');
	CHECK_EQ(msi_count(), 3);
	/* THRI off: line low; the latch waits for THRI */
	outb(0x3f9, 0x00);
	CHECK(!(chip.ioapic.line & (1u << 4)), "line high with IER 0");
	CHECK(read(out[0], buf, sizeof(buf)) == 3 && !memcmp(buf, "ok\n", 3),
	      "output lost");
	/* loopback disconnects the line */
	from = msi_count();
	outb(0x3fc, UART_MCR_OUT2 | UART_MCR_LOOP);
	outb(0x3f9, UART_IER_THRI);
	CHECK_EQ(msi_count() - from, 0);
	CHECK_EQ(inb(0x3fa) & 0x0f, UART_IIR_THRI);
	close(out[0]);
	close(out[1]);
	end("uart-thre-irq");
}

static void test_uart_rx(void)
{
	int in[2], out[2], i, from, got = 0, ok = 1;
	char big[600];
	u8 c;

	begin();
	if (pipe(in) || pipe(out)) {
		bad("pipe");
		end("uart-rx-irq");
		return;
	}
	uart_fresh(in[0], out[1]);
	ioapic_route(4, 0x24, 0);
	outb(0x3fb, 0x80);
	outb(0x3f8, 0x01);			/* 115200 baud */
	outb(0x3f9, 0x00);
	outb(0x3fb, 0x03);
	outb(0x3fc, UART_MCR_OUT2);
	outb(0x3fa, UART_FCR_ENABLE);		/* trigger 1 */
	outb(0x3f9, UART_IER_RDI | UART_IER_RLSI);
	if (uart_start(&uart)) {
		bad("uart_start");
		end("uart-rx-irq");
		return;
	}
	CHECK_EQ(msi_count(), 0);
	/* the thread moves input in and interrupts */
	CHECK(write(in[1], "A", 1) == 1, "write");
	CHECK(wait_msis(0, 0x24, 0, 2000), "no RDI interrupt");
	CHECK_EQ(inb(0x3fa), 0xc4);
	CHECK_EQ(inb(0x3fd) & UART_LSR_DR, UART_LSR_DR);
	CHECK_EQ(inb(0x3f8), 'A');
	CHECK_EQ(inb(0x3fa), 0xc1);
	CHECK(!(chip.ioapic.line & (1u << 4)), "line high with RX empty");
	/* trigger 8, one byte: the character timeout reports it */
	outb(0x3fa, UART_FCR_ENABLE | 0x80);
	from = msi_count();
	CHECK(write(in[1], "B", 1) == 1, "write");
	CHECK(wait_msis(from, 0x24, 0, 2000), "no timeout interrupt");
	CHECK_EQ(inb(0x3fa), 0xcc);
	CHECK_EQ(inb(0x3f8), 'B');
	/* more than the FIFO holds: the thread waits, nothing is lost */
	for (i = 0; i < (int)sizeof(big); i++)
		big[i] = (char)(i * 7);
	CHECK(write(in[1], big, sizeof(big)) == (ssize_t)sizeof(big), "write");
	for (i = 0; i < 3000 && got < (int)sizeof(big); i++) {
		if (!(inb(0x3fd) & UART_LSR_DR)) {
			sleep_ms(1);
			continue;
		}
		c = inb(0x3f8);
		if (c != (u8)big[got])
			ok = 0;
		got++;
	}
	CHECK(got == (int)sizeof(big) && ok, "got %d of %zu bytes, %s", got,
	      sizeof(big), ok ? "in order" : "wrong");
	CHECK_EQ(inb(0x3fd) & UART_LSR_OE, 0);
	/* loopback overrun: the 257th byte sets OE and RLSI */
	outb(0x3fc, UART_MCR_LOOP);
	for (i = 0; i < UART_RX_SIZE + 1; i++)
		outb(0x3f8, (u8)i);
	CHECK_EQ(inb(0x3fa) & 0x0f, UART_IIR_RLSI);
	CHECK_EQ(inb(0x3fd) & UART_LSR_OE, UART_LSR_OE);
	CHECK_EQ(inb(0x3fd) & UART_LSR_OE, 0);	/* read cleared it */
	outb(0x3fa, UART_FCR_ENABLE | UART_FCR_CLEAR_RX);
	CHECK_EQ(inb(0x3fd) & UART_LSR_DR, 0);
	uart_stop(&uart);
	close(in[0]);
	close(in[1]);
	close(out[0]);
	close(out[1]);
	end("uart-rx-irq");
}

int main(int argc, char **argv)
{
	(void)argc;
	(void)argv;
	test_uart_autoconfig();
	test_uart_irq();
	test_uart_rx();

	return harness_finish();
}
