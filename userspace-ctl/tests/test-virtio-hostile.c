// SPDX-License-Identifier: GPL-2.0
/*
 * Host-side tests of virtio in lvctl against a misbehaving guest
 * (virtio-guest.h): every hostile ring must break the device (NEEDS_RESET
 * and a config interrupt), leave memory outside guest RAM alone and leave
 * the process running; a reset brings the device back.  Random rings,
 * threads racing BAR moves, MSI-X and doorbells, and a queue whose
 * interrupts the driver suppresses.
 *
 *   test-virtio-hostile PATH-TO-LVCTL
 */
#include <fcntl.h>
#include <signal.h>

#include "harness.h"
#include "virtio-guest.h"

/* ---- a hostile driver ---- */

enum hostile {
	H_AVAIL_AHEAD,
	H_HEAD_RANGE,
	H_LOOP,
	H_NEXT_RANGE,
	H_OUTSIDE_RAM,
	H_WRAP,
	H_ZERO_LEN,
	H_INDIRECT_IN_INDIRECT,
	H_INDIRECT_OUTSIDE,
	H_TOO_LONG,
	H_WRITE_THEN_READ,
	H_NR,
};

static const char *const hostile_names[H_NR] = {
	"avail_ahead", "head_range", "loop", "next_range", "outside_ram",
	"wrap", "zero_len", "indirect_in_indirect", "indirect_outside",
	"too_long", "write_then_read",
};

/* a read request whose data buffer is made bad in one way */
static void hostile_post(struct gdev *g, struct blkreq *r, enum hostile h)
{
	struct tq *q = &g->q[0];
	struct virtio_blk_outhdr *hdr = gptr(r->hdr);
	struct vring_desc *d = q->desc;
	u64 table, table2;
	struct vring_desc *t;
	u16 head = q->next_desc;
	int i;

	hdr->type = VIRTIO_BLK_T_IN;
	hdr->sector = 0;
	tq_add(q, (struct gbuf[]){ { r->hdr, 16, false },
				   { r->data, 4096, true },
				   { r->status, 1, true } }, 3);
	switch (h) {
	case H_AVAIL_AHEAD:
		q->avail->idx = q->avail_idx + q->size;
		break;
	case H_HEAD_RANGE:
		q->avail->ring[(q->avail_idx - 1) % q->size] = q->size + 3;
		break;
	case H_LOOP:
		/* status -> data -> status ... */
		d[(head + 2) % q->size].flags |= VRING_DESC_F_NEXT;
		d[(head + 2) % q->size].next = (head + 1) % q->size;
		break;
	case H_NEXT_RANGE:
		d[head].next = 0xffff;
		break;
	case H_OUTSIDE_RAM:
		/* a writable buffer straddling the end of RAM */
		d[(head + 1) % q->size].addr = MEM_SIZE - 2048;
		break;
	case H_WRAP:
		d[(head + 1) % q->size].addr = 0xfffffffffffff000ULL;
		d[(head + 1) % q->size].len = 0x2000;
		break;
	case H_ZERO_LEN:
		d[(head + 1) % q->size].len = 0;
		break;
	case H_INDIRECT_IN_INDIRECT:
	case H_INDIRECT_OUTSIDE:
		table = galloc(16 * 2, 16);
		table2 = galloc(16, 16);
		t = gptr(table);
		t[0] = (struct vring_desc){ r->hdr, 16, VRING_DESC_F_NEXT, 1 };
		t[1] = (struct vring_desc){ table2, 16, VRING_DESC_F_INDIRECT, 0 };
		*(struct vring_desc *)gptr(table2) =
			(struct vring_desc){ r->data, 4096, VRING_DESC_F_WRITE, 0 };
		d[head].addr = h == H_INDIRECT_OUTSIDE ? MEM_SIZE - 16 : table;
		d[head].len = h == H_INDIRECT_OUTSIDE ? 64 : 32;
		d[head].flags = VRING_DESC_F_INDIRECT;
		break;
	case H_TOO_LONG:
		/* an indirect table of VQ_MAX_SEGS + 1 descriptors */
		table = galloc(16 * (VQ_MAX_SEGS + 1), 16);
		t = gptr(table);
		for (i = 0; i <= VQ_MAX_SEGS; i++)
			t[i] = (struct vring_desc){ r->data, 16,
						    VRING_DESC_F_WRITE | VRING_DESC_F_NEXT,
						    i + 1 };
		t[VQ_MAX_SEGS].flags = VRING_DESC_F_WRITE;
		d[head].addr = table;
		d[head].len = 16 * (VQ_MAX_SEGS + 1);
		d[head].flags = VRING_DESC_F_INDIRECT;
		break;
	case H_WRITE_THEN_READ:
		d[(head + 1) % q->size].flags = VRING_DESC_F_NEXT;
		d[head].flags |= VRING_DESC_F_WRITE;
		break;
	default:
		break;
	}
	tq_kick(g, 0);
}

static void test_hostile(void)
{
	const char *path = make_image("hostile.img");
	struct virtio_dev *blk;
	struct blkreq r;
	struct gdev g;
	char name[64];
	int h, cfg_irqs;
	u8 st;

	vm_begin(&ops_plain);
	blk = virtio_blk_create(&vm, pci, path, false);
	for (h = 0; h < H_NR; h++) {
		begin();
		snprintf(name, sizeof(name), "hostile_%s", hostile_names[h]);
		if (!blk || !gdev_up(&g, blk, 0)) {
			bad("bring-up failed");
			end(name);
			continue;
		}
		blkreq_alloc(&r, 4096);
		memset(gptr(r.data), 0, 4096);
		cfg_irqs = msi_count_match(MSI_ADDR, msix_data(g.nq));
		hostile_post(&g, &r, h);
		CHECK(wait_cond(broken_now, &g), "device not broken");
		CHECK_EQ(wait_msi(msix_data(g.nq), cfg_irqs + 1), cfg_irqs + 1);
		CHECK_EQ(g.q[0].used->idx, 0);
		CHECK(slack_intact(), "memory outside guest RAM changed");
		/* a broken device ignores the queue until reset */
		tq_kick(&g, 0);
		usleep(5000);
		CHECK_EQ(g.q[0].used->idx, 0);
		/* reset and it serves again */
		if (!gdev_up(&g, blk, 0)) {
			bad("bring-up after reset failed");
		} else {
			blk_do(&g, &r, VIRTIO_BLK_T_IN, 3, 1024, true, &st);
			CHECK_EQ(st, VIRTIO_BLK_S_OK);
			CHECK_EQ(fnv(gptr(r.data), 1024),
				 fnv(img_data + 3 * 512, 1024));
			CHECK(!broken_now(&g), "broken after reset");
		}
		end(name);
	}
	if (blk)
		virtio_dev_destroy(blk);
	vm_end();
}

static u64 rnd_state = 0x9e3779b97f4a7c15ULL;

static u64 rnd(void)
{
	/* xorshift64*: reproducible */
	rnd_state ^= rnd_state >> 12;
	rnd_state ^= rnd_state << 25;
	rnd_state ^= rnd_state >> 27;
	return rnd_state * 2685821657736338717ULL;
}

struct fuzz_done {
	struct gdev *g;
};

static bool fuzz_settled(void *arg)
{
	struct gdev *g = ((struct fuzz_done *)arg)->g;
	struct tq *q = &g->q[0];

	return broken_now(g) ||
	       __atomic_load_n(&q->used->idx, __ATOMIC_ACQUIRE) == q->avail->idx;
}

/*
 * Random rings: descriptors with addresses at and around the end of RAM,
 * wrapping ones, random lengths, flags and links, random heads and avail
 * indices, random request headers.  Every round must end with the device
 * broken or every chain used; memory outside RAM must stay untouched.
 */
static void test_fuzz(void)
{
	const char *path = make_image("fuzz.img");
	struct virtio_dev *blk;
	struct fuzz_done fd;
	struct gdev g;
	u64 area, table;
	int round, i, broken = 0, clean = 0;

	begin();
	vm_begin(&ops_plain);
	blk = virtio_blk_create(&vm, pci, path, false);
	if (!blk) {
		bad("no blk");
		goto out;
	}
	area = galloc(64 * 1024, 4096);
	table = galloc(16 * 64, 16);
	fd.g = &g;
	for (round = 0; round < 300 && !why[0]; round++) {
		struct tq *q;
		u16 n;

		galloc_next = SZ_1M;
		if (!gdev_up(&g, blk, 0)) {
			bad("round %d: bring-up failed", round);
			break;
		}
		area = galloc(64 * 1024, 4096);
		table = galloc(16 * 64, 16);
		q = &g.q[0];
		for (i = 0; i < 64 * 1024; i += 8) {
			u64 v = rnd();

			/* plausible request headers: small types and sectors */
			if (!(i % 512))
				v = (rnd() % 12) | ((rnd() % (IMG_SECTORS + 8)) << 32);
			memcpy((u8 *)gptr(area) + i, &v, 8);
		}
		for (i = 0; i < q->size + 64; i++) {
			struct vring_desc *d = i < q->size ? &q->desc[i] :
				(struct vring_desc *)gptr(table) + (i - q->size);
			u64 r = rnd();

			switch (r % 8) {
			case 0:
				d->addr = MEM_SIZE - (rnd() % 8192);
				break;
			case 1:
				d->addr = -(rnd() % 0x10000);
				break;
			case 2:
				d->addr = rnd();
				break;
			case 3:
				d->addr = table + 16 * (rnd() % 64);
				break;
			default:
				d->addr = area + (rnd() % (64 * 1024));
				break;
			}
			switch ((r >> 8) % 6) {
			case 0:
				d->len = 0;
				break;
			case 1:
				d->len = rnd();
				break;
			case 2:
				d->len = 16 * (1 + rnd() % 70);
				break;
			default:
				d->len = 1 + rnd() % 2048;
				break;
			}
			d->flags = (r >> 16) & 7;
			d->next = (r >> 24) % 4 ? (r >> 32) % q->size :
						 (u16)(r >> 32);
		}
		n = 1 + rnd() % (q->size + 4);
		for (i = 0; i < n && i < q->size; i++)
			q->avail->ring[i] = rnd() % 8 ? rnd() % q->size : rnd();
		if (round % 2) {
			/* well-formed requests, now and then one field wrong */
			n = 1 + rnd() % (q->size / 3);
			for (i = 0; i < n; i++) {
				struct vring_desc *d = &q->desc[3 * i];
				u64 h = area + 512 * (rnd() % 64);
				u32 dlen = rnd() % 4 ? 512 * (1 + rnd() % 8) :
						       1 + rnd() % 4096;

				d[0] = (struct vring_desc){ h, 16, VRING_DESC_F_NEXT, 3 * i + 1 };
				d[1] = (struct vring_desc){ area + 32768 + rnd() % 28672, dlen,
					VRING_DESC_F_NEXT | (rnd() % 2 ? VRING_DESC_F_WRITE : 0),
					3 * i + 2 };
				d[2] = (struct vring_desc){ h + 16 + rnd() % 32, 1,
					VRING_DESC_F_WRITE, 0 };
				if (!(rnd() % 40))
					((u8 *)&d[rnd() % 3])[rnd() % 16] = rnd();
				/* a data buffer across the end of RAM */
				if (!(rnd() % 60))
					d[1].addr = MEM_SIZE - 1 - rnd() % dlen;
				q->avail->ring[i] = 3 * i;
			}
		}
		__atomic_store_n(&q->avail->idx, n, __ATOMIC_RELEASE);
		tq_kick(&g, 0);
		if (!wait_cond(fuzz_settled, &fd))
			bad("round %d: neither broken nor done", round);
		if (broken_now(&g))
			broken++;
		else
			clean++;
		if (!slack_intact())
			bad("round %d: memory outside guest RAM changed", round);
	}
	printf("fuzz: %d rounds broke the device, %d completed\n", broken, clean);
	virtio_dev_destroy(blk);
out:
	vm_end();
	end("fuzz_blk_rings");
}

/*
 * vCPU threads dispatch concurrently: two "vCPUs" read configuration space
 * and the common configuration at whichever address the BAR has, a third
 * moves the BAR back and forth and toggles decoding, a fourth rings the
 * doorbell and reprograms MSI-X, while the device thread serves requests.
 * Nothing may deadlock (a watchdog fails the test) or crash.
 */
static volatile bool stress_stop;
static struct gdev *stress_g;

static void *stress_reader(void *arg)
{
	u64 n = 0;

	(void)arg;
	while (!stress_stop) {
		u8 d[4];

		le_store(d, 4, 0x80000000u | stress_g->slot << 11 | PCI_COMMAND);
		io_acc(PCI_CONF1_ADDR_PORT, d, 4, true);
		io_acc(PCI_CONF1_DATA_PORT, d, 2, false);
		mr(0xe8000000 + VIRTIO_PCI_COMMON_NUMQ, 2);
		mr(0xe9000000 + VIRTIO_PCI_COMMON_STATUS, 1);
		n++;
	}
	return (void *)(uintptr_t)n;
}

static void *stress_mover(void *arg)
{
	int i = 0;

	(void)arg;
	while (!stress_stop) {
		conf_write(stress_g->slot, PCI_BASE_ADDRESS_0, 4,
			   i & 1 ? 0xe8000000 : 0xe9000000);
		conf_write(stress_g->slot, PCI_COMMAND, 2,
			   i % 3 ? PCI_COMMAND_MEMORY : 0);
		i++;
	}
	conf_write(stress_g->slot, PCI_COMMAND, 2, PCI_COMMAND_MEMORY);
	return NULL;
}

static void *stress_kicker(void *arg)
{
	u64 one = 1;

	(void)arg;
	while (!stress_stop) {
		u64 t = bar_read(stress_g->slot) + VIRTIO_MSIX_TABLE_OFF;

		mw(t + 12, 4, 0);
		mw(t + 12, 4, 1);
		mw(t + 12, 4, 0);
		if (write(stress_g->vdev->vqs[0].kick_fd, &one, 8) != 8)
			break;
	}
	return NULL;
}

static void watchdog(int sig)
{
	(void)sig;
	printf("TEST concurrency FAIL deadlock (watchdog)\n");
	fflush(stdout);
	_exit(1);
}

static void test_concurrency(void)
{
	struct virtio_dev *rng;
	pthread_t t[4];
	struct gdev g;
	u64 buf;
	int fd, i, done = 0;

	begin();
	vm_begin(&ops_plain);
	fd = open("/dev/urandom", O_RDONLY);
	rng = virtio_rng_create(&vm, pci, fd);
	if (!rng || !gdev_up(&g, rng, 0)) {
		bad("bring-up failed");
		goto out;
	}
	stress_g = &g;
	stress_stop = false;
	buf = galloc(16, 8);
	signal(SIGALRM, watchdog);
	alarm(20);
	pthread_create(&t[0], NULL, stress_reader, NULL);
	pthread_create(&t[1], NULL, stress_reader, NULL);
	pthread_create(&t[2], NULL, stress_mover, NULL);
	pthread_create(&t[3], NULL, stress_kicker, NULL);
	/* requests keep flowing meanwhile */
	for (i = 0; i < 200; i++) {
		tq_add(&g.q[0], &(struct gbuf){ buf, 16, true }, 1);
		done += tq_wait(&g.q[0], NULL) == 16;
	}
	stress_stop = true;
	for (i = 0; i < 4; i++)
		pthread_join(t[i], NULL);
	alarm(0);
	CHECK_EQ(done, 200);
	CHECK(!broken_now(&g), "device broken");
	CHECK(slack_intact(), "memory outside guest RAM changed");
	virtio_dev_destroy(rng);
out:
	vm_end();
	end("concurrency");
}

/* vq_pop on its own: used->flags says NO_NOTIFY exactly while busy */
static void test_vq_no_notify(void)
{
	static const struct virtio_dev_ops ops = { .name = "vq-test" };
	static struct virtio_dev vd;
	struct virtqueue *vq = &vd.vqs[0];
	static struct vq_elem e;
	char why2[128];
	struct tq q;
	u64 buf;

	begin();
	vm_begin(&ops_plain);
	memset(&vd, 0, sizeof(vd));
	vd.vm = &vm;
	vd.ops = &ops;
	vd.guest_features = STD_FEATURES;
	vq->vdev = &vd;
	vq->max_size = 8;
	vq_reset(vq);
	tq_alloc(&q, 8);
	vq->desc_gpa = q.desc_gpa;
	vq->avail_gpa = q.avail_gpa;
	vq->used_gpa = q.used_gpa;
	if (vq_enable(vq, why2, sizeof(why2))) {
		bad("enable: %s", why2);
		goto out;
	}
	buf = galloc(64, 8);
	CHECK_EQ(vq_pop(vq, &e), 0);
	CHECK_EQ(q.used->flags, 0);
	tq_add(&q, &(struct gbuf){ buf, 64, true }, 1);
	tq_add(&q, &(struct gbuf){ buf, 32, false }, 1);
	CHECK_EQ(vq_pop(vq, &e), 1);
	CHECK_EQ(q.used->flags, VRING_USED_F_NO_NOTIFY);
	CHECK(e.nr_in == 1 && e.nr_out == 0 && e.in_len == 64, "first chain");
	vq_push(vq, e.head, 64);
	CHECK_EQ(vq_pop(vq, &e), 1);
	CHECK(e.nr_in == 0 && e.nr_out == 1 && e.out_len == 32, "second chain");
	vq_push(vq, e.head, 0);
	CHECK_EQ(q.used->flags, VRING_USED_F_NO_NOTIFY);
	CHECK_EQ(vq_pop(vq, &e), 0);
	CHECK_EQ(q.used->flags, 0);
	CHECK_EQ(q.used->idx, 2);
	CHECK_EQ(q.used->ring[0].len, 64);
	/* a queue without a vector: counted, no MSI */
	vq_notify(vq);
	CHECK_EQ(vd.irqs_no_vector, 1);
	CHECK_EQ(msi_count(), 0);
out:
	vm_end();
	end("vq_no_notify");
}

int main(int argc, char **argv)
{
	harness_start(argc, argv, "test-virtio-hostile");
	test_hostile();
	test_vq_no_notify();
	test_concurrency();
	test_fuzz();
	return harness_finish();
}
